// Host device nodes for the spec builder (container_spec.h): stat one
// (--device, blkio throttles) or list /dev as docker does for --privileged.
// These make syscalls; build_spec itself takes their results as inputs.
// Thread-safety: no shared state.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "engine/container_spec.h"

namespace hutch::engine {

// stat(2) of a device node; EINVAL "not a device node" for anything else.
// Symlinks are followed (/dev/disk/by-id/...).
Result<DeviceInfo> stat_host_device(const std::string& path);

// Every device node under `dev` ("/dev"), skipping what runc and containerd
// skip: the pts, shm, fd and mqueue directories, /dev/console, and
// non-device files. Paths are as found ("/dev/sda").
std::vector<std::pair<std::string, DeviceInfo>> host_devices(const std::string& dev = "/dev");

}  // namespace hutch::engine
