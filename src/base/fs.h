// File-system helpers: whole-file read/write, atomic state files,
// directory creation and removal. Paths here are host paths the runtime
// trusts; paths inside a container rootfs go through runtime/ resolve
// functions instead. Thread-safety: no shared state.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::fs {

Result<std::string> read_file(const std::string& path);
Result<std::string> read_file_at(int dirfd, const std::string& name);
// Writes (O_TRUNC|O_CREAT) a whole file.
Status write_file(const std::string& path, std::string_view content, mode_t mode = 0644);
// Writes to an existing file without truncation or creation (sysfs, procfs).
Status write_existing(const std::string& path, std::string_view content);
// Writes temp, fsync, rename, fsync dir: readers see old or new, never half.
Status write_file_atomic(const std::string& path, std::string_view content, mode_t mode = 0644);
// Temp + rename without the fsyncs: readers see old or new, never half, but
// a power loss may lose both. For state that means nothing after a reboot
// (files under /run, a --rm container's bundle), where the fsyncs would
// cost milliseconds for nothing.
Status replace_file(const std::string& path, std::string_view content, mode_t mode = 0644);
Status mkdir_p(const std::string& path, mode_t mode = 0755);
// Removes a tree without following symlinks or crossing mount points.
Status remove_all(const std::string& path);
bool exists(const std::string& path);
std::string dirname(const std::string& path);
std::string basename(const std::string& path);
// Makes path absolute against the current directory; drops "." and "..".
std::string absolute(const std::string& path);

// Opens (creating, mode 0600) `path` and takes an flock on it, shared or
// exclusive, waiting as long as it takes; the lock lives as long as the fd.
Result<UniqueFd> lock_file(const std::string& path, bool exclusive = true);

}  // namespace hutch::fs
