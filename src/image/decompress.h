// decompress_layer: undoes a layer's gzip or zstd compression (detected
// from its first bytes, as apply_layer does) from one fd to another. The
// pull path runs it on a thread of its own between the download and the
// unpacker, so inflating a layer overlaps writing its files. Nothing is
// hashed here: the unpacker hashes the plain tar it reads for the diff_id.
// Thread-safety: independent calls may run in parallel.
#pragma once

#include <cstdint>

#include "base/error.h"

namespace hutch::image {

// Copies the uncompressed tar read from `in_fd` to `out_fd`; returns the
// number of bytes written. Plain tar passes through unchanged.
Result<uint64_t> decompress_layer(int in_fd, int out_fd);

}  // namespace hutch::image
