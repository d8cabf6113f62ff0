// LayerStore: unpacked layers, each once, shared as overlayfs lower dirs
// by every image and container that uses them.
//
// Layout: <root>/layers/<chain-id hex>/diff (the files), .../layer.json
// ({"diffId","parent","size","tarSize"}) and, when usable, .../tar-split
// (internal/tar_split.h): with it the layer's exact uncompressed tar can be
// rebuilt (open_tar), so the compressed blob need not be kept. A split is
// unusable when a later entry of the layer replaced a file whose data it
// references (duplicate names); callers then keep the blob. A layer is unpacked into
// <root>/layers/.tmp-<random>/diff and renamed into place only when it
// is complete and its diff_id matched, so a crash never leaves a partial
// layer visible; leftovers of crashed unpacks are removed by gc.
// The chain ID is image-spec's: chain(L0) = diff_id(L0);
// chain(Ln) = sha256(chain(Ln-1) + " " + diff_id(Ln)).
// Thread-safety: independent; concurrent unpacks of the same layer race to
// the rename and the loser discards its copy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/digest.h"
#include "image/layer_tar.h"

namespace hutch::image {

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

class LayerStore {
 public:
  explicit LayerStore(std::string root) : root_(std::move(root)) {}

  std::string dir(const Digest& chain_id) const;       // .../layers/<hex>
  std::string diff_dir(const Digest& chain_id) const;  // .../layers/<hex>/diff
  bool has(const Digest& chain_id) const;
  Result<uint64_t> size(const Digest& chain_id) const;

  // Unpacks the layer read from `in_fd` (a file or pipe; compressed or not)
  // as the layer with `chain_id` whose parent is `parent` (empty for the
  // base layer). The computed diff_id must equal `diff_id`, or nothing is
  // kept. A tar-split is recorded on the way: has_tar_split() tells whether
  // the blob is still needed.
  Status unpack(int in_fd, const Digest& chain_id, const Digest& diff_id, const std::string& parent,
                bool rootless = false) const;
  // Unpacks a base layer whose diff_id is not known beforehand (import):
  // returns it; the layer's chain ID is its diff_id.
  Result<Digest> unpack_base(int in_fd, bool rootless = false) const;
  Status remove(const Digest& chain_id) const;
  // Removes the temporary directories (".tmp-<owner>-...") of unpacks and
  // removals whose process died; those of live processes stay.
  Status clean_stale() const;
  Result<std::vector<Digest>> list() const;

  // Whether the layer exists with a usable tar-split, so that open_tar()
  // works and its compressed blob is redundant.
  bool has_tar_split(const Digest& chain_id) const;
  // Bytes of the tar-split file on disk (0 without one).
  uint64_t tar_split_size(const Digest& chain_id) const;
  // The layer's exact uncompressed tar, rebuilt (sha256 = its diff_id,
  // checked by the reader at the end). ENOENT without a tar-split: read the
  // blob instead.
  Result<LayerTarReader> open_tar(const Digest& chain_id) const;
  // The same, written to `out_fd` (file, pipe or socket).
  Status write_tar(const Digest& chain_id, int out_fd) const;

 private:
  Status unpack_into(int in_fd, const Digest* chain_id, const Digest* diff_id, const std::string& parent,
                     bool rootless, Digest* got_diff) const;
  std::string root_;
};

}  // namespace hutch::image
