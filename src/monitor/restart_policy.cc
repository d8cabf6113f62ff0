#include "monitor/restart_policy.h"

namespace hutch::monitor {

bool should_restart(const std::string& policy, int restart_max, int exit_code, int restart_count,
                    bool stopped_by_user) {
  if (stopped_by_user) return false;
  if (policy == "always" || policy == "unless-stopped") return true;
  if (policy == "on-failure") return exit_code != 0 && (restart_max <= 0 || restart_count < restart_max);
  return false;
}

int64_t next_backoff_ns(int64_t previous_ns, int64_t ran_ns) {
  if (ran_ns >= kBackoffResetRunNs) previous_ns = 0;
  int64_t next = previous_ns <= 0 ? kFirstBackoffNs : previous_ns * 2;
  return next > kMaxBackoffNs ? kMaxBackoffNs : next;
}

}  // namespace hutch::monitor
