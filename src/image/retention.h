// Retention: which blobs and layers the stores must keep for the images in
// the index and the manifest lists (image/manifest_lists.h). Every manifest
// and config is kept, every layer of every image, and every list's index
// blob; an image a list names is kept like one in the index. A layer blob
// is kept only while some image lists it at a position whose unpacked layer
// has no usable tar-split: otherwise the layer's exact tar can be rebuilt
// (LayerStore::open_tar), so, as in Podman's store, only the unpacked layer
// and its small split stay on disk.
// Thread-safety: independent calls. Removal races with a concurrent write
// of the same blob that is not yet named in the index, as any GC does.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_index.h"
#include "image/layer_store.h"
#include "image/store.h"

namespace hutch::image {

struct Retained {
  std::set<std::string> blobs;   // "sha256:..." digests
  std::set<std::string> chains;  // "sha256:..." chain IDs of the layers
};

Retained retained(const std::vector<ImageRecord>& images, const LayerStore& layers);

// retained() for everything the store at content.root() holds: the images
// of `index`, and the index blobs and images of its manifest lists.
Result<Retained> retained_in_store(const ImageIndex& index, const ContentStore& content, const LayerStore& layers);

// Removes those of `candidates` that no image in `index` needs any more;
// returns the bytes freed. For callers that just stored blobs (load,
// import, pull) and unpacked their layers.
Result<uint64_t> remove_unneeded_blobs(const std::vector<Digest>& candidates, const ContentStore& content,
                                       const LayerStore& layers, const ImageIndex& index);

}  // namespace hutch::image
