// Device cgroup rules the runtime adds to linux.resources.devices: the
// default devices every container has (runtime-spec "Default Devices"),
// the pty devices, mknod of any node (the cgroup still governs use), and
// each device listed in linux.devices — as runc does. Pure code.
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "oci/spec.h"

namespace hutch::runtime {

// Appends the implicit allow rules after the spec's own.
std::vector<oci::DeviceCgroup> effective_device_rules(const oci::Spec& spec);

}  // namespace hutch::runtime
