// ManifestLists: the local manifest lists of `hutch manifest`, in
// <root>/manifests.json (docs/design/on-disk-layout.md).
//
// A list is named by a normalised reference ("127.0.0.1:5000/app:1") and
// records the digest of its OCI image index, a blob in the content store,
// plus, for every manifest that index names, a copy of the image's record
// (config, layers, diff_ids, media type) as it was when added. The copy is
// what keeps the image's blobs and layers out of GC for as long as the list
// exists, even when the image itself is untagged or removed, and what a
// push of the list sends. Every change takes an exclusive flock on
// <root>/manifests.lock, re-reads the file and replaces it atomically
// (write temp, fsync, rename), as the image index does. manifests.json
// goes with the last list, and reading a store that has no lists makes no
// lock file, so a store that never had lists has neither file.
// Thread-safety: an instance may be shared; each call locks the file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_index.h"

namespace hutch::image {

struct ManifestList {
  std::string name;   // normalised reference
  std::string index;  // "sha256:..." of the index blob
  // Manifest digest -> the record of the image it is (names left empty).
  std::map<std::string, ImageRecord> images;
  int64_t created = 0;  // unix seconds the list was made
};

class ManifestLists {
 public:
  explicit ManifestLists(std::string root) : root_(std::move(root)) {}

  // Every list, by name.
  Result<std::vector<ManifestList>> list() const;
  // The list named `name` (normalised by the caller); ENOENT "No such
  // manifest: NAME" when there is none.
  Result<ManifestList> find(const std::string& name) const;
  // Applies `change` to all lists (keyed by name) under the lock and writes
  // the result; nothing is written when `change` fails.
  Status update(const std::function<Status(std::map<std::string, ManifestList>&)>& change) const;

 private:
  Result<std::map<std::string, ManifestList>> read_unlocked() const;
  Status write_unlocked(const std::map<std::string, ManifestList>& all) const;
  std::string root_;
};

// What GC must keep for the lists: their images' records (for
// image/retention.h) and their index blobs.
std::vector<ImageRecord> listed_images(const std::vector<ManifestList>& lists);
std::vector<std::string> index_blobs(const std::vector<ManifestList>& lists);

}  // namespace hutch::image
