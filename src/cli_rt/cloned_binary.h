// Cloned binary: before hutchrt puts a process into a container it re-runs
// itself from a sealed memfd copy, so that /proc/PID/exe of anything it
// leaves in the container points at that copy and never at the host's
// binary (CVE-2019-5736: a container overwriting the runtime through
// /proc/self/exe). Thread-safety: call first thing in main, single threaded.
#pragma once

namespace hutch::cli_rt {

// Returns only when already running from a sealed copy, or when making
// one failed (the reason is logged); otherwise it execs the copy.
void ensure_cloned_binary(char** argv, char** envp);

}  // namespace hutch::cli_rt
