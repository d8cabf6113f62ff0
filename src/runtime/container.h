// The container lifecycle as runc's command line exposes it: create,
// start, run, state, kill, delete, pause/resume, ps, update, exec. Each
// function is one recipe of named steps; on failure it leaves no mount,
// cgroup, state directory or process behind.
// Thread-safety: call from a single-threaded process (clone, setns).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/state.h"

namespace hutch::runtime {

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  bool no_pivot = false;
  bool no_new_keyring = false;
  bool systemd_cgroup = false;
  int console_fd = -1;  // a connected socket used instead of console_socket (run)
  // The init's stdin, stdout and stderr (-1: it keeps the caller's), for a
  // caller that creates containers in-process (hutch's monitor).
  int stdio_fds[3] = {-1, -1, -1};
};

struct Created {
  pid_t pid = 0;
  int console_master = -1;  // for `run` in the foreground with a terminal
};

// Creates the container; the init process waits for `start` on exec.fifo.
Result<pid_t> create_container(const StateStore& store, const CreateOptions& opts);
// Opens exec.fifo so init runs the user process; then poststart hooks.
Status start_container(const StateStore& store, const std::string& id);

struct RunOptions {
  CreateOptions create;
  bool detach = false;
  bool keep = false;
};
// create + start; in the foreground waits and returns the exit status
// (128+signal for a signal), deleting the container unless `keep`.
Result<int> run_container(const StateStore& store, const RunOptions& opts);

// Whether a spec's text may declare hooks (false: it certainly has none):
// start and delete parse the saved spec only then.
bool spec_text_may_have_hooks(std::string_view text);

Status kill_container(const StateStore& store, const std::string& id, int sig, bool all);
Status delete_container(const StateStore& store, const std::string& id, bool force);
Status pause_container(const StateStore& store, const std::string& id, bool pause);
Result<std::vector<pid_t>> container_pids(const StateStore& store, const std::string& id);
Status update_container(const StateStore& store, const std::string& id, const oci::Resources& res);

struct StateView {
  ContainerState state;
  Status_ status = Status_::kStopped;
};
Result<StateView> container_state(const StateStore& store, const std::string& id);

struct ExecOptions {
  std::string id;
  oci::Process process;
  std::string console_socket;
  std::string pid_file;
  int preserve_fds = 0;
  bool detach = false;
};
// Runs a process in a running container; returns its exit status when not
// detached, else 0.
Result<int> exec_container(const StateStore& store, const ExecOptions& opts);

// Parses "SIGKILL", "KILL", "9": nullopt when not a signal.
std::optional<int> parse_signal(const std::string& s);

}  // namespace hutch::runtime
