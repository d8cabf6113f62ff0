// v1 cpu controller: Documentation/scheduler/sched-design-CFS.rst (shares,
// CFS bandwidth) and sched-rt-group.rst (real-time budget).
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

static bool code_is(const Status& st, int code) { return !st.ok() && st.error().code() == code; }

static Status set_shares(const std::string& dir, uint64_t shares) {
  TRY(write_file(dir, "cpu.shares", std::to_string(shares)));
  // The kernel clamps out-of-range shares silently; read back to say so.
  ASSIGN_OR_RETURN(uint64_t got, read_uint(dir, "cpu.shares"));
  if (got < shares)
    return Error(EINVAL, "cpu.shares " + std::to_string(shares) + " is above the maximum " +
                             std::to_string(got));
  if (got > shares)
    return Error(EINVAL, "cpu.shares " + std::to_string(shares) + " is below the minimum " +
                             std::to_string(got));
  return {};
}

static Status set_bandwidth(const std::string& dir, const oci::Cpu& c) {
  int64_t quota = c.quota.value_or(0);
  std::string period, burst;
  if (c.period.value_or(0) != 0) {
    period = std::to_string(*c.period);
    auto st = write_file(dir, "cpu.cfs_period_us", period);
    // A new period can be refused while the old quota, over the new period,
    // exceeds the parent's bandwidth; an unlimited quota lifts that, so
    // retry once the quota is written.
    if (!st.ok() && !(code_is(st, EINVAL) && quota == -1)) return st;
  }
  if (c.burst) {
    burst = std::to_string(*c.burst);
    auto st = write_file(dir, "cpu.cfs_burst_us", burst);
    if (code_is(st, ENOENT)) {
      // Burst arrived in Linux 5.14; without it there is nothing to set.
      if (*c.burst != 0)
        return std::move(st).error().context("cpu.burst needs Linux 5.14 or later");
      burst.clear();
    } else if (!st.ok() && !(code_is(st, EINVAL) && quota != 0)) {
      // Burst may not exceed the quota: retry after a new quota is written.
      return st;
    }
  }
  if (quota != 0) {
    TRY(write_file(dir, "cpu.cfs_quota_us", std::to_string(quota)));
    if (!period.empty()) TRY(write_file(dir, "cpu.cfs_period_us", period));
    if (!burst.empty()) TRY(write_file(dir, "cpu.cfs_burst_us", burst));
  }
  return {};
}

Status apply_cpu(const std::string& dir, const oci::Cpu& c) {
  if (c.shares.value_or(0) != 0) TRY(set_shares(dir, *c.shares));
  TRY(set_bandwidth(dir, c));
  if (c.idle) TRY(write_file(dir, "cpu.idle", std::to_string(*c.idle)));
  // The period first: the runtime is checked against it (sched-rt-group.rst).
  if (c.realtime_period.value_or(0) != 0)
    TRY(write_file(dir, "cpu.rt_period_us", std::to_string(*c.realtime_period)));
  if (c.realtime_runtime.value_or(0) != 0)
    TRY(write_file(dir, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime)));
  return {};
}

}  // namespace hutch::cgroup::v1
