// Running the container's health check: every interval (after the previous
// probe ended, as docker does) `<runtime> exec --pid-file <rundir>/health.pid
// <id> <test...>`, its output captured up to 4 KiB, killed at the timeout
// (the exec'ed process by its pid file, the runtime by its process group).
// Results go to a callback; health_state.h turns them into a status.
// Thread-safety: single-threaded (event loop).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "monitor/health_state.h"
#include "monitor/loop.h"
#include "monitor/settings.h"

namespace hutch::monitor {

class HealthChecker {
 public:
  HealthChecker() = default;
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;
  ~HealthChecker() { stop(); }

  Status init(const Settings* s, EventLoop* loop, std::function<void(const ProbeResult&)> on_result);
  // The container started: the first probe runs one interval from now.
  void start();
  // The container ended: a probe in flight is killed, no more are run.
  void stop();
  // A child the monitor reaped; true when it was the probe's runtime.
  bool on_child_exit(pid_t pid, int code);

 private:
  void run_probe();
  void on_output();
  void on_timeout();
  void finish(int exit_code);
  void kill_probe();

  const Settings* s_ = nullptr;
  EventLoop* loop_ = nullptr;
  std::function<void(const ProbeResult&)> on_result_;
  Timer interval_, timeout_;
  bool active_ = false;
  pid_t pid_ = 0;  // the runtime exec in flight, 0 when none
  UniqueFd out_;
  std::string output_;
  int64_t start_ns_ = 0;
};

// Go's time.Duration text for the timeout message ("30s", "1m30s", "500ms").
std::string go_duration(int64_t ns);

}  // namespace hutch::monitor
