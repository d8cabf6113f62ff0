// Image archives: `load` of docker-archive (manifest.json + config +
// layer tars, as `docker save`/`podman save` write) and oci-archive
// (oci-layout + index.json + blobs/, optionally gzip- or zstd-compressed as
// a whole). Every member is streamed into the content store while it is
// hashed (OCI blobs must match their names); layers are unpacked once into
// the layer store; names are recorded in the image index last, so a crash
// mid-load shows no half image. Thread-safety: single caller per call.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_index.h"
#include "image/layer_store.h"
#include "image/store.h"

namespace hutch::image {

struct Stores {
  const ContentStore* content = nullptr;
  const LayerStore* layers = nullptr;
  const ImageIndex* index = nullptr;
  // Turns the names an archive gives ("busybox:latest") into the index's
  // normalised form, dropping invalid ones (the engine supplies it).
  std::function<std::vector<std::string>(const std::vector<std::string>&)> normalise;
};

struct Platform {
  std::string os = "linux";
  std::string architecture;  // "amd64"
  std::string variant;
};
// The platform of this host, as Go names it.
Platform host_platform();

// Loads every image in the archive read from `fd`; returns their records.
Result<std::vector<ImageRecord>> load_archive(int fd, const Stores& stores, const Platform& want);

}  // namespace hutch::image
