// Image archives, writing side: `save` as docker-archive (what `docker
// load` and `podman load` read: manifest.json, <config>.json and one
// uncompressed <diff_id>.tar per layer) or oci-archive (oci-layout,
// index.json naming each image, blobs/sha256/*). Compressed layer blobs
// are decompressed for docker-archive, so each layer file's sha256 is its
// diff_id. Thread-safety: single caller per call.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_index.h"
#include "image/store.h"

namespace hutch::image {

enum class ArchiveFormat { kDocker, kOci };

struct SaveItem {
  ImageRecord record;
  std::vector<std::string> names;  // as written into the archive ("busybox:latest")
};

// Writes the archive to `out_fd`; temporary files go below `tmp_dir`.
Status save_archive(int out_fd, const std::vector<SaveItem>& items, ArchiveFormat format, const ContentStore& store,
                    const std::string& tmp_dir);

}  // namespace hutch::image
