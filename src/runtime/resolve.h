// Resolving paths inside a container's rootfs without ever leaving it.
//
// Every lookup is relative to a directory fd of the rootfs and uses
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so ".." and absolute
// symlinks stay inside the root (CVE-2021-30465: mount targets swapped for
// symlinks). The result is an O_PATH fd; mounting onto "/proc/self/fd/N"
// then acts on exactly the inode that was checked.
// Thread-safety: no shared state.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::runtime {

enum class CreateKind { kNone, kDirectory, kFile };

// Opens `path` (container-absolute) inside `root_fd`; when missing, creates
// the parents as directories and the last component as `kind`.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, CreateKind kind, mode_t mode = 0755);
// Same, with flags for the final open (e.g. O_RDONLY|O_DIRECTORY).
Result<UniqueFd> open_in_root_flags(int root_fd, const std::string& path, int flags);
// "/proc/self/fd/N" for a fd.
std::string fd_path(int fd);

}  // namespace hutch::runtime
