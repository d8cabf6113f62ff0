// docker's container commands, daemonless: the engine side of create,
// start, stop, kill, rm, pause, rename, wait and the listing commands.
//
// A container is a database row (state/db.h), a bundle directory and, while
// it runs, a monitor process (monitor/) that owns its stdio, log, exit code
// and restart policy. The engine never waits on containers itself: it
// starts monitors, signals containers through the OCI runtime, and reads
// what monitors recorded. Rows whose monitor died without recording an exit
// (SIGKILL, host crash) are reconciled when read: marked exited and their
// runtime state, mount and run dir cleaned up.
// Thread-safety: one Containers per thread; any number of processes may
// work on one store at once (the database serialises them).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/container_paths.h"
#include "engine/run_options.h"
#include "image/image_index.h"
#include "monitor/launch.h"
#include "state/db.h"

namespace hutch::engine {

// Called between "created" and "start" by start(): attach here so no output
// is missed.
using BeforeStart = std::function<Status(const state::ContainerRow&)>;

class Containers {
 public:
  static Result<Containers> open(const std::string& root, const std::string& runroot = "");

  const ContainerPaths& paths() const { return paths_; }
  state::Db& db() { return db_; }

  // Creates a container from a local image (the caller pulls first when
  // needed); returns its id. On failure nothing is left: no row, no dir.
  Result<std::string> create(const RunOptions& o);
  // Starts a created or exited container: launches its monitor. ENOENT,
  // or EINVAL when it already runs. An error from the runtime (say, the
  // command is not found) carries docker's exit code in *exit_code (125
  // when not the command's fault, 126, 127).
  Status start(const std::string& ref, const BeforeStart& before_start = {}, int* exit_code = nullptr);
  // A monitor spawned ahead (monitor::Launch::spawn) for the next start()
  // to hand its bundle to: `hutch run` spawns it before create's work so
  // the monitor's exec overlaps it. Unused, it exits when dropped.
  void use_monitor(monitor::Launch spawned) { prespawned_ = std::move(spawned); }
  // docker stop: the stop signal, then SIGKILL after `timeout` seconds
  // (default: the container's --stop-timeout, else 10); returns once the
  // monitor recorded the exit. Marks the container stopped by the user.
  // `signal` overrides the container's stop signal ("" = its own).
  Status stop(const std::string& ref, std::optional<int> timeout, const std::string& signal = "");
  Status kill(const std::string& ref, const std::string& signal);
  Status restart(const std::string& ref, std::optional<int> timeout);
  // docker rm [-f] [-v].
  Status remove(const std::string& ref, bool force, bool volumes);
  // A `run --rm` attached to its container, given the exit code: the row
  // goes at once (the name is free again), while the monitor unmounts and
  // removes the rest and adds the "destroy" event. Gone already is fine.
  Status forget_exited(const std::string& id);
  Status pause(const std::string& ref);
  Status unpause(const std::string& ref);
  Status rename(const std::string& ref, const std::string& new_name);
  // Blocks until the container is not running; its exit code.
  Result<int> wait(const std::string& ref);

  // Reconciled rows.
  Result<state::ContainerRow> find(const std::string& ref);
  Result<std::vector<state::ContainerRow>> list();

  // The OCI runtime binary and its name for a --runtime value ("" = the
  // configured default: $HUTCH_RUNTIME, else hutchrt).
  static Result<std::pair<std::string, std::string>> resolve_runtime(const std::string& wanted);
  // Runs the container's runtime with `args` (after --root); output captured.
  Status runtime_call(const state::ContainerRow& row, const std::vector<std::string>& args, std::string* out = nullptr);
  // The container's config document (the row's JSON) parsed.
  static Result<json::Ptr> config_of(const state::ContainerRow& row);
  // Whether the row's monitor process is alive.
  static bool monitor_alive(const state::ContainerRow& row);

  // For `hutch boot`: reconcile every row, then start the containers whose
  // restart policy asks for it. Returns the ids started; per-container
  // errors go to `report`.
  Result<std::vector<std::string>> boot(const std::function<void(const std::string&, const Error&)>& report);

 private:
  Containers(ContainerPaths p, state::Db db) : paths_(std::move(p)), db_(std::move(db)) {}
  Status reconcile(state::ContainerRow& row);
  // container:X namespace modes: the bundle's namespace paths point at X's
  // process as it is now (it may have restarted since the create).
  Status refresh_joined_namespaces(const state::ContainerRow& row);
  Status cleanup_stopped(const state::ContainerRow& row);
  static void remove_cgroups(const std::string& id);
  Status wait_stopped(const std::string& id, int64_t timeout_ms);
  bool wait_monitor_gone(state::ContainerRow& row, int64_t timeout_ms);

  ContainerPaths paths_;
  state::Db db_;
  std::optional<monitor::Launch> prespawned_;
  std::string handed_id_;  // create() sent prespawned_ this container's bundle
};

// A new container id: 64 random lower-case hex characters.
std::string new_container_id();
// docker's generated names ("adjective_surname").
std::string random_name();

}  // namespace hutch::engine

namespace hutch::engine {

// docker's container inspect object for a (reconciled) row.
json::Ptr inspect_container(const ContainerPaths& paths, const state::ContainerRow& row);

}  // namespace hutch::engine
