// Process: the last steps before the container's process runs, shared by
// the container init and `exec`: rlimits, OOM score, I/O priority and
// scheduler, user and groups, capabilities, no_new_privs, seccomp, umask,
// working directory, and execve. Runs in the container child only.
// Thread-safety: single threaded (credentials are per thread).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hutch::runtime {

namespace seccomp {
class Filter;
}

struct ExecPlan {
  const oci::Process* process = nullptr;
  seccomp::Filter* seccomp = nullptr;       // may be null
  const oci::Personality* personality = nullptr;
  int preserve_fds = 0;                     // fds 3..3+N-1 stay open
  int seccomp_listener_sock = -1;           // connected listener, or -1
  std::string listener_state_json;          // container state for the listener
  std::string oci_version;
  std::string listener_metadata;
};

// Applied while still privileged (before the user switch).
Status apply_rlimits(const std::vector<oci::Rlimit>& rlimits);
Status apply_oom_score_adj(int adj);
Status apply_io_priority(const oci::IoPriority& p);
Status apply_scheduler(const oci::Scheduler& s);

// Finds args[0] through PATH from the process env, as execvp would, in the
// current root. Errors use runc's wording, which podman and containerd
// map to exit codes 127 ("executable file not found") and 126.
Result<std::string> find_executable(const oci::Process& p);

// Everything from the user switch to execve; returns only on failure.
Error finalize_and_exec(const ExecPlan& plan, const std::string& executable);

// Sets the CPU affinity from a list such as "0-3,7" (execCPUAffinity).
Status apply_cpu_affinity(const std::string& cpus);

// Marks every fd >= 3 + preserve close-on-exec (CVE-2024-21626: a leaked
// host directory fd must not reach the container).
void close_fds_on_exec(int preserve_fds);

}  // namespace hutch::runtime
