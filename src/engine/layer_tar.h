// LayerTar: the uncompressed tar of a stored layer, for push: rebuilt from
// the layer store's tar-split and files (exact bytes, so the same diff_id),
// in pieces of the caller's size.
// Thread-safety: an instance is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/error.h"
#include "image/digest.h"

namespace hutch::engine {

class LayerTar {
 public:
  virtual ~LayerTar() = default;
  // Fills up to `cap` bytes; 0 at the end.
  virtual Result<size_t> read(char* buf, size_t cap) = 0;
  // The tar's length when known, else 0.
  virtual uint64_t size() const = 0;
};

Result<std::unique_ptr<LayerTar>> open_layer_tar(const std::string& root, const image::Digest& chain_id,
                                                 const image::Digest& blob);

}  // namespace hutch::engine
