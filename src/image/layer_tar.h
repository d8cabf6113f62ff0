// LayerTarReader: rebuilds the exact uncompressed tar of an unpacked layer
// from its tar-split (internal/tar_split.h) and its diff directory, as a
// stream, for save and push once the compressed blob is gone; or, for a
// layer without a split, decompresses its stored blob (gzip, zstd or plain).
//
// Raw records are copied; each file record's payload is read from the diff
// directory with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS), so a path never leaves the layer nor follows a
// symlink; it must be a regular file of the recorded size. Everything
// handed out is hashed: the stream ends (next() returns an empty view) only
// once its length and sha256 match the layer's, else the last call fails,
// so a consumer never takes a damaged tar for the real one.
// Thread-safety: an instance is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"
#include "image/digest.h"

namespace hutch::image {

class ContentStore;
class LayerStore;

class LayerTarReader {
 public:
  // Takes both fds: the layer's diff directory and its tar-split file.
  // `size` and `diff_id` are what the tar must come to.
  LayerTarReader(UniqueFd diff_dir, UniqueFd split, const Digest& diff_id, uint64_t size);
  // Decompresses a layer blob (a file or pipe, taken) that must come to
  // `diff_id`; its size is not known beforehand (size() is 0).
  static LayerTarReader from_blob(UniqueFd blob, const Digest& diff_id);
  LayerTarReader(LayerTarReader&&) noexcept;
  LayerTarReader& operator=(LayerTarReader&&) noexcept;
  ~LayerTarReader();

  // The next bytes of the tar, valid until the next call; empty at the
  // end, after the whole tar was verified.
  Result<std::string_view> next();
  // Reads the rest into `out_fd` (a file, pipe or socket).
  Status copy_to(int out_fd);

  uint64_t size() const;  // the tar's length; 0 when not known
  const Digest& diff_id() const;

 private:
  struct Impl;
  explicit LayerTarReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The uncompressed tar of layer `chain_id` (diff_id `diff_id`, stored as
// `blob`), from whichever copy the stores hold: rebuilt from the layer's
// tar-split, else the blob decompressed. ENOENT when neither is there.
Result<LayerTarReader> open_layer_tar(const LayerStore& layers, const ContentStore& content, const Digest& chain_id,
                                      const Digest& blob, const Digest& diff_id);

}  // namespace hutch::image
