// Layer compression for push: reads an uncompressed layer tar from a
// reader and writes it gzip- or zstd-compressed into an unnamed temporary
// file, hashing both sides: the compressed digest names the blob, the
// uncompressed one must equal the layer's diff_id (checked by the caller).
// Thread-safety: independent calls may run in parallel.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"
#include "image/digest.h"

namespace hutch::engine {

enum class Compression { kGzip, kZstd };

struct CompressedBlob {
  UniqueFd fd;  // O_TMPFILE, positioned anywhere: read it with pread
  image::Digest digest;
  uint64_t size = 0;
  image::Digest diff_id;  // sha256 of the uncompressed input
  uint64_t plain_size = 0;
};

// The next piece of the tar (valid until the next call); empty at the end.
using TarChunks = std::function<Result<std::string_view>()>;

Result<CompressedBlob> compress_layer(const TarChunks& in, Compression c, const std::string& tmp_dir,
                                      const std::function<void(uint64_t plain_bytes)>& progress = {});

}  // namespace hutch::engine
