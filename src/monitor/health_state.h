// Docker's health check state as pure transitions: what one probe result
// does to the status ("starting", "healthy", "unhealthy"), the failing
// streak and the log of the last five probes (docker's JSON shape:
// [{"Start","End","ExitCode","Output"}], times RFC 3339, newest last).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace hutch::monitor {

constexpr size_t kHealthOutputMax = 4096;  // docker's maxOutputLen
constexpr int kHealthLogEntries = 5;       // docker's maxLogEntries

struct ProbeResult {
  int64_t start_ns = 0;  // unix ns
  int64_t end_ns = 0;
  int exit_code = 0;     // -1 when the probe timed out or could not run
  std::string output;
};

struct HealthState {
  std::string status = "starting";
  int failing_streak = 0;
  std::string log = "[]";
};

// Success: healthy, streak 0. Failure: the streak grows (unless the
// container never was healthy and the probe started within start_period of
// the container's start) and reaching `retries` makes it unhealthy.
HealthState apply_probe(HealthState s, const ProbeResult& r, int64_t started_at_ns, int64_t start_period_ns,
                        int retries);

// The log with r appended and at most kHealthLogEntries kept.
std::string append_health_log(const std::string& log, const ProbeResult& r);

}  // namespace hutch::monitor
