#include "engine/layer_tar.h"

namespace hutch::engine {

Result<std::unique_ptr<LayerTar>> open_layer_tar(const std::string& root, const image::Digest& chain_id,
                                                 const image::Digest& blob) {
  (void)root;
  (void)blob;
  return Error::plain(ENOTSUP, "layer " + chain_id.str() + " has no stored blob to push");
}

}  // namespace hutch::engine
