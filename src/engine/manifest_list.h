// Manifest lists (docker manifest, built from local images as podman does):
// create a list of local images for several platforms, annotate an entry's
// platform, inspect, remove, and push: every image of the list by digest to
// one repository, then the OCI image index under the destination's tag.
//
// A list's index is a blob in the content store and its record lives in
// <root>/manifests.json (image/manifest_lists.h), which also keeps the
// listed images from GC while the list exists. Entries are described by
// their manifest's media type, digest and size, and by the platform their
// config states (os, architecture, variant, os.version, os.features); a
// list holds at most one image per platform.
// Thread-safety: one call at a time per process (push starts upload
// threads); several processes may work on one store (the files are locked).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/push.h"
#include "oci/image.h"

namespace hutch::engine {

// --- pure parts ---------------------------------------------------------------

// The platform an image's config states.
oci::Platform platform_of(const oci::ImageConfig& config);
// "linux/arm64/v8" (os/architecture[/variant]).
std::string platform_text(const oci::Platform& p);

// An image to add to a list: its descriptor (platform set) and the name the
// user gave, for errors.
struct ListEntry {
  std::string name;
  oci::Descriptor descriptor;
};

// `base` (the list being amended, or an empty index) with `add` appended;
// an entry of `base` with the digest or platform of a new one is replaced
// by it. Two new entries for one platform, or an entry without os and
// architecture, are errors naming the images. The result is an OCI index.
Result<oci::Index> add_to_index(const oci::Index& base, const std::vector<ListEntry>& add);

// What `hutch manifest annotate` changes in an entry's platform; unset
// fields stay.
struct PlatformChange {
  std::optional<std::string> os, architecture, variant, os_version;
  std::optional<std::vector<std::string>> os_features;
};

// `index` with the platform of the entry whose digest is `digest` changed;
// ENOENT when no entry has it; EINVAL when a value is malformed or the
// change gives two entries one platform.
Result<oci::Index> annotate_index(const oci::Index& index, const std::string& digest, const PlatformChange& change);

// --- the store ------------------------------------------------------------------

struct CreatedList {
  std::string name;    // normalised list name
  std::string digest;  // of its index
};

// hutch manifest create [--amend] LIST IMAGE...: `images` are local image
// names or IDs. Without `amend` an existing list is an error (EEXIST).
Result<CreatedList> manifest_create(const std::string& root, const std::string& list,
                                    const std::vector<std::string>& images, bool amend);
// hutch manifest annotate LIST IMAGE: IMAGE is a local image or a manifest
// digest in the list.
Status manifest_annotate(const std::string& root, const std::string& list, const std::string& image,
                         const PlatformChange& change);
// hutch manifest inspect LIST: the index, pretty-printed (3-space indent,
// as docker prints it).
Result<std::string> manifest_inspect(const std::string& root, const std::string& list);
// hutch manifest rm LIST: forgets the list; GC may then take images that
// were only kept for it. Returns the normalised name removed.
Result<std::string> manifest_remove(const std::string& root, const std::string& list);

struct ManifestPushOptions {
  PushOptions push;    // auth, compression, chunking, per-layer progress
  bool purge = false;  // remove the local list once pushed
  // Called when an image of the list is pushed, with its descriptor as
  // pushed (platform included).
  std::function<void(const oci::Descriptor&)> on_image;
};

struct ManifestPushResult {
  std::string name;    // normalised destination
  std::string digest;  // of the index as pushed
  uint64_t size = 0;   // index bytes
  oci::Index index;    // as pushed
};

// hutch manifest push LIST [DESTINATION]: DESTINATION (default LIST) must
// be a tag reference. Every image goes to its repository by digest, then
// the index (referencing the digests actually pushed) under the tag.
Result<ManifestPushResult> manifest_push(const std::string& root, const std::string& list,
                                         const std::string& destination, const ManifestPushOptions& opts);

}  // namespace hutch::engine
