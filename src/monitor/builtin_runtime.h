// `hutchrt create`, `start` and `delete` without exec'ing hutchrt: when the
// container's runtime is the hutchrt installed beside this monitor, the
// monitor runs the same runtime library calls (runtime/container.h) on the
// same state directory itself, sparing an exec and a dynamic link (4-6 ms
// each on the run path). Hooks they run start with default signal handling
// (runtime/hooks.cc), whatever the monitor blocks.
//
// `create` runs here only when our executable is read-only (see
// can_create_in_process), else it execs hutchrt, as `exec` (health checks)
// always does: they leave processes in the container, and those must come
// from a binary that /proc/PID/exe cannot open for writing (hutchrt's sealed
// memfd copy, or this monitor on its read-only mount; CVE-2019-5736). start
// and delete put no process into the container: start opens exec.fifo (the
// init execs the user process itself), delete signals, removes the cgroup
// and the state directory.
// Thread-safety: single-threaded callers only (clone, setns).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include "base/error.h"
#include "monitor/settings.h"

namespace hutch::monitor {

// True when `s.runtime` is the hutchrt beside this monitor's executable
// (same build, so the same state format), without extra global arguments.
bool runtime_is_builtin(const Settings& s);

// Whether `hutchrt create` may run in this process (with a builtin
// runtime): our own executable lies on a read-only mount (Launch execs us
// through a read-only clone of its directory). The container's init is then
// our child running our code until it execs, and /proc/PID/exe can never
// open our binary for writing (CVE-2019-5736).
bool can_create_in_process();

// `hutchrt create --bundle <bundle> [--console-socket P] ID` done here; the
// init gets `stdio` as its fds 0-2. Returns the init's pid; a failure reads
// as hutchrt would print it ("hutchrt: create: ...").
Result<pid_t> create_in_process(const Settings& s, const std::string& console_socket, const int stdio[3]);

// `<runtime> start ID` or `<runtime> delete [--force] ID` done here; nullopt
// for any other command (the caller execs the runtime). A failure reads as
// hutchrt would print it ("hutchrt: start: ..."), with code EIO.
std::optional<Status> run_builtin(const Settings& s, std::initializer_list<std::string> args);

}  // namespace hutch::monitor
