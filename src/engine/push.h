// docker push: uploads a local image to its registry. Only blobs the
// repository lacks are sent; a blob the registry already holds in another
// repository is mounted instead of uploaded; layers are sent as stored
// (compressed as pulled or loaded) or, when the store keeps only the
// unpacked layer, rebuilt from it and compressed (gzip by default, zstd on
// request). The manifest goes last, under the reference's tag.
// Thread-safety: one call at a time per process (it starts upload threads).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"

namespace hutch::engine {

struct PushEvent {
  enum class Kind {
    kPreparing,  // the layer is queued
    kExists,     // "Layer already exists"
    kMounted,    // text = the repository it was mounted from
    kBytes,      // current/total bytes sent (compressing or uploading)
    kPushed,     // "Pushed"
  };
  Kind kind;
  std::string layer;  // the layer's digest as shown (diff_id before compression)
  uint64_t current = 0, total = 0;
  std::string text;
};
using PushProgress = std::function<void(const PushEvent&)>;

struct PushOptions {
  std::string auth_file;
  // "" keeps layers as stored; "gzip" or "zstd" (re)compresses those that
  // are not already so (--compression-format).
  std::string compression;
  uint64_t chunk_size = 0;  // 0: one PUT per blob; else PATCH chunks
  PushProgress progress;
  int parallel = 3;
};

struct PushResult {
  std::string name;    // normalised reference pushed
  std::string tag;
  std::string digest;  // of the manifest as pushed
  uint64_t size = 0;   // manifest bytes
};

Result<PushResult> push(const std::string& root, const std::string& ref, const PushOptions& opts);

}  // namespace hutch::engine
