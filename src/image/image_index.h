// ImageIndex: which images the store holds and the names that point at
// them, in <root>/images.json (docs/design/on-disk-layout.md).
//
// An image is keyed by its manifest digest and records its config digest
// (the image ID docker shows), platform, and names ("docker.io/library/
// busybox:latest"). Every change takes an exclusive flock on
// <root>/images.lock, re-reads the file, and replaces it atomically, so
// several hutch processes can work at once and a crash leaves the old or
// the new index, never half of one.
// Thread-safety: an instance may be shared; each call locks the file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "base/json.h"

namespace hutch::image {

struct ImageRecord {
  std::string manifest;   // "sha256:..." of the manifest (the store key)
  std::string config;     // "sha256:..." of the config: the image ID
  std::string media_type; // the manifest's media type
  std::vector<std::string> names;  // normalised references, tags first
  // "registry/repo@sha256:..." of the manifest or index it was pulled by
  // (docker's RepoDigests).
  std::vector<std::string> repo_digests;
  std::vector<std::string> layers; // layer (compressed) blob digests, in order
  std::vector<std::string> diff_ids;
  uint64_t size = 0;      // sum of unpacked layer sizes
  int64_t created = 0;    // unix seconds the image entered the store
};

// The JSON form of a record as images.json stores it (the key, the
// manifest digest, is outside it), shared with other files that keep
// copies of records (manifest lists).
json_t* record_to_json(const ImageRecord& r);
ImageRecord record_from_json(const std::string& manifest, const json_t* o);

class ImageIndex {
 public:
  explicit ImageIndex(std::string root) : root_(std::move(root)) {}

  Result<std::vector<ImageRecord>> list() const;
  // Finds by name ("busybox", normalised by the caller), repo digest
  // ("registry/repo@sha256:..."), full or short image ID
  // ("sha256:abc...", "abc123"), or manifest digest.
  Result<ImageRecord> find(const std::string& name_or_id) const;
  // Adds or replaces the record for rec.manifest; its names move to it
  // from any other image (a tag points at one image).
  Status put(const ImageRecord& rec) const;
  // The lock between writers of new content and GC (<root>/gc.lock): a pull
  // or load holds it shared from before its first blob or layer until its
  // record is in the index, so GC (exclusive) never takes their layers for
  // garbage. Released when the fd closes.
  Result<UniqueFd> gc_lock(bool exclusive) const;
  // Applies `change` to the whole index under the lock.
  Status update(const std::function<Status(std::map<std::string, ImageRecord>&)>& change) const;

 private:
  Result<std::map<std::string, ImageRecord>> read_unlocked() const;
  Status write_unlocked(const std::map<std::string, ImageRecord>& all) const;
  std::string root_;
};

}  // namespace hutch::image
