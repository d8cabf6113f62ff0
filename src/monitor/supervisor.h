// The monitor's recipe for one container: set up (run dir, pid file, DB,
// rootfs, attach socket), then create, report "created", wait for "start",
// start, report "started", supervise until the init exits, record the exit
// and apply the restart policy (docker's backoff), and at the end undo
// everything (unmount, remove with --rm). Health checks run while the
// container runs. Thread-safety: single-threaded; one per process.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "logs/log_file.h"
#include "monitor/attach_server.h"
#include "monitor/health.h"
#include "monitor/isolate.h"
#include "monitor/loop.h"
#include "monitor/settings.h"
#include "monitor/stdio.h"
#include "state/db.h"

namespace hutch::monitor {

class Supervisor {
 public:
  // sync_fd: the engine's socket (protocol.h), or -1 to start at once.
  Supervisor(Settings s, int sync_fd);
  // Runs to the end; the monitor's exit status.
  int run();

 private:
  Status setup();
  Result<pid_t> create();
  // `defer_record`: the "running" record waits 20 ms, and a container that
  // ends sooner has it folded into its exit record (an attached run needs
  // no record to go on, and a database child would slow a short one).
  Status start(bool defer_record);
  void begin_running_record();
  // Waits for "start" on the sync socket; false when it closed instead.
  bool wait_for_start();
  void supervise();
  // Records the exit; true when the policy starts the container again.
  bool record_exit(int code, int64_t ran_ns);
  bool wait_backoff(int64_t ns);
  void report_start_error(const Error& e, bool first);
  void teardown(bool remove);
  void cleanup_rundir(bool all);

  void on_signal();
  void on_output(OutStream stream, std::string_view data);
  void on_probe(const ProbeResult& r);
  void kill_container(const std::string& signal);
  Status runtime(std::initializer_list<std::string> args, std::string* output = nullptr);

  // DB access, each in a short-lived child (isolate.h): the monitor itself
  // never maps SQLite's pages or cache. `change` edits the row and returns
  // what the monitor should learn from it; nullopt when the database could
  // not be used (logged, never fatal).
  std::optional<std::string> record(const std::function<std::string(state::ContainerRow&)>& change);
  void event(const std::string& action, const std::vector<std::pair<std::string, std::string>>& attrs);
  void flush_events();
  Status write_pending_events(state::Db& db);
  std::vector<state::EventRow> pending_events_;
  // A step may run while the monitor goes on (begin_db), at most one at a
  // time: every later step, and anything the engine may act on (the
  // "created" report), waits for it first (end_db), so steps land in the
  // order they were begun. The loop never runs while one is pending.
  void begin_db(const char* what, const std::function<Result<std::string>(state::Db&)>& work);
  std::optional<std::string> end_db();
  void begin_record(const std::function<std::string(state::ContainerRow&)>& change);
  // --rm: the row (with the anonymous volumes' rows and the pending
  // events) goes; begun when the container ends for good, waited for in
  // teardown.
  void begin_remove_row();
  ChildWork db_step_;
  const char* db_step_what_ = "";
  size_t db_step_events_ = 0;  // pending_events_ the step writes
  bool removing_row_ = false;

  Settings s_;
  UniqueFd sync_;
  bool builtin_runtime_;  // start and delete through the runtime library (builtin_runtime.h)
  EventLoop loop_;
  UniqueFd signals_;
  AttachServer attach_;
  ContainerIo io_;
  HealthChecker health_;
  Timer backoff_, stop_timer_, record_timer_;
  bool running_unrecorded_ = false;  // started, the row not yet "running" (start(true))
  std::optional<logs::LogWriter> log_;
  bool log_failing_ = false;
  uint64_t dropped_recorded_ = 0;   // log bytes the rate limit dropped, as last recorded
  int64_t dropped_recorded_at_ = 0;  // monotonic ns

  pid_t init_pid_ = 0;
  bool exited_ = false;
  int exit_code_ = 0;
  bool got_start_ = false, sync_closed_ = false;
  bool start_attached_ = false;  // "start attached": "started" need not wait for the record
  bool abandoned_ = false;       // "abandon": the engine has no row for this container
  bool backoff_done_ = false;
  int64_t started_mono_ = 0, started_unix_ = 0;
  int64_t backoff_ns_ = 0;
  bool restart_in_place_ = false;  // health on_failure "restart"
  int local_restarts_ = 0;
  std::string oom_path_;  // the container's OOM kill counter (oom.h)
  uint64_t oom_before_ = 0;
  bool oom_killed_ = false;         // the count when the database is unavailable
  std::string health_status_;
};

}  // namespace hutch::monitor
