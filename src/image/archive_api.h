// libarchive, loaded on first use: mapping it at start-up drags in
// libxml2, ICU, nettle, liblzma, liblz4, libbz2 and libacl (about 4 ms on
// every hutch command), though only image and file-copy commands read or
// write tar. Linking libarchive.a instead pulls in every format writer
// (and libxml2 again) through the format table the tar writers reference.
//
// Include this header instead of <archive.h> / <archive_entry.h>: the
// archive_* names below then call through a table filled by dlopen() of
// libarchive.so.13 on first use. A missing library is fatal with a message
// naming the package: hutch cannot read or write any layer without it.
// Thread-safety: the table is built once (a function-local static).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#define HUTCH_ARCHIVE_FUNCTIONS(X) \
  X(archive_entry_atime) \
  X(archive_entry_atime_is_set) \
  X(archive_entry_atime_nsec) \
  X(archive_entry_filetype) \
  X(archive_entry_free) \
  X(archive_entry_gid) \
  X(archive_entry_hardlink) \
  X(archive_entry_mtime) \
  X(archive_entry_mtime_is_set) \
  X(archive_entry_mtime_nsec) \
  X(archive_entry_new) \
  X(archive_entry_pathname) \
  X(archive_entry_perm) \
  X(archive_entry_rdev) \
  X(archive_entry_rdevmajor) \
  X(archive_entry_rdevminor) \
  X(archive_entry_set_filetype) \
  X(archive_entry_set_gid) \
  X(archive_entry_set_hardlink) \
  X(archive_entry_set_mtime) \
  X(archive_entry_set_pathname) \
  X(archive_entry_set_perm) \
  X(archive_entry_set_rdevmajor) \
  X(archive_entry_set_rdevminor) \
  X(archive_entry_set_size) \
  X(archive_entry_set_symlink) \
  X(archive_entry_set_uid) \
  X(archive_entry_size) \
  X(archive_entry_size_is_set) \
  X(archive_entry_sparse_add_entry) \
  X(archive_entry_sparse_count) \
  X(archive_entry_symlink) \
  X(archive_entry_uid) \
  X(archive_entry_xattr_add_entry) \
  X(archive_entry_xattr_next) \
  X(archive_entry_xattr_reset) \
  X(archive_errno) \
  X(archive_error_string) \
  X(archive_filter_bytes) \
  X(archive_read_data) \
  X(archive_read_data_block) \
  X(archive_read_free) \
  X(archive_read_new) \
  X(archive_read_next_header) \
  X(archive_read_open) \
  X(archive_read_open_fd) \
  X(archive_read_open_memory) \
  X(archive_read_support_filter_bzip2) \
  X(archive_read_support_filter_gzip) \
  X(archive_read_support_filter_none) \
  X(archive_read_support_filter_xz) \
  X(archive_read_support_filter_zstd) \
  X(archive_read_support_format_gnutar) \
  X(archive_read_support_format_tar) \
  X(archive_set_error) \
  X(archive_write_add_filter_gzip) \
  X(archive_write_add_filter_zstd) \
  X(archive_write_close) \
  X(archive_write_data) \
  X(archive_write_free) \
  X(archive_write_header) \
  X(archive_write_new) \
  X(archive_write_open) \
  X(archive_write_open2) \
  X(archive_write_open_fd) \
  X(archive_write_set_bytes_in_last_block) \
  X(archive_write_set_format_gnutar) \
  X(archive_write_set_format_pax_restricted) \
  X(archive_write_set_format_ustar)

namespace hutch::image::archive_lib {

struct Api {
#define HUTCH_ARCHIVE_MEMBER(f) decltype(&::f) f;
  HUTCH_ARCHIVE_FUNCTIONS(HUTCH_ARCHIVE_MEMBER)
#undef HUTCH_ARCHIVE_MEMBER
};

const Api& api();

}  // namespace hutch::image::archive_lib

#ifndef HUTCH_ARCHIVE_NO_MACROS
#define archive_entry_atime (::hutch::image::archive_lib::api().archive_entry_atime)
#define archive_entry_atime_is_set (::hutch::image::archive_lib::api().archive_entry_atime_is_set)
#define archive_entry_atime_nsec (::hutch::image::archive_lib::api().archive_entry_atime_nsec)
#define archive_entry_filetype (::hutch::image::archive_lib::api().archive_entry_filetype)
#define archive_entry_free (::hutch::image::archive_lib::api().archive_entry_free)
#define archive_entry_gid (::hutch::image::archive_lib::api().archive_entry_gid)
#define archive_entry_hardlink (::hutch::image::archive_lib::api().archive_entry_hardlink)
#define archive_entry_mtime (::hutch::image::archive_lib::api().archive_entry_mtime)
#define archive_entry_mtime_is_set (::hutch::image::archive_lib::api().archive_entry_mtime_is_set)
#define archive_entry_mtime_nsec (::hutch::image::archive_lib::api().archive_entry_mtime_nsec)
#define archive_entry_new (::hutch::image::archive_lib::api().archive_entry_new)
#define archive_entry_pathname (::hutch::image::archive_lib::api().archive_entry_pathname)
#define archive_entry_perm (::hutch::image::archive_lib::api().archive_entry_perm)
#define archive_entry_rdev (::hutch::image::archive_lib::api().archive_entry_rdev)
#define archive_entry_rdevmajor (::hutch::image::archive_lib::api().archive_entry_rdevmajor)
#define archive_entry_rdevminor (::hutch::image::archive_lib::api().archive_entry_rdevminor)
#define archive_entry_set_filetype (::hutch::image::archive_lib::api().archive_entry_set_filetype)
#define archive_entry_set_gid (::hutch::image::archive_lib::api().archive_entry_set_gid)
#define archive_entry_set_hardlink (::hutch::image::archive_lib::api().archive_entry_set_hardlink)
#define archive_entry_set_mtime (::hutch::image::archive_lib::api().archive_entry_set_mtime)
#define archive_entry_set_pathname (::hutch::image::archive_lib::api().archive_entry_set_pathname)
#define archive_entry_set_perm (::hutch::image::archive_lib::api().archive_entry_set_perm)
#define archive_entry_set_rdevmajor (::hutch::image::archive_lib::api().archive_entry_set_rdevmajor)
#define archive_entry_set_rdevminor (::hutch::image::archive_lib::api().archive_entry_set_rdevminor)
#define archive_entry_set_size (::hutch::image::archive_lib::api().archive_entry_set_size)
#define archive_entry_set_symlink (::hutch::image::archive_lib::api().archive_entry_set_symlink)
#define archive_entry_set_uid (::hutch::image::archive_lib::api().archive_entry_set_uid)
#define archive_entry_size (::hutch::image::archive_lib::api().archive_entry_size)
#define archive_entry_size_is_set (::hutch::image::archive_lib::api().archive_entry_size_is_set)
#define archive_entry_sparse_add_entry (::hutch::image::archive_lib::api().archive_entry_sparse_add_entry)
#define archive_entry_sparse_count (::hutch::image::archive_lib::api().archive_entry_sparse_count)
#define archive_entry_symlink (::hutch::image::archive_lib::api().archive_entry_symlink)
#define archive_entry_uid (::hutch::image::archive_lib::api().archive_entry_uid)
#define archive_entry_xattr_add_entry (::hutch::image::archive_lib::api().archive_entry_xattr_add_entry)
#define archive_entry_xattr_next (::hutch::image::archive_lib::api().archive_entry_xattr_next)
#define archive_entry_xattr_reset (::hutch::image::archive_lib::api().archive_entry_xattr_reset)
#define archive_errno (::hutch::image::archive_lib::api().archive_errno)
#define archive_error_string (::hutch::image::archive_lib::api().archive_error_string)
#define archive_filter_bytes (::hutch::image::archive_lib::api().archive_filter_bytes)
#define archive_read_data (::hutch::image::archive_lib::api().archive_read_data)
#define archive_read_data_block (::hutch::image::archive_lib::api().archive_read_data_block)
#define archive_read_free (::hutch::image::archive_lib::api().archive_read_free)
#define archive_read_new (::hutch::image::archive_lib::api().archive_read_new)
#define archive_read_next_header (::hutch::image::archive_lib::api().archive_read_next_header)
#define archive_read_open (::hutch::image::archive_lib::api().archive_read_open)
#define archive_read_open_fd (::hutch::image::archive_lib::api().archive_read_open_fd)
#define archive_read_open_memory (::hutch::image::archive_lib::api().archive_read_open_memory)
#define archive_read_support_filter_bzip2 (::hutch::image::archive_lib::api().archive_read_support_filter_bzip2)
#define archive_read_support_filter_gzip (::hutch::image::archive_lib::api().archive_read_support_filter_gzip)
#define archive_read_support_filter_none (::hutch::image::archive_lib::api().archive_read_support_filter_none)
#define archive_read_support_filter_xz (::hutch::image::archive_lib::api().archive_read_support_filter_xz)
#define archive_read_support_filter_zstd (::hutch::image::archive_lib::api().archive_read_support_filter_zstd)
#define archive_read_support_format_gnutar (::hutch::image::archive_lib::api().archive_read_support_format_gnutar)
#define archive_read_support_format_tar (::hutch::image::archive_lib::api().archive_read_support_format_tar)
#define archive_set_error (::hutch::image::archive_lib::api().archive_set_error)
#define archive_write_add_filter_gzip (::hutch::image::archive_lib::api().archive_write_add_filter_gzip)
#define archive_write_add_filter_zstd (::hutch::image::archive_lib::api().archive_write_add_filter_zstd)
#define archive_write_close (::hutch::image::archive_lib::api().archive_write_close)
#define archive_write_data (::hutch::image::archive_lib::api().archive_write_data)
#define archive_write_free (::hutch::image::archive_lib::api().archive_write_free)
#define archive_write_header (::hutch::image::archive_lib::api().archive_write_header)
#define archive_write_new (::hutch::image::archive_lib::api().archive_write_new)
#define archive_write_open (::hutch::image::archive_lib::api().archive_write_open)
#define archive_write_open2 (::hutch::image::archive_lib::api().archive_write_open2)
#define archive_write_open_fd (::hutch::image::archive_lib::api().archive_write_open_fd)
#define archive_write_set_bytes_in_last_block (::hutch::image::archive_lib::api().archive_write_set_bytes_in_last_block)
#define archive_write_set_format_gnutar (::hutch::image::archive_lib::api().archive_write_set_format_gnutar)
#define archive_write_set_format_pax_restricted (::hutch::image::archive_lib::api().archive_write_set_format_pax_restricted)
#define archive_write_set_format_ustar (::hutch::image::archive_lib::api().archive_write_set_format_ustar)
#endif  // HUTCH_ARCHIVE_NO_MACROS
