// docker pull: resolves a reference on its registry (mirrors first, for
// the registries that have them), picks the platform from an index,
// verifies every document against its digest, and streams the missing
// layers in parallel straight into the layer store: each layer is
// downloaded, hashed, decompressed and unpacked at once, with no copy of
// the compressed blob kept. The image's name appears in the index only
// after every layer is in place, so a pull killed at any instant leaves no
// half image; the next pull reuses the layers that completed.
// Thread-safety: one call at a time per process (it starts its own
// download threads); several processes may pull into one store at once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"
#include "image/archive.h"
#include "image/image_index.h"

namespace hutch::engine {

// What the CLI shows while pulling; calls are serialised by the engine.
struct PullEvent {
  enum class Kind {
    kResolved,    // text = the manifest digest; the layers are known
    kLayerQueued, // "Pulling fs layer"
    kLayerExists, // "Already exists"
    kLayerBytes,  // current/total compressed bytes so far
    kLayerDone,   // "Pull complete"
  };
  Kind kind;
  std::string layer;  // the layer's blob digest
  uint64_t current = 0, total = 0;
  std::string text;
};
using PullProgress = std::function<void(const PullEvent&)>;

struct PullOptions {
  image::Platform platform;  // os/architecture/variant wanted
  std::string auth_file;     // docker config.json with credentials
  PullProgress progress;     // may be empty
  int parallel = 3;          // layers downloaded at once
};

struct PullResult {
  image::ImageRecord record;
  std::string digest;    // what the reference resolved to (index or manifest)
  std::string name;      // normalised reference ("127.0.0.1:5000/app:1")
  bool updated = false;  // false when the image was already up to date
};

// Pulls `ref` into the store at `root`.
Result<PullResult> pull(const std::string& root, const std::string& ref, const PullOptions& opts);

// "linux/arm64/v8" -> Platform; errors name the text.
Result<image::Platform> parse_platform(const std::string& text);

}  // namespace hutch::engine
