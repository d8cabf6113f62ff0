// v2 cpu controller: cgroup-v2.rst, "CPU".
#include "cgroup/internal/convert.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

static bool code_is(const Status& st, int code) { return !st.ok() && st.error().code() == code; }

Status apply_cpu(const std::string& dir, const oci::Cpu& c) {
  if (c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0)
    return Error(ENOTSUP,
                 "cpu.realtimeRuntime and cpu.realtimePeriod are not supported on "
                 "cgroup v2; leave them out");
  if (c.idle) TRY(write_file(dir, "cpu.idle", std::to_string(*c.idle)));
  if (c.shares.value_or(0) != 0)
    TRY(write_file(dir, "cpu.weight", std::to_string(shares_to_weight(*c.shares))));
  int64_t quota = c.quota.value_or(0);
  std::string burst;
  if (c.burst) {
    burst = std::to_string(*c.burst);
    auto st = write_file(dir, "cpu.max.burst", burst);
    if (code_is(st, ENOENT)) {
      // Burst arrived in Linux 5.14; without it there is nothing to set.
      if (*c.burst != 0)
        return std::move(st).error().context("cpu.burst needs Linux 5.14 or later");
      burst.clear();
    } else if (!st.ok() && !(code_is(st, EINVAL) && quota != 0)) {
      // Burst may not exceed the quota: retry after the new quota.
      return st;
    }
  }
  if (quota != 0 || c.period.value_or(0) != 0) {
    // "$MAX $PERIOD"; the period must be given with the quota, and 100ms
    // is the kernel's default.
    std::string max = quota > 0 ? std::to_string(quota) : "max";
    uint64_t period = c.period.value_or(0) != 0 ? *c.period : 100000;
    TRY(write_file(dir, "cpu.max", max + " " + std::to_string(period)));
    if (!burst.empty()) TRY(write_file(dir, "cpu.max.burst", burst));
  }
  return {};
}

}  // namespace hutch::cgroup::v2
