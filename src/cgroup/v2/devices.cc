// v2 device control: an eBPF program instead of devices.allow/deny.
#include "cgroup/internal/convert.h"
#include "cgroup/v2/devices_bpf.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Status apply_devices(const std::string& dir, const std::vector<oci::DeviceCgroup>& rules) {
  for (size_t i = 0; i < rules.size(); ++i) TRY(check_device_rule(rules[i], i));
  return attach_device_program(dir, device_program(rules));
}

}  // namespace hutch::cgroup::v2
