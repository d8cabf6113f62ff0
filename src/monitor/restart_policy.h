// Docker's restart policies as pure decisions: whether a container that
// exited is started again, and after how long.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace hutch::monitor {

// "always" restarts; "unless-stopped" restarts unless stopped by the user;
// "on-failure" restarts a non-zero exit while restart_max is 0 or
// restart_count < restart_max; "no" never. Nothing restarts after a stop
// by the user.
bool should_restart(const std::string& policy, int restart_max, int exit_code, int restart_count,
                    bool stopped_by_user);

constexpr int64_t kFirstBackoffNs = 100'000'000;      // 100 ms
constexpr int64_t kMaxBackoffNs = 60'000'000'000;     // 1 min
constexpr int64_t kBackoffResetRunNs = 10'000'000'000;  // ran 10 s: start over

// The delay before the next restart, given the previous delay (0 = none
// yet) and how long the container ran: 100 ms, doubling, capped at 1 min,
// back to 100 ms after a run of 10 s (moby's restartmanager).
int64_t next_backoff_ns(int64_t previous_ns, int64_t ran_ns);

}  // namespace hutch::monitor
