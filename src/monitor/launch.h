// Starting a monitor from the engine: the process side of protocol.h.
// Thread-safety: one Launch per thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::monitor {

class Launch {
 public:
  // Runs `monitor_binary <bundle>` in a new session, detached from our
  // stdio (stdin/stdout/stderr on /dev/null), and waits for "created" or
  // "error". The monitor stays our child until we exit (never waited for).
  // An "error" from the monitor becomes an Error whose text is the
  // runtime's message (the "exec: code=N: " prefix of the protocol taken
  // off by parse_error_message); its code is ENOENT or EACCES when the
  // container's executable is missing or not executable (see
  // exit_code_for), else EIO.
  // `spawned` runs once the monitor process exists, before "created".
  static Result<Launch> begin(const std::string& monitor_binary, const std::string& bundle,
                              const std::function<void(pid_t)>& spawned = {});
  pid_t container_pid() const { return pid_; }
  // Sends "start" and waits for "started" or "error". `attached`: the
  // caller follows the container on its attach socket, so "started" need
  // not wait for the database to say "running".
  Status start(bool attached = false);

 private:
  UniqueFd sync_;
  pid_t pid_ = 0;
  std::string bundle_;
};

// The exit code docker gives a `run` that failed to start with `e`: 127
// (executable not found), 126 (not executable), else 125.
int exit_code_for(const Error& e);

// Parses an "error <text>" payload: the text without a "code=N: " prefix,
// and N (0 when absent). The monitor writes "error exec: code=127: <text>".
void parse_error_message(std::string_view payload, std::string* text, int* code);

// The hutch-monitor binary next to the running executable
// (/proc/self/exe's directory), else "hutch-monitor" on PATH.
std::string monitor_binary();

}  // namespace hutch::monitor
