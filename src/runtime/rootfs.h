// Rootfs: builds the container's file-system view, in order: propagation
// of "/", the rootfs bind, the OCI mounts, devices and /dev links, then
// pivot_root, masked and read-only paths, and a read-only root.
// Runs in the container child inside its new mount namespace.
// Thread-safety: single threaded.
#pragma once

#include <map>
#include <string>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/mounts.h"

namespace hutch::runtime {

struct RootfsConfig {
  std::string rootfs;  // absolute host path
  bool in_user_ns = false;
  bool new_cgroup_ns = false;
  bool no_pivot = false;
  std::map<std::string, std::string> cgroup_paths;
  std::map<size_t, int> idmap_trees;  // see MountContext
};

// Everything up to (not including) pivot_root; hooks may run after it.
Status prepare_rootfs(const oci::Spec& spec, const RootfsConfig& cfg);
// Creates the devices listed in the spec plus the default ones.
Status create_devices(const oci::Spec& spec, int root_fd, bool in_user_ns);
// pivot_root (or MS_MOVE + chroot with no_pivot) into the rootfs.
Status enter_rootfs(const std::string& rootfs, bool no_pivot);
// After pivot_root: masked paths, read-only paths, read-only root.
Status finish_rootfs(const oci::Spec& spec);
// Writes linux.sysctl into /proc/sys (after /proc is mounted).
Status apply_sysctl(const std::map<std::string, std::string>& sysctl);

}  // namespace hutch::runtime
