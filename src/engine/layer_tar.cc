#include "engine/layer_tar.h"

#include <algorithm>
#include <cstring>

#include "image/layer_store.h"

namespace hutch::engine {
namespace {

// The layer store's rebuilt tar, handed out in caller-sized pieces.
class Rebuilt : public LayerTar {
 public:
  explicit Rebuilt(image::LayerTarReader r) : r_(std::move(r)) {}
  Result<size_t> read(char* buf, size_t cap) override {
    if (left_.empty()) {
      ASSIGN_OR_RETURN(left_, r_.next());
      if (left_.empty()) return size_t{0};
    }
    size_t n = std::min(cap, left_.size());
    std::memcpy(buf, left_.data(), n);
    left_.remove_prefix(n);
    return n;
  }
  uint64_t size() const override { return r_.size(); }

 private:
  image::LayerTarReader r_;
  std::string_view left_;
};

}  // namespace

Result<std::unique_ptr<LayerTar>> open_layer_tar(const std::string& root, const image::Digest& chain_id,
                                                 const image::Digest& blob) {
  image::LayerStore layers(root);
  auto r = layers.open_tar(chain_id);
  if (!r.ok())
    return std::move(r).error().with_context("rebuild layer " + chain_id.str() + " (blob " + blob.str() + ")");
  return std::unique_ptr<LayerTar>(new Rebuilt(std::move(r).value()));
}

}  // namespace hutch::engine
