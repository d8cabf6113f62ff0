// The cgroup v2 device controller: an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the group decides every device
// access (cgroup-v2.rst, "Device controller"; there are no devices.* files).
//
// device_program() compiles linux.resources.devices into that program as
// pure code. Rules keep their v1 meaning: later rules override earlier
// ones, an access nothing allows is denied, and type "a" matches every
// device whatever its numbers and access. attach_device_program() loads it
// with bpf(2) and attaches it with BPF_F_ALLOW_MULTI, then detaches the
// programs attached before, so an update never leaves a gap unguarded.
// Thread-safety: no shared state.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hutch::cgroup::v2 {

// The program reads struct bpf_cgroup_dev_ctx from r1 and returns 1 to
// allow, 0 to deny. Rules must have passed check_device_rule().
std::vector<bpf_insn> device_program(const std::vector<oci::DeviceCgroup>& rules);

// Loads `program` and attaches it to the group directory `dir`.
Status attach_device_program(const std::string& dir, const std::vector<bpf_insn>& program);

}  // namespace hutch::cgroup::v2
