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
// tar) is computed while unpacking.
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
};

struct ApplyOptions {
  // Set owners (needs root); off for unprivileged tests.
  bool preserve_owners = true;
  // Write device nodes (needs CAP_MKNOD); off: skip them with a warning.
  bool create_devices = true;
};

// Reads the layer from `in_fd` (a file or pipe) and unpacks into `target_dir_fd`.
Result<ApplyResult> apply_layer(int in_fd, int target_dir_fd, const ApplyOptions& opts = {});

}  // namespace hutch::image
