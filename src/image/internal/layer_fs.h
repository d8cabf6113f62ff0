// Directory-fd relative file operations for layer apply. Nothing here takes
// a host path: every name is one component (no "/", never "." or "..")
// looked up in a directory fd, or a list of such components resolved below
// the layer root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS).
// Symlinks are never followed: a layer may create symlinks pointing
// anywhere, and writing through one would write outside the layer.
// Thread-safety: no shared state.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::image::internal {

// Opens (O_RDONLY | O_DIRECTORY) the directory made of the first `count`
// components of `parts` below `root_fd`; count 0 is the root. Each component
// must be a real directory: a symlink is refused ("parent ... is a symlink",
// ELOOP), as is anything else (ENOTDIR). With `create`, missing components
// are made as directories with mode 0755, as Docker does.
Result<UniqueFd> open_dir_beneath(int root_fd, const std::vector<std::string>& parts, size_t count, bool create);

// Removes `name` from `dir_fd` if present: a non-directory is unlinked, a
// directory is removed with everything below it. Symlinks are removed, never
// followed. Returns whether a directory was removed.
Result<bool> remove_entry(int dir_fd, const std::string& name);

}  // namespace hutch::image::internal
