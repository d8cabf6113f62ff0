// The engine's database: containers, named volumes and events, in one SQLite
// file (<root>/state.db) shared by every `hutch` process and every monitor.
//
// Many processes open it at once: WAL journal, a busy timeout (5 s) and
// `BEGIN IMMEDIATE` for every read-modify-write, so concurrent writers queue
// instead of failing, and readers never see half a change. Rows hold the
// fields that commands filter and sort on as columns; the rest of a
// container's settings are one JSON document (`config`) that only the engine
// interprets. Thread-safety: a Db is used by one thread; open one per thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"

namespace hutch::state {

// Docker's container states.
enum class Status { kCreated, kRunning, kPaused, kRestarting, kRemoving, kExited, kDead };
const char* status_name(Status s);                 // "created", "running", ...
Result<Status> status_from_name(const std::string& s);

struct ContainerRow {
  std::string id;        // 64 lower-case hex
  std::string name;      // without docker's leading "/"
  std::string image;     // as the user named it ("busybox")
  std::string image_id;  // "sha256:..."
  int64_t created = 0;   // unix nanoseconds
  std::string config;    // JSON owned by the engine (command, labels, limits, ...)
  Status status = Status::kCreated;
  int pid = 0;                 // container init on the host, 0 when not running
  int monitor_pid = 0;         // the monitor, 0 when none
  uint64_t monitor_start = 0;  // its start time (base/proc.h), against pid reuse
  int exit_code = 0;
  int64_t started_at = 0;   // unix ns, 0 = never
  int64_t finished_at = 0;  // unix ns, 0 = never
  int restart_count = 0;
  bool stopped_by_user = false;  // `stop`/`kill`: restart policies back off
  bool oom_killed = false;
  std::string error;           // last start error, "" when none
  std::string health;          // "", "starting", "healthy", "unhealthy"
  int health_failing_streak = 0;
  std::string health_log = "[]";  // JSON array of docker's {Start,End,ExitCode,Output}, newest last, at most 5
  uint64_t log_dropped = 0;       // bytes dropped by --log-opt rate
};

struct VolumeRow {
  std::string name;
  std::string driver = "local";
  int64_t created = 0;      // unix ns
  std::string labels = "{}";   // JSON object
  std::string options = "{}";  // JSON object
  bool anonymous = false;
};

struct EventRow {
  int64_t seq = 0;      // assigned by add_event, increasing
  int64_t time = 0;     // unix ns
  std::string type;     // "container", "image", "volume", "network"
  std::string action;   // docker's: "create", "start", "die", "stop", "kill", "destroy", "rename", ...
  std::string id;       // object id or name
  std::string attributes = "{}";  // JSON object of strings (name, image, exitCode, signal, ...)
};

// In this namespace `Status` is the container state above; Db's methods
// return hutch::Status (base/error.h), spelled out in full.
class Db {
 public:
  // Opens (creating the file and schema when missing) `path`.
  static Result<Db> open(const std::string& path);
  // A Db that opens `path` at its first call, which then fails as open()
  // would: a command can do the work that needs no database first (and
  // hand it to a process that runs meanwhile) before paying for the open.
  static Db deferred(const std::string& path);
  bool is_open() const { return db_ != nullptr; }
  Db(Db&&) noexcept;
  Db& operator=(Db&&) noexcept;
  ~Db();

  // Fails with EEXIST and docker's text when the id or name is taken:
  // `the container name "/web" is already in use by container "<id>". You have to
  // remove (or rename) that container to be able to reuse that name.`
  hutch::Status insert(const ContainerRow& row);
  // By full id only; ENOENT "no such container: <id>".
  Result<ContainerRow> get(const std::string& id);
  // As docker resolves a user's reference: full id, then exact name (with or
  // without a leading "/"), then a unique id prefix. ENOENT
  // "no such container: <ref>"; EINVAL when a prefix matches several.
  Result<ContainerRow> find(const std::string& ref);
  // All containers, newest first.
  Result<std::vector<ContainerRow>> list();
  // Runs `work` (calls on this Db) as one IMMEDIATE transaction: one
  // commit for several changes; an error from `work` rolls them all back.
  hutch::Status batch(const std::function<hutch::Status()>& work);
  // Reads the row, lets `change` edit it, writes it back, in one IMMEDIATE
  // transaction. `change` may return an error to abort. The id cannot change.
  // `change` must not use this Db (the transaction is open).
  hutch::Status update(const std::string& id, const std::function<hutch::Status(ContainerRow&)>& change);
  // EEXIST as insert() when `name` is taken.
  hutch::Status rename(const std::string& id, const std::string& name);
  // ENOENT when absent.
  hutch::Status remove(const std::string& id);

  hutch::Status insert_volume(const VolumeRow& v);  // EEXIST when the name is taken
  Result<VolumeRow> get_volume(const std::string& name);  // ENOENT "no such volume: <name>"
  Result<std::vector<VolumeRow>> list_volumes();
  hutch::Status remove_volume(const std::string& name);

  // Appends an event (seq and, when 0, time are filled in); keeps the newest
  // 10,000 events.
  static constexpr int64_t kMaxEvents = 10000;
  hutch::Status add_event(EventRow e);
  // Events with seq > after_seq and since <= time <= until (0 = unbounded),
  // oldest first.
  Result<std::vector<EventRow>> events(int64_t after_seq, int64_t since, int64_t until);

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  // Opens a deferred Db (no-op once open).
  hutch::Status ready();
  sqlite3* db_ = nullptr;
  std::string deferred_path_;
};

}  // namespace hutch::state
