// v1 devices controller: Documentation/admin-guide/cgroup-v1/devices.rst.
#include "cgroup/internal/convert.h"
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

static std::string number(int64_t n) { return n < 0 ? "*" : std::to_string(n); }

std::vector<Write> device_writes(const std::vector<oci::DeviceCgroup>& rules) {
  // Each write edits the group's exception list, and later rules override
  // earlier ones; starting from "deny all" makes the result depend on the
  // rules alone, not on what the group allowed before (as runc does).
  std::vector<Write> out = {{"devices.deny", "a"}};
  for (const auto& r : rules) {
    std::string line(1, device_type(r));
    line += " " + number(device_major(r)) + ":" + number(device_minor(r)) + " " + device_access(r);
    out.push_back({r.allow ? "devices.allow" : "devices.deny", line});
  }
  return out;
}

Status apply_devices(const std::string& dir, const std::vector<oci::DeviceCgroup>& rules) {
  for (size_t i = 0; i < rules.size(); ++i) TRY(check_device_rule(rules[i], i));
  return apply_writes(dir, device_writes(rules));
}

}  // namespace hutch::cgroup::v1
