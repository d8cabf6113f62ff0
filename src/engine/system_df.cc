#include "engine/system_df.h"

#include <set>

#include "image/layer_store.h"

namespace hutch::engine {

LayerSharing layer_sharing(const std::vector<std::vector<std::string>>& image_chains,
                           const std::map<std::string, uint64_t>& sizes) {
  auto size_of = [&](const std::string& c) -> uint64_t {
    auto it = sizes.find(c);
    return it == sizes.end() ? 0 : it->second;
  };
  // How many images use each layer (an image listing a layer twice uses it once).
  std::map<std::string, int> users;
  for (const auto& chains : image_chains)
    for (const auto& c : std::set<std::string>(chains.begin(), chains.end())) ++users[c];
  LayerSharing out;
  for (const auto& [c, n] : users) out.total += size_of(c);
  for (const auto& chains : image_chains) {
    uint64_t shared = 0;
    for (const auto& c : std::set<std::string>(chains.begin(), chains.end()))
      if (users[c] > 1) shared += size_of(c);
    out.shared.push_back(shared);
  }
  return out;
}

Result<DiskUsage> disk_usage(const std::string& root) {
  DiskUsage du;
  ASSIGN_OR_RETURN(du.images, list_images(root, {}));
  image::LayerStore layers(root);
  std::vector<std::vector<std::string>> image_chains;
  std::map<std::string, uint64_t> sizes;
  for (const auto& s : du.images) {
    std::vector<image::Digest> diffs;
    for (const auto& d : s.record.diff_ids) {
      auto dg = image::Digest::parse(d);
      if (dg.ok()) diffs.push_back(*dg);
    }
    std::vector<std::string> chains;
    for (const auto& c : image::chain_ids(diffs)) {
      chains.push_back(c.str());
      if (!sizes.count(c.str())) {
        auto sz = layers.size(c);
        sizes[c.str()] = sz.ok() ? *sz : 0;
      }
    }
    image_chains.push_back(std::move(chains));
  }
  LayerSharing sharing = layer_sharing(image_chains, sizes);
  du.images_size = sharing.total;
  uint64_t used = 0;
  for (size_t i = 0; i < du.images.size(); ++i) {
    auto& s = du.images[i];
    s.shared_size = static_cast<int64_t>(sharing.shared[i]);
    // No containers exist yet (issue: containers), so no image is in use.
    s.containers = 0;
    if (s.containers > 0) {
      ++du.images_active;
      used += s.record.size - static_cast<uint64_t>(s.shared_size);
    }
  }
  // docker: the images' total less what images in use hold alone.
  du.images_reclaimable = du.images_size > used ? du.images_size - used : 0;
  return du;
}

}  // namespace hutch::engine
