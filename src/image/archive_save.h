// Image archives, writing side: `save` as docker-archive (what `docker
// load` and `podman load` read: manifest.json, <config>.json and one
// uncompressed <diff_id>.tar per layer) or oci-archive (oci-layout,
// index.json naming each image, blobs/sha256/*). A docker-archive layer is
// the exact uncompressed tar (its sha256 is its diff_id): the stored blob
// when it is that tar, else rebuilt from the layer store's tar-split, else
// the stored blob decompressed. An oci-archive holds the stored blobs as
// they are; a layer whose blob is gone (its layer has a tar-split instead)
// is rebuilt, and gzip-compressed if the blob was compressed, which gives
// the image a new manifest (see save_oci).
// Thread-safety: single caller per call.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_index.h"
#include "image/layer_store.h"
#include "image/store.h"

namespace hutch::image {

enum class ArchiveFormat { kDocker, kOci };

struct SaveItem {
  ImageRecord record;
  std::vector<std::string> names;  // as written into the archive ("busybox:latest")
};

// Writes the archive to `out_fd`; temporary files go below `tmp_dir`.
// Without `layers`, every layer blob must be in `store`.
Status save_archive(int out_fd, const std::vector<SaveItem>& items, ArchiveFormat format, const ContentStore& store,
                    const std::string& tmp_dir, const LayerStore* layers = nullptr);

}  // namespace hutch::image
