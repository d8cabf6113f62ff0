// Running the OCI runtime (and health probes through it) from the monitor:
// argv building, spawning with chosen stdio, waiting, and reading the
// runtime's error text (runc's logfmt, crun's and hutchrt's plain lines),
// including docker's exit codes for a missing or non-executable command.
// Thread-safety: functions only; the monitor is single-threaded.
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "monitor/settings.h"

namespace hutch::monitor {

struct Stdio {
  int in = -1, out = -1, err = -1;  // -1 = /dev/null
};

// `<runtime> [runtime_args] --root <runtime_root> <args...>`.
std::vector<std::string> runtime_argv(const Settings& s, std::initializer_list<std::string> args);

// Forks and execs argv[0] (a path) with `io` as fds 0-2, default signal
// dispositions and an empty signal mask; in a new process group when asked.
// With `sealed_copy`, the child execs a sealed memfd copy of argv[0], as
// hutchrt does itself before it puts processes in a container
// (cli_rt/cloned_binary.h): hutchrt finds itself running from one and skips
// its own copy and second exec. Falls back to argv[0] when the copy fails.
Result<pid_t> spawn(const std::vector<std::string>& argv, Stdio io, bool new_group = false, bool sealed_copy = false);
// Waits for one child; its exit code, or 128 + signal.
Result<int> wait_exit(pid_t pid);
int decode_wait_status(int status);

struct RunResult {
  int status = 0;
  std::string output;  // stdout and stderr, at most 64 KiB
};
// Runs argv with stdin on /dev/null and waits for it.
Result<RunResult> run(const std::vector<std::string>& argv);

// The message in what a runtime printed on failure: runc's logfmt
// `msg="..."` unquoted, else the last non-empty line; surrounding space trimmed.
std::string runtime_message(std::string_view output);
// 127 when the text says the container's executable does not exist, 126
// when it may not be executed, else 0 (docker's codes for `run`).
int exec_error_code(std::string_view message);

}  // namespace hutch::monitor
