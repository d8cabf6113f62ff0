// A container's view of its image's files before any mount: the layer
// directories overlayfs stacks (top-most first), and reading one file
// through them (whiteouts and opaque directories honoured) so that user
// names can be resolved at create time. Thread-safety: pure reads.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_index.h"

namespace hutch::engine {

// The diff dirs of `rec`'s layers, top-most first. ENOENT when a layer is
// missing from the store.
Result<std::vector<std::string>> layer_dirs(const std::string& root, const image::ImageRecord& rec);

// Reads the absolute `path` through `layers` (top-most first): the first
// layer holding it wins; a whiteout (char device 0:0) or an opaque parent
// directory hides lower layers. ENOENT when no layer has it. Symlinks are
// resolved inside one layer only (enough for /etc/passwd and /etc/group).
Result<std::string> read_layered_file(const std::vector<std::string>& layers, const std::string& path,
                                      size_t max_size = 4 << 20);

}  // namespace hutch::engine
