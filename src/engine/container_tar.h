// Tar streams of directory trees, for docker cp, export and commit: a
// tree (a container's files or the host's) written as a tar, and a tar
// unpacked into a tree.
//
// Container files are untrusted, and so are their names and the tars the
// container side hands over. The writer walks by directory fds, never
// follows a symlink below its top, never opens a file that is not a regular
// file (each is opened O_PATH first and reopened through /proc/self/fd once
// its type is known), and never crosses into another mount. The extractor
// resolves every parent below `root_fd` with openat2 and the caller's
// RESOLVE_* flags (RESOLVE_IN_ROOT for a container, RESOLVE_BENEATH on the
// host), refuses names that climb above the destination, creates each entry
// with O_EXCL/O_NOFOLLOW after removing what was there (never a directory
// replaced by a non-directory or the reverse, as docker), and changes
// owners, modes and times through fds of the entries it made.
// Thread-safety: independent calls; each uses its own fds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "base/error.h"

namespace hutch::engine {

// Receives the tar's bytes in order.
using TarSink = std::function<Status(const void* data, size_t size)>;

struct TarWriteOptions {
  // The name of the top entry in the tar ("" with a directory top: its
  // children only, at the top level of the tar, as export and "SRC/." do).
  std::string top_name;
  // Commit: overlay whiteouts (char device 0:0) become ".wh.NAME" files and
  // opaque directories get a ".wh..wh..opq" entry (image-spec layer.md,
  // "Whiteouts"); trusted.overlay.* xattrs are never written in any mode.
  bool oci_whiteouts = false;
  // Paths (relative to the top, "etc/hosts") left out when they are an
  // empty file or directory: the runtime's mount points.
  std::set<std::string> skip_empty;
};

// Writes the tree at `top_fd` (any fd of the top entry: O_PATH is enough;
// a symlink's own O_PATH|O_NOFOLLOW fd archives the link) as a tar.
Status write_tree_tar(int top_fd, const TarWriteOptions& o, const TarSink& sink);
// The same into a file, pipe or socket.
Status write_tree_tar(int top_fd, const TarWriteOptions& o, int out_fd);

struct TarExtractOptions {
  // openat2 resolve flags for paths below root_fd (linux/openat2.h):
  // RESOLVE_IN_ROOT in a container, RESOLVE_BENEATH on the host. Magic
  // links are always refused.
  uint64_t resolve = 0;
  // Keep the tar's uid/gid (docker cp -a); else every entry gets uid:gid.
  bool preserve_owners = false;
  uid_t uid = 0;
  gid_t gid = 0;
  // Create device nodes (into containers); else they are skipped with a
  // warning (a device from a container is never made on the host).
  bool devices = false;
};

// Reads a tar (plain, gzip, bzip2, xz or zstd) from `in_fd` and unpacks it
// at `base` (a path below root_fd, "" for root_fd itself; it must be a
// directory). Parents missing from the tar are made (0755).
Status extract_tar(int in_fd, int root_fd, const std::string& base, const TarExtractOptions& o);

// "a/./b/../c" -> "a/c"; leading "/" dropped; "" for the top. EINVAL when
// ".." climbs above the top. Pure.
Result<std::string> clean_relative(std::string_view path);

// openat2(dirfd, path, flags, resolve | RESOLVE_NO_MAGICLINKS), O_CLOEXEC
// added; "" opens dirfd itself. Returns the fd or -1 with errno set.
int open_resolved(int dirfd, const std::string& path, int flags, uint64_t resolve);

}  // namespace hutch::engine
