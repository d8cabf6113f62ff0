// docker push: uploads a local image to its registry. Only blobs the
// repository lacks are sent; a blob the registry already holds in another
// repository is mounted instead of uploaded; layers are sent as stored
// (compressed as pulled or loaded) or, when the store keeps only the
// unpacked layer, rebuilt from it and compressed (gzip by default, zstd on
// request). The manifest goes last, under the reference's tag, or under
// its own digest for the images of a manifest list (engine/manifest_list.h).
// Thread-safety: one call at a time per process (it starts upload threads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "image/image_index.h"
#include "oci/image.h"
#include "registry/client.h"
#include "registry/reference.h"

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

// hutch push REF: the local image named `ref`, under its tag.
Result<PushResult> push(const std::string& root, const std::string& ref, const PushOptions& opts);

// A client for `to`'s registry with the credentials in opts.auth_file.
Result<std::unique_ptr<registry::Client>> push_client(const registry::Reference& to, const PushOptions& opts);

// Pushes the local image `rec` to `to`'s repository through `client` (made
// by push_client for `to`): its missing blobs, then its manifest under
// `tag`, or under the manifest's own digest when `tag` is empty. Returns the
// manifest's descriptor as pushed (media type, digest, size): it differs
// from the local one when layers were (re)compressed. The pushed digest
// joins the image's repo digests when the index still holds the image.
Result<oci::Descriptor> push_image(const std::string& root, registry::Client& client, const registry::Reference& to,
                                   const image::ImageRecord& rec, const std::string& tag, const PushOptions& opts);

}  // namespace hutch::engine
