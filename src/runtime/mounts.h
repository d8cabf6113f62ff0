// Mounts: performs one OCI mount inside the container's rootfs, and the
// cgroup mount shape for v1/hybrid/v2 hosts. Runs in the container child,
// in its new mount namespace, before pivot_root. Thread-safety: single
// threaded (mount namespace is per process).
#pragma once

#include <map>
#include <string>

#include "base/error.h"
#include "oci/spec.h"

namespace hutch::runtime {

struct MountContext {
  int root_fd = -1;             // the rootfs directory (O_PATH)
  std::string rootfs;           // host path of the rootfs, for messages
  bool in_user_ns = false;      // bind-mount devices, keep locked flags
  bool new_cgroup_ns = false;   // mount cgroupfs directly instead of binding
  // Controller (or "unified") -> host directory of the container's cgroup.
  std::map<std::string, std::string> cgroup_paths;
  // Mount index -> detached idmapped tree prepared by the runtime.
  std::map<size_t, int> idmap_trees;
};

// Mounts `m` (index `i` for messages) inside the rootfs.
Status do_mount(const MountContext& ctx, const oci::Mount& m, size_t i);

}  // namespace hutch::runtime
