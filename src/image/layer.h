// Layer apply: unpacks an image layer (tar, optionally gzip or zstd
// compressed, detected from the stream) into a directory, in the form
// overlayfs expects as a lower layer:
//   - ".wh.NAME" whiteouts become character devices 0:0 named NAME;
//   - ".wh..wh..opq" makes its directory opaque (xattr trusted.overlay.opaque=y).
// Handles pax and GNU headers, long names, xattrs, hardlinks, symlinks,
// device nodes, fifos and sparse files. Nothing is ever written outside the
// target: every path is resolved below the layer directory's fd
// (openat2 RESOLVE_BENEATH/IN_ROOT), ".." and absolute names are refused or
// kept inside, symlinks in the layer are never followed while writing, and
// hardlink targets must lie inside. The diff_id (sha256 of the uncompressed
// tar) is computed while unpacking. Optionally a tar-split is recorded on
// the way (internal/tar_split.h): with it and the unpacked files, the exact
// tar can be rebuilt later (layer_tar.h), so the blob need not be kept.
// Thread-safety: independent calls may run in parallel on different dirs.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "image/digest.h"

namespace hutch::image {

struct ApplyResult {
  Digest diff_id;         // sha256 of the uncompressed tar stream
  uint64_t unpacked_bytes = 0;
  uint64_t entries = 0;
  uint64_t tar_size = 0;      // length of the uncompressed tar stream
  // With a split fd: whether the split written there can rebuild the tar.
  // When false its content is meaningless and should be deleted.
  bool split_usable = false;
};

struct ApplyOptions {
  // Set owners (needs root); off for unprivileged tests.
  bool preserve_owners = true;
  // Write device nodes (needs CAP_MKNOD); off: skip them with a warning.
  bool create_devices = true;
};

// Reads the layer from `in_fd` (a file or pipe) and unpacks into `target_dir_fd`.
Result<ApplyResult> apply_layer(int in_fd, int target_dir_fd, const ApplyOptions& opts = {});
// The same, writing the layer's tar-split to `split_fd` (an empty file,
// not owned; -1 for none).
Result<ApplyResult> apply_layer(int in_fd, int target_dir_fd, const ApplyOptions& opts, int split_fd);

}  // namespace hutch::image
