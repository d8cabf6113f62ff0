#include "monitor/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/scope.h"
#include "base/strings.h"
#include "base/trace.h"
#include "monitor/builtin_runtime.h"
#include "monitor/isolate.h"
#include "monitor/netns.h"
#include "monitor/oom.h"
#include "monitor/process.h"
#include "monitor/protocol.h"
#include "monitor/resident.h"
#include "monitor/restart_policy.h"
#include "monitor/rootfs.h"
#include "network/attachments.h"

namespace hutch::monitor {

namespace {

constexpr const char* kComponent = "monitor";

logs::Stream log_stream(OutStream s) { return s == OutStream::kStdout ? logs::Stream::kStdout : logs::Stream::kStderr; }

}  // namespace

Supervisor::Supervisor(Settings s, int sync_fd)
    : s_(std::move(s)), sync_(sync_fd), builtin_runtime_(runtime_is_builtin(s_)) {}

// --- database -----------------------------------------------------------------

// Each database step runs in a short-lived child (isolate.h), a few
// milliseconds apiece: events wait in pending_events_ and go in with the
// next row update (or before the loop next waits), one child for both.
Status Supervisor::write_pending_events(state::Db& db) {
  for (const auto& e : pending_events_) TRY(db.add_event(e));
  return {};
}

void Supervisor::begin_db(const char* what, const std::function<Result<std::string>(state::Db&)>& work) {
  (void)end_db();
  if (s_.db.empty()) return;
  auto c = start_in_child([&]() -> Result<std::string> {
    ASSIGN_OR_RETURN(state::Db db, state::Db::open(s_.db));
    // The step and its events: one commit.
    std::string out;
    TRY(db.batch([&]() -> Status {
      ASSIGN_OR_RETURN(out, work(db));
      return write_pending_events(db);
    }));
    return out;
  });
  if (!c.ok()) {
    log::warn(kComponent, std::string(what) + ": " + c.error().message());
    return;
  }
  db_step_ = std::move(*c);
  db_step_what_ = what;
  db_step_events_ = pending_events_.size();
}

std::optional<std::string> Supervisor::end_db() {
  if (!db_step_.pending()) return std::nullopt;
  auto r = db_step_.join();
  if (!r.ok()) {
    log::warn(kComponent, std::string(db_step_what_) + ": " + r.error().message());
    return std::nullopt;
  }
  pending_events_.erase(pending_events_.begin(), pending_events_.begin() + static_cast<ptrdiff_t>(db_step_events_));
  return std::move(*r);
}

void Supervisor::begin_record(const std::function<std::string(state::ContainerRow&)>& change) {
  begin_db("record the container's state", [&](state::Db& db) -> Result<std::string> {
    std::string out;
    TRY(db.update(s_.id, [&](state::ContainerRow& row) -> Status {
      out = change(row);
      return {};
    }));
    return out;
  });
}

std::optional<std::string> Supervisor::record(const std::function<std::string(state::ContainerRow&)>& change) {
  begin_record(change);
  return end_db();
}

void Supervisor::event(const std::string& action, const std::vector<std::pair<std::string, std::string>>& attrs) {
  if (s_.db.empty()) return;
  json::Ptr a(json_object());
  for (const auto& [k, v] : attrs) json_object_set_new(a.get(), k.c_str(), json::str(v));
  if (!s_.name.empty()) json_object_set_new(a.get(), "name", json::str(s_.name));
  if (!s_.image.empty()) json_object_set_new(a.get(), "image", json::str(s_.image));
  state::EventRow e;
  e.type = "container";
  e.action = action;
  e.id = s_.id;
  e.time = now_unix_ns();
  e.attributes = json::dump(a.get());
  pending_events_.push_back(std::move(e));
}

void Supervisor::flush_events() {
  // The "start" event waits for the "running" record (or the exit's).
  if (running_unrecorded_) return;
  // A step still running holds every event queued so far (the "start" with
  // the "running" record): the next step or the exit joins it.
  if (db_step_.pending() && pending_events_.size() <= db_step_events_) return;
  (void)end_db();
  if (pending_events_.empty() || s_.db.empty()) return;
  begin_db("record events", [](state::Db&) -> Result<std::string> { return std::string(); });
  (void)end_db();
}

void Supervisor::begin_remove_row() {
  if (removing_row_) return;
  removing_row_ = true;
  event("destroy", {});
  begin_db("remove the container's row", [&](state::Db& db) -> Result<std::string> {
    // A foreground `run --rm` removes the row itself once it has the exit
    // code (see run()): gone already is fine.
    if (auto st = db.remove(s_.id); !st.ok() && st.error().code() != ENOENT) return std::move(st).error();
    // --rm takes the container's anonymous volumes along (their dirs below).
    for (const auto& d : s_.remove_dirs) (void)db.remove_volume(fs::basename(d));
    return std::string();
  });
}

// --- set-up and tear-down -------------------------------------------------------

Status Supervisor::setup() {
  TRY_CTX(fs::mkdir_p(s_.rundir, 0700), "create the run dir");
  TRY(fs::replace_file(s_.rundir + "/monitor.pid", std::to_string(::getpid()) + "\n"));
  if (!s_.engine_records_pid) {
    pid_t self = ::getpid();
    uint64_t start = process_start_time(self);
    // Written while the rootfs is mounted and the runtime creates the
    // container; done before the engine hears "created" (run()).
    begin_record([self, start](state::ContainerRow& r) {
      r.monitor_pid = self;
      r.monitor_start = start;
      return std::string();
    });
  }

  // SIGCHLD (the init and the runtime's children are ours to reap, as
  // subreaper), SIGTERM/SIGINT (logged; the container keeps running),
  // SIGUSR1 (the engine asks to look at stopped_by_user again now).
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGUSR1}) sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return Error::from_errno("block signals");
  signals_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signals_) return Error::from_errno("signalfd");

  ASSIGN_OR_RETURN(loop_, EventLoop::create());
  TRY(loop_.add(signals_.get(), EPOLLIN, [this](uint32_t) { on_signal(); }));
  TRY(backoff_.init(&loop_, [this] { backoff_done_ = true; }));
  TRY(stop_timer_.init(&loop_, [this] {
    if (!exited_) kill_container("KILL");
  }));
  TRY(record_timer_.init(&loop_, [this] {
    if (running_unrecorded_ && !exited_) begin_running_record();
  }));

  if (!s_.log_path.empty()) {
    logs::WriterOptions o;
    o.path = s_.log_path;
    o.max_size = s_.log_max_size;
    o.max_file = s_.log_max_file;
    o.rate = s_.log_rate;
    auto w = logs::LogWriter::open(o);
    if (!w.ok()) return std::move(w).error();
    log_.emplace(std::move(*w));
  }

  AttachServer::Callbacks cb;
  cb.stdin_data = [this](std::string_view d) { io_.write_stdin(d); };
  cb.stdin_close = [this] { io_.close_stdin(); };
  cb.resize = [this](unsigned rows, unsigned cols) { io_.resize(rows, cols); };
  TRY(attach_.listen(&loop_, attach_path(s_.rundir), std::move(cb)));

  if (s_.has_healthcheck) {
    TRY(health_.init(&s_, &loop_, [this](const ProbeResult& r) { on_probe(r); }));
  }
  TRY(mount_rootfs(s_.rootfs));
  trace::mark("monitor: rootfs mounted");
  if (s_.shm_shareable) {
    std::string shm = s_.rundir + "/shm";
    TRY_CTX(fs::mkdir_p(shm, 0755), "create the shareable /dev/shm");
    std::string opts = "mode=1777,size=" + std::to_string(s_.shm_size);
    if (!is_mount_point(shm) && ::mount("shm", shm.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts.c_str()) != 0)
      return Error::from_errno("mount the shareable /dev/shm at \"" + shm + "\"");
  }
  return {};
}

void Supervisor::cleanup_rundir(bool all) {
  // --ipc shareable's /dev/shm (containers that joined keep their own
  // reference to it).
  if (s_.shm_shareable) {
    std::string shm = s_.rundir + "/shm";
    if (is_mount_point(shm) && ::umount2(shm.c_str(), MNT_DETACH) != 0)
      log::warn(kComponent, "unmount \"" + shm + "\": " + Error::from_errno("umount").message());
    ::rmdir(shm.c_str());
  }
  if (all) {
    if (auto st = fs::remove_all(s_.rundir); !st.ok()) log::warn(kComponent, st.error().message());
    return;
  }
  // The engine may keep files of its own there; ours go, and the dir when empty.
  for (const char* f : {"attach", "console.sock", "pid", "monitor.pid", "health.pid"})
    ::unlink((s_.rundir + "/" + f).c_str());
  ::rmdir(s_.rundir.c_str());
}

void Supervisor::teardown(bool remove) {
  health_.stop();
  // Networks first: a `stop` returns once they are gone (ports free again).
  if (!s_.network_dir.empty())
    if (auto st = network::teardown(s_.network_dir, s_.id); !st.ok())
      log::warn(kComponent, "tear down the container's networks: " + st.error().message());
  if (!remove) attach_.close();
  io_.close();
  if (auto st = unmount_rootfs(s_.rootfs); !st.ok()) log::error(kComponent, st.error().message());
  trace::mark("monitor: unmounted");
  if (remove) {
    // Anonymous volumes go before the caller returns (docker's --rm), rows
    // too: then the database step runs meanwhile.
    bool volumes = !s_.remove_dirs.empty();
    if (volumes) begin_remove_row();
    // The bundle moves to <root>/trash (one rename) and is deleted once
    // the caller has its answer; a monitor killed meanwhile leaves it to
    // `hutch boot`.
    std::string trash;
    if (!is_mount_point(s_.rootfs.target.empty() ? s_.bundle + "/rootfs" : s_.rootfs.target)) {
      std::string dir = fs::dirname(fs::dirname(s_.bundle)) + "/trash";
      if (fs::mkdir_p(dir, 0700).ok() && ::rename(s_.bundle.c_str(), (dir + "/" + fs::basename(s_.bundle)).c_str()) == 0)
        trash = dir + "/" + fs::basename(s_.bundle);
      else if (auto st = fs::remove_all(s_.bundle); !st.ok())
        log::warn(kComponent, st.error().message());
    } else {
      log::error(kComponent, "not removing \"" + s_.bundle + "\": its rootfs is still mounted");
    }
    for (const auto& d : s_.remove_dirs) {
      if (auto st = fs::remove_all(d); !st.ok()) log::warn(kComponent, st.error().message());
    }
    if (volumes) (void)end_db();
    trace::mark("monitor: removed");
    // An attached `run --rm` removed the row as the exit code came (run());
    // ours lands after the clients are gone, with the "destroy" event.
    attach_.end_all(exit_code_);
    attach_.close();
    begin_remove_row();
    if (!trash.empty())
      if (auto st = fs::remove_all(trash); !st.ok()) log::warn(kComponent, st.error().message());
    (void)end_db();
  } else {
    record([](state::ContainerRow& r) {
      r.monitor_pid = 0;
      r.monitor_start = 0;
      r.pid = 0;
      return std::string();
    });
  }
  cleanup_rundir(remove);
}

// --- runtime calls --------------------------------------------------------------

Status Supervisor::runtime(std::initializer_list<std::string> args, std::string* output) {
  if (builtin_runtime_ && !output) {
    if (auto done = run_builtin(s_, args)) return std::move(*done);
  }
  ASSIGN_OR_RETURN(RunResult r, monitor::run(runtime_argv(s_, args)));
  if (output) *output = std::move(r.output);
  if (r.status != 0) {
    std::string msg = runtime_message(output ? *output : r.output);
    std::string step = "runtime " + std::string(*args.begin());
    return Error::plain(EIO, msg.empty() ? step + " exited with status " + std::to_string(r.status) : msg);
  }
  return {};
}

Result<pid_t> Supervisor::create() {
  exited_ = false;
  exit_code_ = 0;
  init_pid_ = 0;
  ContainerIo::Sink sink;
  sink.output = [this](OutStream st, std::string_view d) { on_output(st, d); };
  sink.stdin_pressure = [this](bool full) { attach_.pause_input(full); };
  TRY_CTX(io_.prepare(s_, &loop_, std::move(sink)), "set up the container's stdio");
  if (builtin_runtime_ && can_create_in_process()) {
    // No exec of hutchrt: the runtime library creates the container from
    // here (builtin_runtime.h says why that is safe).
    auto args = io_.create_args();
    Stdio io = io_.runtime_stdio();
    int stdio[3] = {io.in, io.out, io.err};
    auto pid = create_in_process(s_, args.size() == 2 ? args[1] : std::string(), stdio);
    trace::mark("monitor: runtime create done (in-process)");
    Status ok = pid.ok() ? io_.created() : Status(pid.error());
    if (!ok.ok()) {
      (void)runtime({"delete", "--force", s_.id});
      io_.close();
      return Error::plain(EIO, ok.error().message());
    }
    init_pid_ = *pid;
    return init_pid_;
  }
  std::string pid_file = s_.rundir + "/pid";
  ::unlink(pid_file.c_str());
  std::vector<std::string> argv = runtime_argv(s_, {"create", "--bundle", s_.bundle, "--pid-file", pid_file});
  for (auto& a : io_.create_args()) argv.push_back(a);
  argv.push_back(s_.id);
  // hutchrt beside us runs from a sealed copy made here, sparing its own
  // copy and re-exec (CVE-2019-5736, builtin_runtime.h).
  ASSIGN_OR_RETURN(pid_t pid, spawn(argv, io_.runtime_stdio(), false, builtin_runtime_));
  trace::mark("monitor: runtime create spawned");
  ASSIGN_OR_RETURN(int code, wait_exit(pid));
  trace::mark("monitor: runtime create done");
  if (code != 0) {
    std::string msg = runtime_message(io_.runtime_output());
    if (msg.empty()) msg = "runtime create exited with status " + std::to_string(code);
    (void)runtime({"delete", "--force", s_.id});
    io_.close();
    return Error::plain(EIO, msg);
  }
  auto ok = io_.created();
  if (ok.ok()) {
    auto text = fs::read_file(pid_file);
    if (text.ok()) init_pid_ = static_cast<pid_t>(parse_int(trim(*text)).value_or(0));
    if (init_pid_ <= 0) ok = Error::plain(EIO, "the runtime wrote no pid to \"" + pid_file + "\"");
  }
  if (!ok.ok()) {
    (void)runtime({"delete", "--force", s_.id});
    io_.close();
    return std::move(ok).error();
  }
  return init_pid_;
}

Status Supervisor::start(bool defer_record) {
  if (s_.loopback_up) TRY(loopback_up(init_pid_));
  TRY(runtime({"start", s_.id}));
  trace::mark("monitor: runtime started");
  started_mono_ = now_mono_ns();
  started_unix_ = now_unix_ns();
  health_status_ = s_.has_healthcheck ? "starting" : "";
  oom_path_ = oom_counter_path(init_pid_);
  oom_before_ = read_oom_kills(oom_path_);
  // The record's child forks only after the start: forked before, it would
  // have made the start itself pay copy-on-write faults.
  if (defer_record) {
    running_unrecorded_ = true;
    record_timer_.arm(20'000'000);
  } else {
    begin_running_record();
  }
  if (s_.has_healthcheck) health_.start();
  return {};
}

void Supervisor::begin_running_record() {
  running_unrecorded_ = false;
  record_timer_.disarm();
  pid_t pid = init_pid_;
  bool health = s_.has_healthcheck;
  int64_t started = started_unix_;
  begin_db("record the container's state", [this, pid, health, started](state::Db& db) -> Result<std::string> {
    TRY(db.update(s_.id, [&](state::ContainerRow& r) -> Status {
      r.status = state::Status::kRunning;
      r.pid = pid;
      r.started_at = started;
      r.error.clear();
      r.oom_killed = false;
      if (health) {
        r.health = "starting";
        r.health_failing_streak = 0;
      }
      return {};
    }));
    return std::string();
  });
}

void Supervisor::kill_container(const std::string& signal) {
  if (auto st = runtime({"kill", s_.id, signal}); !st.ok())
    log::warn(kComponent, "kill the container: " + st.error().message());
}

void Supervisor::report_start_error(const Error& e, bool first) {
  std::string msg = e.message();
  int code = exec_error_code(msg);
  log::error(kComponent, "start container \"" + s_.id + "\": " + msg);
  if (first && sync_) {
    std::string payload = code ? "exec: code=" + std::to_string(code) + ": " + msg : msg;
    (void)send_message(sync_.get(), "error " + payload);
  }
  int64_t now = now_unix_ns();
  record([&](state::ContainerRow& r) {
    r.error = msg;
    r.exit_code = code ? code : 128;
    r.pid = 0;
    if (!first) {
      r.status = state::Status::kExited;
      r.finished_at = now;
    }
    return std::string();
  });
}

// --- the loop -------------------------------------------------------------------

void Supervisor::on_signal() {
  struct signalfd_siginfo si[8];
  bool child = false;
  for (;;) {
    ssize_t n = ::read(signals_.get(), si, sizeof si);
    if (n <= 0) break;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof si[0]; ++i) {
      int sig = static_cast<int>(si[i].ssi_signo);
      if (sig == SIGCHLD) child = true;
      else if (sig == SIGUSR1 && backoff_.armed()) backoff_done_ = true;  // look at the DB again now
      else if (sig != SIGUSR1) log::info(kComponent, "ignoring signal " + std::to_string(sig) + "; the container keeps running");
    }
  }
  if (!child) return;
  for (;;) {
    int st = 0;
    pid_t pid = ::waitpid(-1, &st, WNOHANG);
    if (pid <= 0) break;
    int code = decode_wait_status(st);
    if (pid == init_pid_) {
      exited_ = true;
      exit_code_ = code;
    } else {
      health_.on_child_exit(pid, code);
    }
  }
}

void Supervisor::on_output(OutStream stream, std::string_view data) {
  if (log_) {
    // One warning per run of failures (a full disk would otherwise fill
    // monitor.log too).
    auto st = log_->write(log_stream(stream), data, now_unix_ns());
    if (!st.ok() && !log_failing_) log::warn(kComponent, st.error().message() + " (further failures not reported)");
    log_failing_ = !st.ok();
    // What --log-opt rate dropped reaches the row while it happens (at most
    // every 5 s: each record is a database child); the exit records the rest.
    uint64_t dropped = log_->dropped();
    int64_t now = now_mono_ns();
    if (dropped != dropped_recorded_ && now - dropped_recorded_at_ >= 5'000'000'000) {
      dropped_recorded_ = dropped;
      dropped_recorded_at_ = now;
      begin_record([dropped](state::ContainerRow& r) {
        r.log_dropped = dropped;
        return std::string();
      });
    }
  }
  attach_.broadcast(stream == OutStream::kStdout ? Frame::kStdout : Frame::kStderr, data);
}

void Supervisor::on_probe(const ProbeResult& r) {
  if (exited_) return;
  // A probe runs code the loop does not otherwise need.
  ScopeGuard trim([] { trim_code(); });
  std::string before = health_status_;
  int64_t started = started_unix_;
  auto got = record([&](state::ContainerRow& row) {
    HealthState h;
    h.status = row.health.empty() ? "starting" : row.health;
    h.failing_streak = row.health_failing_streak;
    h.log = row.health_log;
    h = apply_probe(std::move(h), r, started, s_.health.start_period_ns, s_.health.retries);
    row.health = h.status;
    row.health_failing_streak = h.failing_streak;
    row.health_log = std::move(h.log);
    return row.health;
  });
  std::string after;
  if (got) {
    after = *got;
  } else {  // no database: keep the status here
    HealthState h;
    h.status = before;
    after = apply_probe(h, r, started, s_.health.start_period_ns, s_.health.retries).status;
  }
  health_status_ = after;
  if (after == before) return;
  event("health_status: " + after, {});
  if (after != "unhealthy") return;
  if (s_.health.on_failure == "kill") {
    log::info(kComponent, "the container is unhealthy: killing it");
    kill_container("KILL");
  } else if (s_.health.on_failure == "restart") {
    log::info(kComponent, "the container is unhealthy: restarting it");
    restart_in_place_ = true;
    kill_container(s_.stop_signal);
    stop_timer_.arm(static_cast<int64_t>(s_.stop_timeout) * 1'000'000'000);
  }
}

bool Supervisor::wait_for_start() {
  int fd = sync_.get();
  auto added = loop_.add(fd, EPOLLIN, [this, fd](uint32_t) {
    std::string msg;
    bool eof = false;
    auto st = recv_message(fd, &msg, &eof);
    if (!st.ok() || eof) sync_closed_ = true;
    else if (trim(msg) == "start") got_start_ = true;
    else if (trim(msg) == "start attached") got_start_ = start_attached_ = true;
    else if (trim(msg) == "abandon") abandoned_ = true;
    else if (starts_with(msg, "name ")) s_.name = msg.substr(5);
  });
  if (!added.ok()) return false;
  while (!got_start_ && !sync_closed_) {
    if (!loop_.run_once(-1).ok()) break;
  }
  loop_.remove(fd);
  return got_start_;
}

void Supervisor::supervise() {
  // After a burst of activity, once the loop has been quiet for a while,
  // the code the burst used is unmapped again (resident.h).
  constexpr int kQuietMs = 2000;
  // The start's code goes 250 ms after the start, whatever happened
  // meanwhile (a database child's SIGCHLD, first output): a container that
  // ends sooner never pays to fault the exit path's code back in, and a
  // long-lived one is lean soon.
  constexpr int64_t kAfterStartMs = 250;
  int64_t first_trim = now_mono_ns() / 1'000'000 + kAfterStartMs;
  bool trimmed = false, first = true;
  flush_events();
  while (!exited_) {
    int timeout = trimmed ? -1 : kQuietMs;
    if (first) timeout = static_cast<int>(std::max<int64_t>(0, first_trim - now_mono_ns() / 1'000'000));
    auto n = loop_.run_once(timeout);
    if (!n.ok()) {
      log::error(kComponent, n.error().message());
      ::usleep(10000);
      continue;
    }
    if (first) {
      if (now_mono_ns() / 1'000'000 < first_trim) continue;
      first = false;
      trim_code();
      trimmed = true;
    } else if (*n > 0) {
      trimmed = false;
    } else if (!trimmed) {
      trim_code();
      trimmed = true;
    }
  }
}

bool Supervisor::record_exit(int code, int64_t ran_ns) {
  int64_t now = now_unix_ns();
  uint64_t dropped = log_ ? log_->dropped() : 0;
  bool in_place = restart_in_place_;
  bool oom = oom_killed_;
  // Ended before its "running" record (start(true)): the exit record holds
  // the start too.
  bool unrecorded = running_unrecorded_;
  running_unrecorded_ = false;
  record_timer_.disarm();
  int64_t started = started_unix_;
  if (s_.auto_remove && !in_place) {
    // --rm (never with a restart policy): the row goes with these events
    // in one step (begin_remove_row); recording the exit first would only
    // cost another child.
    if (oom) event("oom", {});
    event("die", {{"exitCode", std::to_string(code)}, {"execDuration", std::to_string(ran_ns / 1'000'000'000)}});
    return false;
  }
  auto got = record([&](state::ContainerRow& r) {
    // The policy as it is now: `update --restart` rewrites monitor.json
    // while the container runs (read here, in the child).
    std::string policy = s_.restart;
    int max = s_.restart_max;
    if (auto text = fs::read_file(s_.bundle + "/monitor.json"); text.ok()) {
      if (auto fresh = parse_settings(*text); fresh.ok()) {
        policy = fresh->restart;
        max = fresh->restart_max;
      }
    }
    bool restart = in_place ? !r.stopped_by_user
                            : should_restart(policy, max, code, r.restart_count, r.stopped_by_user);
    if (unrecorded) {
      r.started_at = started;
      r.error.clear();
    }
    r.pid = 0;
    r.exit_code = code;
    r.finished_at = now;
    r.log_dropped = dropped;
    r.oom_killed = oom;
    if (restart) {
      r.status = state::Status::kRestarting;
      if (!in_place) ++r.restart_count;
    } else {
      r.status = state::Status::kExited;
    }
    return std::string(restart ? "1" : "0");
  });
  bool restart = got ? *got == "1"
                     : in_place || should_restart(s_.restart, s_.restart_max, code, local_restarts_, false);
  if (restart && !in_place) ++local_restarts_;
  if (oom) event("oom", {});
  event("die", {{"exitCode", std::to_string(code)}, {"execDuration", std::to_string(ran_ns / 1'000'000'000)}});
  return restart;
}

bool Supervisor::wait_backoff(int64_t ns) {
  backoff_done_ = false;
  backoff_.arm(ns);
  while (!backoff_done_) {
    if (!loop_.run_once(-1).ok()) break;
  }
  backoff_.disarm();
  // A `stop` while we waited: stay down.
  auto got = record([&](state::ContainerRow& r) {
    if (r.stopped_by_user) r.status = state::Status::kExited;
    return std::string(r.stopped_by_user ? "1" : "0");
  });
  return !(got && *got == "1");
}

int Supervisor::run() {
  if (auto st = setup(); !st.ok()) {
    report_start_error(st.error(), true);
    teardown(s_.auto_remove);
    return 1;
  }
  bool first = true;
  for (;;) {
    auto pid = create();
    if (!pid.ok()) {
      report_start_error(pid.error(), first);
      teardown(s_.auto_remove);
      return first ? 1 : 0;
    }
    if (first && sync_) {
      (void)end_db();  // the row names this monitor before the engine acts on "created"
      if (auto st = send_message(sync_.get(), "created " + std::to_string(*pid)); !st.ok())
        log::warn(kComponent, st.error().message());
      trace::mark("monitor: sent created");
      if (!wait_for_start()) {
        // The engine went away before "start": undo the create. Abandoned,
        // it has no row for the container (its insert failed) and keeps
        // the bundle (to remove, or to start with another monitor): the
        // database and the bundle are left alone.
        if (abandoned_) {
          (void)end_db();
          s_.db.clear();
        }
        log::info(kComponent, "no start request: deleting the container again");
        (void)runtime({"delete", "--force", s_.id});
        teardown(s_.auto_remove && !abandoned_);
        return 0;
      }
      // Clients that connected before asking for the start see everything.
      attach_.poll_pending();
    }
    // Written with the "running" record (start() begins it).
    event("start", {});
    bool early = first && sync_ && start_attached_;
    if (auto st = start(early); !st.ok()) {
      pending_events_.pop_back();
      (void)runtime({"delete", "--force", s_.id});
      report_start_error(st.error(), first);
      teardown(s_.auto_remove);
      return first ? 1 : 0;
    }
    // "started" waits for the "running" record unless the engine follows
    // the container on the attach socket.
    if (!early) (void)end_db();
    if (first && sync_) {
      (void)send_message(sync_.get(), "started " + std::to_string(init_pid_));
      sync_.reset();
    }
    first = false;

    supervise();

    trace::mark("monitor: container exited");
    int64_t ran = now_mono_ns() - started_mono_;
    io_.drain();
    if (log_) (void)log_->flush(now_unix_ns());
    health_.stop();
    stop_timer_.disarm();
    // Before `delete` removes the cgroup.
    oom_killed_ = read_oom_kills(oom_path_) > oom_before_;
    // --rm (never with a restart policy): the row goes while the runtime
    // deletes the container and teardown unmounts its rootfs.
    bool gone = s_.auto_remove && !restart_in_place_;
    if (gone) {
      (void)record_exit(exit_code_, ran);
      // The exit code now: an attached `hutch run --rm` removes the row
      // itself meanwhile, then waits for the connection to close (after
      // the removal in teardown, whose database child forks last so that
      // the removal pays no copy-on-write faults for it).
      attach_.send_exit(exit_code_);
    }
    trace::mark("monitor: runtime delete");
    if (auto st = runtime({"delete", "--force", s_.id}); !st.ok())
      log::warn(kComponent, "delete the container: " + st.error().message());
    trace::mark("monitor: deleted");
    io_.close();
    bool again = !gone && record_exit(exit_code_, ran);
    // Attached clients (a foreground `hutch run`) learn the exit once it is
    // recorded, so a `ps` right after shows it; with --rm only once the
    // container is gone (teardown).
    if (again || !s_.auto_remove) attach_.end_all(exit_code_);
    bool in_place = restart_in_place_;
    restart_in_place_ = false;
    if (!again) break;
    int64_t delay = 0;
    if (!in_place) delay = backoff_ns_ = next_backoff_ns(backoff_ns_, ran);
    trim_code();
    if (!wait_backoff(delay)) break;
  }
  teardown(s_.auto_remove);
  trace::mark_usage("monitor: exit");
  return 0;
}

}  // namespace hutch::monitor
