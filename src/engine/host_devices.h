// Host facts the spec builder (container_spec.h) takes as inputs: device
// nodes (stat one for --device and blkio throttles, or list /dev as docker
// does for --privileged), the default open-files limit and the
// capabilities we can grant. These make
// syscalls; build_spec itself stays pure.
// Thread-safety: no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "engine/container_spec.h"

namespace hutch::engine {

// stat(2) of a device node; EISDIR for a directory, EINVAL "not a device
// node" for anything else.
// Symlinks are followed (/dev/disk/by-id/...).
Result<DeviceInfo> stat_host_device(const std::string& path);

// Every device node under `dev` ("/dev"), skipping what runc and containerd
// skip: the pts, shm, fd and mqueue directories, /dev/console, and
// non-device files. Paths are as found ("/dev/sda").
std::vector<std::pair<std::string, DeviceInfo>> host_devices(const std::string& dev = "/dev");

// RLIMIT_NOFILE {soft, hard} for containers: 1048576 (docker's default)
// when our hard limit is that high or we hold CAP_SYS_RESOURCE to raise it,
// else our own hard limit (a sandboxed engine cannot raise it, and the
// runtime's setrlimit would fail with EPERM).
std::pair<uint64_t, uint64_t> default_nofile();

// The capabilities in our bounding set (prctl PR_CAPBSET_READ), by name:
// what a container started by us can hold at most.
std::vector<std::string> bounding_capabilities();

}  // namespace hutch::engine
