// What a container's monitor is told: <container dir>/monitor.json, written
// by the engine before it starts the monitor, read by the monitor at each
// start. The engine writes it with to_json(); the monitor reads it with
// parse_settings(). Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace hutch::monitor {

struct OverlayRootfs {
  std::vector<std::string> lower;  // layer diff dirs, top-most first; empty = no overlay mount
  std::string upper, work;         // the container's own writable dirs
  std::string target;              // <bundle>/rootfs
  // overlayfs "volatile": no sync of the upper dir, at unmount either
  // (a --rm container's files are gone with it; a crash leaves an upper
  // dir overlayfs refuses to mount again, which only --rm can afford).
  bool volatile_upper = false;
};

struct Healthcheck {
  std::vector<std::string> test;  // process args run with `runtime exec` ("CMD-SHELL" already expanded)
  int64_t interval_ns = 30'000'000'000;
  int64_t timeout_ns = 30'000'000'000;
  int64_t start_period_ns = 0;
  int retries = 3;
  std::string on_failure = "none";  // none | kill | restart
};

struct Settings {
  std::string id;            // the container's full id (also the runtime's container id)
  std::string name;
  std::string image;  // as the user named it, for events
  std::string db;            // <root>/state.db
  std::string bundle;        // <root>/containers/<id>: config.json, rootfs/
  std::string rundir;        // <runroot>/<id>: attach socket, monitor.pid (tmpfs)
  std::string runtime;       // path of the OCI runtime binary
  std::string runtime_root;  // its --root
  std::vector<std::string> runtime_args;  // extra global args for the runtime
  OverlayRootfs rootfs;
  bool terminal = false;     // process.terminal: the monitor owns the pty master (console socket)
  bool stdin_open = false;   // -i: keep a stdin pipe (or the pty) open for attach clients
  // Log (logs/log_file.h).
  std::string log_path;
  uint64_t log_max_size = 0;
  int log_max_file = 1;
  uint64_t log_rate = 0;
  // Restart policy: "no", "on-failure", "always", "unless-stopped"; max
  // retries for on-failure (0 = unlimited).
  std::string restart = "no";
  int restart_max = 0;
  bool has_healthcheck = false;
  Healthcheck health;
  bool loopback_up = false;  // the container has its own network namespace: set its "lo" up before start
  // The engine that starts us records our pid in the container's row (it
  // has the database open already; a child of ours would open it again).
  bool engine_records_pid = false;
  // --ipc shareable: /dev/shm is a tmpfs of this size mounted at
  // <rundir>/shm on the host (for the whole monitor's life), so that
  // containers joining this one's IPC namespace share it, as docker's.
  bool shm_shareable = false;
  uint64_t shm_size = 64 << 20;
  // <runroot>/netns when the engine set up networks for the container
  // (network/attachments.h): the monitor tears them down when it ends for good.
  std::string network_dir;
  bool auto_remove = false;  // --rm: the monitor removes the container when it ends for good
  std::vector<std::string> remove_dirs;  // with auto_remove: anonymous volume dirs to delete too
  std::string stop_signal = "SIGTERM";
  int stop_timeout = 10;
};

std::string to_json(const Settings& s);
Result<Settings> parse_settings(const std::string& text);

}  // namespace hutch::monitor
