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
  // Runs `monitor_binary -` the same way, before its bundle exists: the
  // monitor's start-up overlaps the caller's work until hand() names the
  // bundle. Dropped without hand(), the monitor reads EOF and exits; the
  // destructor reaps it. (Not from a thread: a second thread makes every
  // page-table change in this process a cross-CPU TLB flush, which costs
  // more than the exec it would hide.)
  // `title_len`: the length of the bundle path to come, when known; the
  // monitor writes the path over a placeholder argument that long, so ps
  // shows which container it watches.
  static Result<Launch> spawn(const std::string& monitor_binary, size_t title_len = 0);
  // The second half of begin() for a spawn()ed monitor: sends the bundle,
  // runs `spawned`, waits for "created" or "error" (as begin).
  Status hand(const std::string& bundle, const std::function<void(pid_t)>& spawned = {});
  // hand() in two steps, for a caller with work to do while the monitor
  // creates the container: send_bundle(), then wait_created().
  Status send_bundle(const std::string& bundle);
  Status wait_created();
  // Before "start": the container's name changed since the monitor read
  // its settings (a generated name drawn again); it goes in its events.
  Status send_name(const std::string& name);
  // Before "start": tells a monitor that was sent a bundle that the engine
  // gives up on this container and has no row for it (the monitor undoes
  // the create without touching the database), then waits for it to exit.
  void abandon();
  bool waiting_for_bundle() const { return waiting_; }
  pid_t monitor_pid() const { return monitor_pid_; }

  Launch() = default;
  Launch(Launch&& o) noexcept { *this = std::move(o); }
  Launch& operator=(Launch&& o) noexcept;
  ~Launch();
  pid_t container_pid() const { return pid_; }
  // Sends "start" and waits for "started" or "error". `attached`: the
  // caller follows the container on its attach socket, so "started" need
  // not wait for the database to say "running".
  Status start(bool attached = false);

 private:
  void reap_unused();  // a spawn()ed monitor never sent a bundle: closed and waited for

  UniqueFd sync_;
  pid_t pid_ = 0;
  pid_t monitor_pid_ = 0;
  bool waiting_ = false;  // spawn()ed, no bundle handed yet
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
