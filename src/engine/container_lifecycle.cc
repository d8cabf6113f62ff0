// Containers: start, stop, kill, rm, pause, rename, wait, and reading rows
// back with reconciliation (containers.h).
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <map>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/trace.h"
#include "engine/container_network.h"
#include "engine/containers.h"
#include "engine/volumes.h"
#include "monitor/launch.h"
#include "monitor/protocol.h"

namespace hutch::engine {

namespace {

int64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t mono_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1'000'000L};
  ::nanosleep(&ts, nullptr);
}

bool is_active(state::Status s) {
  return s == state::Status::kRunning || s == state::Status::kPaused || s == state::Status::kRestarting;
}

std::string quoted(const state::ContainerRow& r) { return "container \"" + r.name + "\""; }

void event(state::Db& db, const state::ContainerRow& r, const std::string& action, const std::string& extra = "") {
  state::EventRow ev;
  ev.type = "container";
  ev.action = action;
  ev.id = r.id;
  ev.attributes = "{\"name\":\"" + json_escape(r.name) + "\",\"image\":\"" + json_escape(r.image) + "\"" + extra + "}";
  (void)db.add_event(ev);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string ContainerPaths::default_runroot(const std::string& root) {
  std::string abs = fs::absolute(root);
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  if (abs == "/var/lib/hutch") return "/run/hutch";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(fnv1a(abs) & 0xffffffffffffull));
  return std::string("/run/hutch/s-") + buf;
}

bool Containers::monitor_alive(const state::ContainerRow& row) {
  if (row.monitor_pid <= 0) return false;
  uint64_t st = process_start_time(row.monitor_pid);
  return st != 0 && st == row.monitor_start;
}

Status Containers::runtime_call(const state::ContainerRow& row, const std::vector<std::string>& args,
                                std::string* out) {
  ASSIGN_OR_RETURN(json::Ptr doc, config_of(row));
  std::vector<std::string> argv = {json::string_of(doc.get(), "RuntimePath"), "--root",
                                   json::string_of(doc.get(), "RuntimeRoot")};
  argv.insert(argv.end(), args.begin(), args.end());
  ASSIGN_OR_RETURN(SpawnResult r, run_command(argv));
  if (out) *out = r.output;
  if (r.status != 0) {
    std::string text(trim(r.output));
    return Error::plain(EIO, fs::basename(argv[0]) + " " + args[0] + ": " + (text.empty() ? "failed" : text));
  }
  return {};
}

// What a dead monitor left: runtime state, the rootfs mount, the run dir.
Status Containers::cleanup_stopped(const state::ContainerRow& row) {
  std::string ignored;
  (void)runtime_call(row, {"delete", "--force", row.id}, &ignored);
  std::string rootfs = paths_.rootfs(row.id);
  if (::umount2(rootfs.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    log::warn("engine", "unmount \"" + rootfs + "\": " + std::strerror(errno));
  std::string shm = paths_.rundir(row.id) + "/shm";  // --ipc shareable
  if (::umount2(shm.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    log::warn("engine", "unmount \"" + shm + "\": " + std::strerror(errno));
  (void)fs::remove_all(paths_.rundir(row.id));
  remove_cgroups(row.id);
  if (auto st = teardown_networks(paths_, row.id); !st.ok())
    log::warn("engine", "tear down the networks of " + quoted(row) + ": " + st.error().message());
  return {};
}

// The container's cgroups ("/hutch/<id>", containers.cc) when the runtime
// could not remove them: its state went with the run dir (a wiped /run).
// rmdir only ever removes an empty cgroup, so live ones are safe.
void Containers::remove_cgroups(const std::string& id) {
  std::string rel = "/hutch/" + id;
  (void)::rmdir(("/sys/fs/cgroup" + rel).c_str());  // v2
  DIR* d = ::opendir("/sys/fs/cgroup");
  if (!d) return;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    (void)::rmdir(("/sys/fs/cgroup/" + std::string(e->d_name) + rel).c_str());
  }
  ::closedir(d);
}

Status Containers::reconcile(state::ContainerRow& row) {
  bool claims_monitor = is_active(row.status) || row.monitor_pid > 0;
  if (!claims_monitor || monitor_alive(row)) return {};
  // The monitor is gone without recording an end (killed, or the host
  // rebooted). A container process that still runs keeps its status.
  if (row.pid > 0 && process_start_time(row.pid) != 0 && is_active(row.status)) return {};
  TRY(cleanup_stopped(row));
  TRY(db_.update(row.id, [&](state::ContainerRow& r) -> Status {
    if (is_active(r.status)) {
      r.status = state::Status::kExited;
      r.finished_at = now_ns();
      if (r.exit_code == 0) r.exit_code = 255;
    }
    r.pid = 0;
    r.monitor_pid = 0;
    r.monitor_start = 0;
    row = r;
    return {};
  }));
  return {};
}

Result<state::ContainerRow> Containers::find(const std::string& ref) {
  ASSIGN_OR_RETURN(state::ContainerRow row, db_.find(ref));
  TRY(reconcile(row));
  return row;
}

Result<std::vector<state::ContainerRow>> Containers::list() {
  ASSIGN_OR_RETURN(auto rows, db_.list());
  for (auto& r : rows) TRY(reconcile(r));
  return rows;
}

Status Containers::refresh_joined_namespaces(const state::ContainerRow& row) {
  ASSIGN_OR_RETURN(json::Ptr doc, config_of(row));
  const json_t* hc = json_object_get(doc.get(), "HostConfig");
  struct Mode {
    const char *field, *kind, *type, *file;
  };
  static const Mode kModes[] = {{"PidMode", "PID", "pid", "pid"},
                                {"IpcMode", "IPC", "ipc", "ipc"},
                                {"UTSMode", "UTS", "uts", "uts"},
                                {"NetworkMode", "network", "network", "net"}};
  std::map<std::string, std::string> paths;  // OCI namespace type -> path
  for (const auto& m : kModes) {
    std::string mode = json::string_of(hc, m.field);
    if (!starts_with(mode, "container:")) continue;
    ASSIGN_OR_RETURN(state::ContainerRow other, find(mode.substr(10)));
    if (other.status != state::Status::kRunning && other.status != state::Status::kPaused)
      return Error::plain(EINVAL, std::string("cannot join the ") + m.kind + " namespace of container \"" + other.name +
                                      "\": it is not running");
    paths[m.type] = "/proc/" + std::to_string(other.pid) + "/ns/" + m.file;
  }
  if (paths.empty()) return {};
  std::string file = paths_.dir(row.id) + "/config.json";
  ASSIGN_OR_RETURN(json::Ptr spec, json::parse_file(file));
  json_t* ns = json_object_get(json_object_get(spec.get(), "linux"), "namespaces");
  bool changed = false;
  size_t i;
  json_t* n;
  json_array_foreach(ns, i, n) {
    auto it = paths.find(json::string_of(n, "type"));
    if (it == paths.end() || json::string_of(n, "path") == it->second) continue;
    json_object_set_new(n, "path", json::str(it->second));
    changed = true;
  }
  if (!changed) return {};
  return fs::write_file_atomic(file, json::dump(spec.get(), 1));
}

Status Containers::start(const std::string& ref, const BeforeStart& before_start, int* exit_code) {
  if (exit_code) *exit_code = 125;
  // Just created with its monitor at work on it (create() handed it the
  // bundle): nothing to reconcile or wait for.
  bool handed = !handed_id_.empty() && ref == handed_id_;
  state::ContainerRow row;
  if (handed) {
    ASSIGN_OR_RETURN(row, db_.get(ref));
  } else {
    ASSIGN_OR_RETURN(row, find(ref));
    if (is_active(row.status)) {
      if (exit_code) *exit_code = 0;
      return {};  // docker start of a running container is a no-op
    }
    if (monitor_alive(row) && !wait_monitor_gone(row, 15'000))
      return Error::plain(EBUSY, quoted(row) + " is being started or stopped by another command");
    if (is_active(row.status)) {
      if (exit_code) *exit_code = 0;
      return {};
    }
    TRY_CTX(refresh_joined_namespaces(row), "start " + quoted(row));
  }
  TRY(fs::mkdir_p(paths_.runroot, 0700));
  if (row.stopped_by_user || !row.error.empty())
    TRY(db_.update(row.id, [&](state::ContainerRow& r) -> Status {
      r.stopped_by_user = false;
      r.error.clear();
      return {};
    }));
  // Networks: the namespace is pinned now (the runtime joins it), the CNI
  // plugins run while the monitor starts and the runtime creates.
  auto net = NetworkSetup::begin(*this, row);
  trace::mark("hutch: start: networks begun");
  if (!net.ok()) return std::move(net).error().with_context("start " + quoted(row));
  // The monitor's pid goes into the row while it sets up (it leaves that
  // to us: engine_records_pid), before anyone hears "created".
  auto record_monitor = [&](pid_t pid) {
    uint64_t start = process_start_time(pid);
    auto st = db_.update(row.id, [&](state::ContainerRow& r) -> Status {
      r.monitor_pid = pid;
      r.monitor_start = start;
      return {};
    });
    if (!st.ok()) log::warn("engine", "record the monitor of " + quoted(row) + ": " + st.error().message());
  };
  auto launch = [&]() -> Result<monitor::Launch> {
    if (prespawned_) {
      monitor::Launch l = std::move(*prespawned_);
      prespawned_.reset();
      if (handed) {
        handed_id_.clear();
        TRY(l.wait_created());
      } else {
        TRY(l.hand(paths_.dir(row.id), record_monitor));
      }
      return l;
    }
    return monitor::Launch::begin(monitor::monitor_binary(), paths_.dir(row.id), record_monitor);
  }();
  trace::mark("hutch: start: created");
  if (auto st = net->wait(); !st.ok()) {
    // A created container never started: dropping the launch makes the
    // monitor delete it again (and tear down whatever it finds).
    if (launch.ok()) {
      monitor::Launch dropped = std::move(*launch);
    }
    (void)teardown_networks(paths_, row.id);
    return std::move(st).error().with_context("start " + quoted(row));
  }
  if (!launch.ok()) {
    (void)teardown_networks(paths_, row.id);
    if (exit_code) *exit_code = monitor::exit_code_for(launch.error());
    (void)db_.update(row.id, [&](state::ContainerRow& r) -> Status {
      r.error = launch.error().innermost();
      return {};
    });
    return std::move(launch).error().context("start " + quoted(row));
  }
  if (before_start) {
    ASSIGN_OR_RETURN(state::ContainerRow fresh, db_.get(row.id));
    TRY(before_start(fresh));
  }
  trace::mark("hutch: start: attached");
  // Attached, we follow the container on its attach socket: "started"
  // need not wait for the database to say "running".
  if (auto st = launch->start(static_cast<bool>(before_start)); !st.ok()) {
    if (exit_code) *exit_code = monitor::exit_code_for(st.error());
    return std::move(st).error().context("start " + quoted(row));
  }
  if (exit_code) *exit_code = 0;
  trace::mark("hutch: start: started");
  // The "start" event is the monitor's (with its "running" record).
  return {};
}

Status Containers::forget_exited(const std::string& id) {
  if (auto st = db_.remove(id); !st.ok() && st.error().code() != ENOENT) return st;
  return {};
}

// A monitor that recorded the container's end may still be tearing down
// its networks and mounts: commands that need it gone wait a little.
bool Containers::wait_monitor_gone(state::ContainerRow& row, int64_t timeout_ms) {
  int64_t deadline = mono_ms() + timeout_ms;
  int delay = 2;
  while (monitor_alive(row) && !is_active(row.status)) {
    if (mono_ms() >= deadline) return false;
    sleep_ms(delay);
    delay = std::min(delay * 2, 50);
    auto fresh = db_.get(row.id);
    if (!fresh.ok()) return false;
    row = std::move(*fresh);
  }
  return !monitor_alive(row);
}

Status Containers::wait_stopped(const std::string& id, int64_t timeout_ms) {
  int64_t deadline = mono_ms() + timeout_ms;
  int delay = 2;
  for (;;) {
    ASSIGN_OR_RETURN(state::ContainerRow r, db_.get(id));
    if (!monitor_alive(r) && !(r.pid > 0 && process_start_time(r.pid) != 0)) {
      TRY(reconcile(r));
      return {};
    }
    if (!monitor_alive(r)) {
      // A container without its monitor: nobody will record its end.
    }
    if (mono_ms() >= deadline) return Error::plain(ETIMEDOUT, "timed out waiting for container " + r.name);
    sleep_ms(delay);
    delay = std::min(delay * 2, 50);
  }
}

Status Containers::stop(const std::string& ref, std::optional<int> timeout, const std::string& signal) {
  ASSIGN_OR_RETURN(state::ContainerRow row, find(ref));
  TRY(db_.update(row.id, [](state::ContainerRow& r) -> Status {
    r.stopped_by_user = true;
    return {};
  }));
  if (!is_active(row.status) && !monitor_alive(row)) return {};
  ASSIGN_OR_RETURN(json::Ptr doc, config_of(row));
  json_t* cfg = json_object_get(doc.get(), "Config");
  std::string sig = json::string_of(cfg, "StopSignal");
  if (sig.empty()) sig = "SIGTERM";
  if (!signal.empty()) sig = signal;
  int t = timeout.value_or(10);
  if (!timeout)
    if (json_t* st = json_object_get(cfg, "StopTimeout"); json_is_integer(st)) t = static_cast<int>(json_integer_value(st));
  if (row.status == state::Status::kPaused) (void)runtime_call(row, {"resume", row.id});
  // A monitor waiting out a restart backoff reads stopped_by_user again on
  // SIGUSR1 (monitor/protocol.h).
  if (row.status == state::Status::kRestarting && monitor_alive(row)) ::kill(row.monitor_pid, SIGUSR1);
  if (row.status != state::Status::kRestarting) (void)runtime_call(row, {"kill", row.id, sig});
  if (t < 0 || !wait_stopped(row.id, static_cast<int64_t>(t) * 1000).ok()) {
    (void)runtime_call(row, {"kill", row.id, "SIGKILL"});
    TRY_CTX(wait_stopped(row.id, 10'000), "stop " + quoted(row));
  }
  event(db_, row, "stop");
  return {};
}

Status Containers::kill(const std::string& ref, const std::string& signal) {
  ASSIGN_OR_RETURN(state::ContainerRow row, find(ref));
  if (row.status != state::Status::kRunning && row.status != state::Status::kPaused)
    return Error::plain(EINVAL, "cannot kill " + quoted(row) + ": container " + row.id + " is not running");
  std::string sig = signal.empty() ? "SIGKILL" : signal;
  if (sig == "KILL" || sig == "SIGKILL" || sig == "9")
    TRY(db_.update(row.id, [](state::ContainerRow& r) -> Status {
      r.stopped_by_user = true;
      return {};
    }));
  TRY_CTX(runtime_call(row, {"kill", row.id, sig}), "kill " + quoted(row));
  event(db_, row, "kill", ",\"signal\":\"" + json_escape(sig) + "\"");
  return {};
}

Status Containers::restart(const std::string& ref, std::optional<int> timeout) {
  ASSIGN_OR_RETURN(state::ContainerRow row, find(ref));
  TRY(stop(row.id, timeout));
  return start(row.id);
}

Status Containers::remove(const std::string& ref, bool force, bool volumes) {
  ASSIGN_OR_RETURN(state::ContainerRow row, find(ref));
  if (!is_active(row.status) && monitor_alive(row)) (void)wait_monitor_gone(row, 15'000);
  if (is_active(row.status) || monitor_alive(row)) {
    if (!force)
      return Error::plain(EBUSY, "cannot remove " + quoted(row) + ": container is " +
                                     state::status_name(row.status) +
                                     ": stop the container before removing or force remove");
    TRY(db_.update(row.id, [](state::ContainerRow& r) -> Status {
      r.stopped_by_user = true;
      return {};
    }));
    if (row.status == state::Status::kPaused) (void)runtime_call(row, {"resume", row.id});
    if (row.status == state::Status::kRestarting && monitor_alive(row)) ::kill(row.monitor_pid, SIGUSR1);
    (void)runtime_call(row, {"kill", row.id, "SIGKILL"});
    TRY_CTX(wait_stopped(row.id, 15'000), "remove " + quoted(row));
    ASSIGN_OR_RETURN(row, db_.get(row.id));
  }
  TRY(cleanup_stopped(row));
  ASSIGN_OR_RETURN(json::Ptr doc, config_of(row));
  TRY(db_.remove(row.id));
  TRY_CTX(fs::remove_all(paths_.dir(row.id)), "remove " + quoted(row));
  if (volumes) {
    Volumes vols(paths_.root);
    for (const auto& v : json::strings_of(json_object_get(doc.get(), "AnonymousVolumes")))
      (void)vols.remove(v, true, [](const std::string&) { return false; });
  }
  event(db_, row, "destroy");
  return {};
}

Status Containers::pause(const std::string& ref) {
  ASSIGN_OR_RETURN(state::ContainerRow row, find(ref));
  if (row.status == state::Status::kPaused)
    return Error::plain(EINVAL, "container " + row.id + " is already paused");
  if (row.status != state::Status::kRunning) return Error::plain(EINVAL, "container " + row.id + " is not running");
  TRY_CTX(runtime_call(row, {"pause", row.id}), "pause " + quoted(row));
  TRY(db_.update(row.id, [](state::ContainerRow& r) -> Status {
    if (r.status == state::Status::kRunning) r.status = state::Status::kPaused;
    return {};
  }));
  event(db_, row, "pause");
  return {};
}

Status Containers::unpause(const std::string& ref) {
  ASSIGN_OR_RETURN(state::ContainerRow row, find(ref));
  if (row.status != state::Status::kPaused) return Error::plain(EINVAL, "container " + row.id + " is not paused");
  TRY_CTX(runtime_call(row, {"resume", row.id}), "unpause " + quoted(row));
  TRY(db_.update(row.id, [](state::ContainerRow& r) -> Status {
    if (r.status == state::Status::kPaused) r.status = state::Status::kRunning;
    return {};
  }));
  event(db_, row, "unpause");
  return {};
}

Status Containers::rename(const std::string& ref, const std::string& new_name) {
  ASSIGN_OR_RETURN(state::ContainerRow row, find(ref));
  std::string n = new_name;
  if (!n.empty() && n[0] == '/') n.erase(0, 1);
  if (n.empty()) return Error::plain(EINVAL, "new name must not be empty");
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return Error::plain(EINVAL, "invalid container name (" + n + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  if (n == row.name) return Error::plain(EINVAL, "renaming a container with the same name as its current name");
  TRY(db_.rename(row.id, n));
  event(db_, row, "rename", ",\"oldName\":\"/" + json_escape(row.name) + "\"");
  return {};
}

Result<int> Containers::wait(const std::string& ref) {
  ASSIGN_OR_RETURN(state::ContainerRow row, find(ref));
  if (is_active(row.status)) {
    auto fd = monitor::connect_attach(paths_.rundir(row.id), false, false, false);
    if (fd.ok()) {
      for (;;) {
        monitor::Frame type;
        std::string payload;
        bool eof = false;
        if (!monitor::read_frame(fd->get(), &type, &payload, &eof).ok() || eof) break;
        if (type == monitor::Frame::kExit) return std::atoi(payload.c_str());
      }
    }
    // No attach socket (an orphaned container): poll.
    while (true) {
      ASSIGN_OR_RETURN(row, find(row.id));
      if (!is_active(row.status)) break;
      sleep_ms(100);
    }
  }
  ASSIGN_OR_RETURN(row, find(row.id));
  return row.exit_code;
}

Result<std::vector<std::string>> Containers::boot(
    const std::function<void(const std::string&, const Error&)>& report) {
  ASSIGN_OR_RETURN(auto rows, db_.list());
  std::vector<std::string> started;
  // First, networking that containers which no longer run left behind
  // (their monitor was killed, a setup died half-way): leases and ports
  // must be free before anything starts.
  sweep_networks(*this);
  // Bundles of --rm containers whose monitor died while deleting them
  // (<root>/trash; a live monitor empties its own within milliseconds).
  std::string trash = paths_.root + "/trash";
  if (DIR* d = ::opendir(trash.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string path = trash + "/" + e->d_name;
      struct stat st;
      // ctime: the rename into trash set it (mtime is the bundle's own).
      if (::lstat(path.c_str(), &st) == 0 && st.st_ctime < ::time(nullptr) - 60) (void)fs::remove_all(path);
    }
    ::closedir(d);
  }
  for (auto& r : rows) {
    bool was_active = is_active(r.status);
    auto rec = reconcile(r);
    if (!rec.ok()) {
      report(r.name, rec.error());
      continue;
    }
    auto doc = config_of(r);
    if (!doc.ok()) continue;
    std::string policy =
        json::string_of(json_object_get(json_object_get(doc->get(), "HostConfig"), "RestartPolicy"), "Name");
    bool want = policy == "always" || (policy == "unless-stopped" && !r.stopped_by_user) ||
                (policy == "on-failure" && was_active && !r.stopped_by_user);
    if (!want || is_active(r.status)) continue;
    auto s = start(r.id);
    if (s.ok()) started.push_back(r.id);
    else report(r.name, s.error());
  }
  return started;
}

}  // namespace hutch::engine
