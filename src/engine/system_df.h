// docker system df for hutch's store: images with the space they share,
// the store's image total with every layer counted once, and what removing
// unused images would free.
//
// hutch has no containers, volumes or build cache yet, so those rows are
// zero and every image is unused (reclaimable); the fields are here so the
// CLI prints docker's four rows and later issues only fill them in.
// Thread-safety: independent store reads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/image_list.h"

namespace hutch::engine {

struct DiskUsage {
  // Newest first, with shared_size and containers set.
  std::vector<ImageSummary> images;
  int64_t images_active = 0;       // images a container uses
  uint64_t images_size = 0;        // unpacked layers, each once
  uint64_t images_reclaimable = 0;
  // Not implemented yet: always empty.
  int64_t containers_total = 0, containers_active = 0;
  uint64_t containers_size = 0, containers_reclaimable = 0;
  int64_t volumes_total = 0, volumes_active = 0;
  uint64_t volumes_size = 0, volumes_reclaimable = 0;
  int64_t build_cache_total = 0, build_cache_active = 0;
  uint64_t build_cache_size = 0, build_cache_reclaimable = 0;
};

// Per image (by its layers' chain IDs), the bytes of layers another image
// also uses, and the total of all distinct layers. Layers missing from
// `sizes` count as empty.
struct LayerSharing {
  std::vector<uint64_t> shared;
  uint64_t total = 0;
};
LayerSharing layer_sharing(const std::vector<std::vector<std::string>>& image_chains,
                           const std::map<std::string, uint64_t>& sizes);

Result<DiskUsage> disk_usage(const std::string& root);

}  // namespace hutch::engine
