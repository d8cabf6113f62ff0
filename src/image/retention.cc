#include "image/retention.h"

#include "image/manifest_lists.h"

namespace hutch::image {

Retained retained(const std::vector<ImageRecord>& images, const LayerStore& layers) {
  Retained keep;
  for (const auto& r : images) {
    keep.blobs.insert(r.manifest);
    keep.blobs.insert(r.config);
    std::vector<Digest> diffs;
    for (const auto& d : r.diff_ids) {
      auto dg = Digest::parse(d);
      if (dg.ok()) diffs.push_back(*dg);
    }
    std::vector<Digest> chains = chain_ids(diffs);
    for (const auto& c : chains) keep.chains.insert(c.str());
    for (size_t i = 0; i < r.layers.size(); ++i) {
      // A record whose diff_ids do not line up with its layers: keep all.
      bool rebuildable = diffs.size() == r.layers.size() && layers.has_tar_split(chains[i]);
      if (!rebuildable) keep.blobs.insert(r.layers[i]);
    }
  }
  return keep;
}

Result<Retained> retained_in_store(const ImageIndex& index, const ContentStore& content, const LayerStore& layers) {
  ASSIGN_OR_RETURN(std::vector<ImageRecord> images, index.list());
  ASSIGN_OR_RETURN(std::vector<ManifestList> lists, ManifestLists(content.root()).list());
  for (auto& r : listed_images(lists)) images.push_back(std::move(r));
  Retained keep = retained(images, layers);
  for (auto& d : index_blobs(lists)) keep.blobs.insert(std::move(d));
  return keep;
}

Result<uint64_t> remove_unneeded_blobs(const std::vector<Digest>& candidates, const ContentStore& content,
                                       const LayerStore& layers, const ImageIndex& index) {
  ASSIGN_OR_RETURN(Retained keep, retained_in_store(index, content, layers));
  uint64_t freed = 0;
  std::set<std::string> done;
  for (const auto& d : candidates) {
    if (keep.blobs.count(d.str()) || !done.insert(d.str()).second || !content.has(d)) continue;
    auto size = content.size(d);
    auto st = content.remove(d);
    if (!st.ok() && st.error().code() == ENOENT) continue;  // removed meanwhile
    if (!st.ok()) return std::move(st).error();
    if (size.ok()) freed += *size;
  }
  return freed;
}

}  // namespace hutch::image
