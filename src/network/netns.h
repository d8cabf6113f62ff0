// Network namespaces that outlive their processes: created empty (with
// "lo" up) before the container, pinned by a bind mount of
// /proc/<pid>/ns/net on a file (as `ip netns add` does), joined by the OCI
// runtime through the spec's namespace path, and handed to CNI plugins as
// CNI_NETNS. They live as long as the container's networking: across
// restarts by the monitor, until the container stops for good.
// Thread-safety: forks single-threaded children; the caller's own
// namespaces are never changed.
#pragma once

#include <string>

#include "base/error.h"

namespace hutch::network {

// Creates `path` (an empty file; its directory too) and pins a new network
// namespace on it, loopback up. EEXIST when `path` already pins one.
Status create_netns(const std::string& path);

// Unmounts and deletes `path`. OK when it is absent; a plain file (a
// create that died half-way) is deleted too.
Status remove_netns(const std::string& path);

// Whether `path` pins a network namespace (is a mount point of nsfs).
bool is_netns(const std::string& path);

}  // namespace hutch::network
