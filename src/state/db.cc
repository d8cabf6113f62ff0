#include "state/db.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <optional>
#include <utility>

#include "base/fs.h"

namespace hutch::state {
namespace {

// PRAGMA user_version: bump with a migration step in setup() when the
// schema changes.
constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 5000;
// The busy handler waits kBusyTimeoutMs per attempt; a lock that stays
// taken longer (a slow disk under many writers) is retried up to this long
// before the caller sees EBUSY.
constexpr int64_t kRetryForNs = 60'000'000'000;

const char* const kStatusNames[] = {"created", "running", "paused", "restarting", "removing", "exited", "dead"};

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS containers (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  created INTEGER NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  pid INTEGER NOT NULL,
  monitor_pid INTEGER NOT NULL,
  monitor_start INTEGER NOT NULL,
  exit_code INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  restart_count INTEGER NOT NULL,
  stopped_by_user INTEGER NOT NULL,
  oom_killed INTEGER NOT NULL,
  error TEXT NOT NULL,
  health TEXT NOT NULL,
  health_failing_streak INTEGER NOT NULL,
  health_log TEXT NOT NULL,
  log_dropped INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS volumes (
  name TEXT PRIMARY KEY NOT NULL,
  driver TEXT NOT NULL,
  created INTEGER NOT NULL,
  labels TEXT NOT NULL,
  options TEXT NOT NULL,
  anonymous INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  type TEXT NOT NULL,
  action TEXT NOT NULL,
  id TEXT NOT NULL,
  attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
)";

// The container columns in the order bind_container() and read_container()
// use; UPDATE names them as ?1..?21 in the same order.
#define HUTCH_CONTAINER_COLS                                                                              \
  "id, name, image, image_id, created, config, status, pid, monitor_pid, monitor_start, exit_code, "     \
  "started_at, finished_at, restart_count, stopped_by_user, oom_killed, error, health, "                 \
  "health_failing_streak, health_log, log_dropped"
#define HUTCH_VOLUME_COLS "name, driver, created, labels, options, anonymous"
#define HUTCH_EVENT_COLS "seq, time, type, action, id, attributes"

int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t monotonic_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool is_busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

// Sleeps 5-45 ms, spread by pid so queued processes do not wake together.
void backoff(int attempt) {
  struct timespec ts = {0, (5 + (getpid() * 7919 + attempt * 104729) % 41) * 1'000'000L};
  nanosleep(&ts, nullptr);
}

Error sql_error(sqlite3* db, int rc, const std::string& step) {
  std::string msg = step + ": sqlite: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Error::plain(EBUSY, msg + " (another hutch process holds the database)");
    case SQLITE_NOMEM: return Error::plain(ENOMEM, msg);
    case SQLITE_FULL: return Error::plain(ENOSPC, msg);
    case SQLITE_READONLY: return Error::plain(EROFS, msg);
    case SQLITE_PERM:
    case SQLITE_AUTH: return Error::plain(EACCES, msg);
    case SQLITE_CONSTRAINT: return Error::plain(EEXIST, msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR: {
      // The failing system call's errno says more than sqlite's text.
      int e = db ? sqlite3_system_errno(db) : 0;
      return e ? Error(e, msg) : Error::plain(EIO, msg);
    }
    default: return Error::plain(EIO, msg);
  }
}

Error no_such_container(const std::string& ref) { return Error::plain(ENOENT, "no such container: " + ref); }

Error name_conflict(const std::string& name, const std::string& id) {
  return Error::plain(EEXIST, "the container name \"/" + name + "\" is already in use by container \"" + id +
                                  "\". You have to remove (or rename) that container to be able to reuse that name.");
}

// A prepared statement; values are only ever bound, never spliced into SQL.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  hutch::Status prepared(const std::string& step) const {
    if (rc_ != SQLITE_OK) return sql_error(db_, rc_, step);
    return Ok{};
  }
  void bind(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT); }
  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  // true for a row, false when done.
  Result<bool> step(const std::string& what) {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sql_error(db_, rc, what);
  }
  // Runs a statement that returns no rows.
  hutch::Status run(const std::string& what) {
    ASSIGN_OR_RETURN(bool row, step(what));
    (void)row;
    return Ok{};
  }
  std::string text(int col) const {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s_, col))) : std::string();
  }
  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

// Runs SQL without values (pragmas, schema), retrying while another
// process holds a lock the busy handler gave up on.
hutch::Status exec(sqlite3* db, const char* sql, const std::string& step) {
  int64_t deadline = monotonic_ns() + kRetryForNs;
  for (int attempt = 0;; ++attempt) {
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Ok{};
    if (!is_busy(rc) || monotonic_ns() > deadline) return sql_error(db, rc, step);
    backoff(attempt);
  }
}

// A write transaction: BEGIN IMMEDIATE takes the write lock up front, so a
// read-modify-write never has to upgrade (and fail) half way. Rolls back
// unless committed.
class Txn {
 public:
  explicit Txn(sqlite3* db) : db_(db) {}
  ~Txn() {
    if (open_) sqlite3_exec(db_, nested_ ? "ROLLBACK TO step; RELEASE step" : "ROLLBACK", nullptr, nullptr, nullptr);
  }
  hutch::Status begin() {
    // Inside a batch (Db::batch): a savepoint of the open transaction.
    nested_ = !sqlite3_get_autocommit(db_);
    TRY(exec(db_, nested_ ? "SAVEPOINT step" : "BEGIN IMMEDIATE", "begin transaction"));
    open_ = true;
    return Ok{};
  }
  hutch::Status commit() {
    TRY(exec(db_, nested_ ? "RELEASE step" : "COMMIT", "commit"));
    open_ = false;
    return Ok{};
  }

 private:
  sqlite3* db_;
  bool open_ = false;
  bool nested_ = false;
};

Result<int> user_version(sqlite3* db) {
  Stmt st(db, "PRAGMA user_version");
  TRY(st.prepared("read schema version"));
  ASSIGN_OR_RETURN(bool row, st.step("read schema version"));
  return row ? int(st.i64(0)) : 0;
}

hutch::Status setup(sqlite3* db) {
  // Every command opens the database: only what a connection must set is
  // set here (busy timeout: Db::open; foreign keys: off by default).
  // NORMAL in WAL mode: a power loss may drop the last commits but never
  // corrupts the file; fsync only at checkpoints.
  TRY(exec(db, "PRAGMA synchronous=NORMAL", "set synchronous mode"));
  // Connections do not checkpoint on close (Db::open), so the first one of
  // each command rebuilds the WAL index by reading the whole WAL: keep it
  // short (64 pages) so that costs little, at a checkpoint every few
  // commands instead of one per command.
  TRY(exec(db, "PRAGMA wal_autocheckpoint=64", "set the checkpoint interval"));
  ASSIGN_OR_RETURN(int version, user_version(db));
  if (version == kSchemaVersion) return Ok{};
  if (version > kSchemaVersion)
    return Error::plain(EPROTO, "database schema version " + std::to_string(version) +
                                    " is newer than this hutch supports (" + std::to_string(kSchemaVersion) +
                                    "): use a newer hutch");
  // WAL: readers never block the writer, and the writer never blocks
  // readers. The mode is stored in the file: set once, with the schema
  // (and outside its transaction, where it cannot change).
  TRY(exec(db, "PRAGMA journal_mode=WAL", "set WAL journal mode"));
  Txn txn(db);
  TRY(txn.begin());
  // Another process may have created the schema while we waited.
  ASSIGN_OR_RETURN(version, user_version(db));
  if (version < 1) {
    TRY(exec(db, kSchema, "create schema"));
    TRY(exec(db, "PRAGMA user_version=1", "set schema version"));
  }
  return txn.commit();
}

void bind_container(Stmt& st, const ContainerRow& r) {
  st.bind(1, r.id);
  st.bind(2, r.name);
  st.bind(3, r.image);
  st.bind(4, r.image_id);
  st.bind(5, r.created);
  st.bind(6, r.config);
  st.bind(7, std::string(status_name(r.status)));
  st.bind(8, int64_t(r.pid));
  st.bind(9, int64_t(r.monitor_pid));
  st.bind(10, int64_t(r.monitor_start));
  st.bind(11, int64_t(r.exit_code));
  st.bind(12, r.started_at);
  st.bind(13, r.finished_at);
  st.bind(14, int64_t(r.restart_count));
  st.bind(15, int64_t(r.stopped_by_user));
  st.bind(16, int64_t(r.oom_killed));
  st.bind(17, r.error);
  st.bind(18, r.health);
  st.bind(19, int64_t(r.health_failing_streak));
  st.bind(20, r.health_log);
  st.bind(21, int64_t(r.log_dropped));
}

Result<ContainerRow> read_container(const Stmt& st) {
  ContainerRow r;
  r.id = st.text(0);
  r.name = st.text(1);
  r.image = st.text(2);
  r.image_id = st.text(3);
  r.created = st.i64(4);
  r.config = st.text(5);
  auto status = status_from_name(st.text(6));
  if (!status.ok()) return std::move(status).error().context("read container \"" + r.id + "\"");
  r.status = *status;
  r.pid = int(st.i64(7));
  r.monitor_pid = int(st.i64(8));
  r.monitor_start = uint64_t(st.i64(9));
  r.exit_code = int(st.i64(10));
  r.started_at = st.i64(11);
  r.finished_at = st.i64(12);
  r.restart_count = int(st.i64(13));
  r.stopped_by_user = st.i64(14) != 0;
  r.oom_killed = st.i64(15) != 0;
  r.error = st.text(16);
  r.health = st.text(17);
  r.health_failing_streak = int(st.i64(18));
  r.health_log = st.text(19);
  r.log_dropped = uint64_t(st.i64(20));
  return r;
}

// The container whose `column` equals `value`, if any.
Result<std::optional<ContainerRow>> container_where(sqlite3* db, const char* sql, const std::string& value) {
  Stmt st(db, sql);
  TRY(st.prepared("read container"));
  st.bind(1, value);
  ASSIGN_OR_RETURN(bool row, st.step("read container"));
  if (!row) return std::optional<ContainerRow>();
  ASSIGN_OR_RETURN(ContainerRow r, read_container(st));
  return std::optional<ContainerRow>(std::move(r));
}

constexpr const char* kById = "SELECT " HUTCH_CONTAINER_COLS " FROM containers WHERE id = ?1";
constexpr const char* kByName = "SELECT " HUTCH_CONTAINER_COLS " FROM containers WHERE name = ?1";

// Fails with docker's conflict text when `name` belongs to a container
// other than `self`.
hutch::Status check_name_free(sqlite3* db, const std::string& name, const std::string& self) {
  Stmt st(db, "SELECT id FROM containers WHERE name = ?1");
  TRY(st.prepared("check name"));
  st.bind(1, name);
  ASSIGN_OR_RETURN(bool row, st.step("check name"));
  if (row && st.text(0) != self) return name_conflict(name, st.text(0));
  return Ok{};
}

hutch::Status write_container(sqlite3* db, const char* sql, const ContainerRow& r, const std::string& what) {
  Stmt st(db, sql);
  TRY(st.prepared(what));
  bind_container(st, r);
  return st.run(what);
}

}  // namespace

const char* status_name(Status s) {
  size_t i = size_t(s);
  return i < std::size(kStatusNames) ? kStatusNames[i] : "unknown";
}

Result<Status> status_from_name(const std::string& s) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i)
    if (s == kStatusNames[i]) return Status(i);
  return Error::plain(EINVAL, "unknown container status \"" + s + "\"");
}

Result<Db> Db::open(const std::string& path) {
  const std::string step = "open database \"" + path + "\"";
  std::string dir = fs::dirname(path);
  if (!dir.empty() && !fs::exists(dir)) TRY_CTX(fs::mkdir_p(dir, 0700), step);
  // Made here so it starts private; sqlite gives its -wal and -shm files
  // the database file's mode.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Error::from_errno(step);
  ::close(fd);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) return sql_error(raw, rc, step);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // Every hutch command and monitor step is a short-lived connection, often
  // the only one: by default the last to close checkpoints the WAL into the
  // database and deletes it, with two fsyncs, several milliseconds each
  // time. Commits stay durable in the WAL (synchronous=NORMAL); SQLite's
  // automatic checkpoint (every 1000 pages) still folds them in.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  TRY_CTX(setup(raw), step);
  return db;
}

Db Db::deferred(const std::string& path) {
  Db db(nullptr);
  db.deferred_path_ = path;
  return db;
}

hutch::Status Db::ready() {
  if (db_) return Ok{};
  if (deferred_path_.empty()) return Error::plain(EBADF, "the database is not open");
  ASSIGN_OR_RETURN(Db opened, open(deferred_path_));
  db_ = std::exchange(opened.db_, nullptr);
  deferred_path_.clear();
  return Ok{};
}

Db::Db(Db&& o) noexcept : db_(o.db_), deferred_path_(std::move(o.deferred_path_)) { o.db_ = nullptr; }

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = o.db_;
    o.db_ = nullptr;
    deferred_path_ = std::move(o.deferred_path_);
  }
  return *this;
}

Db::~Db() {
  if (db_) sqlite3_close_v2(db_);
}

hutch::Status Db::batch(const std::function<hutch::Status()>& work) {
  TRY(ready());
  Txn txn(db_);
  TRY(txn.begin());
  TRY(work());
  return txn.commit();
}

hutch::Status Db::insert(const ContainerRow& row) {
  TRY(ready());
  Txn txn(db_);
  TRY(txn.begin());
  TRY(check_name_free(db_, row.name, row.id));
  ASSIGN_OR_RETURN(auto same_id, container_where(db_, kById, row.id));
  if (same_id)
    return Error::plain(EEXIST, "container id \"" + row.id + "\" is already in use by container \"/" +
                                    same_id->name + "\"");
  TRY(write_container(db_, "INSERT INTO containers (" HUTCH_CONTAINER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                      "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                      row, "insert container"));
  return txn.commit();
}

Result<ContainerRow> Db::get(const std::string& id) {
  TRY(ready());
  ASSIGN_OR_RETURN(auto r, container_where(db_, kById, id));
  if (!r) return no_such_container(id);
  return std::move(*r);
}

Result<ContainerRow> Db::find(const std::string& ref) {
  TRY(ready());
  if (ref.empty()) return no_such_container(ref);
  ASSIGN_OR_RETURN(auto by_id, container_where(db_, kById, ref));
  if (by_id) return std::move(*by_id);
  ASSIGN_OR_RETURN(auto by_name, container_where(db_, kByName, ref[0] == '/' ? ref.substr(1) : ref));
  if (by_name) return std::move(*by_name);
  // Only lower-case hex can prefix an id; anything else (GLOB's * ? [ too)
  // matches nothing.
  if (ref.find_first_not_of("0123456789abcdef") != std::string::npos) return no_such_container(ref);
  Stmt st(db_, "SELECT " HUTCH_CONTAINER_COLS " FROM containers WHERE id GLOB ?1 LIMIT 2");
  TRY(st.prepared("find container"));
  st.bind(1, ref + "*");
  ASSIGN_OR_RETURN(bool row, st.step("find container"));
  if (!row) return no_such_container(ref);
  ASSIGN_OR_RETURN(ContainerRow r, read_container(st));
  ASSIGN_OR_RETURN(bool more, st.step("find container"));
  if (more) return Error::plain(EINVAL, "multiple IDs found with provided prefix: " + ref);
  return r;
}

Result<std::vector<ContainerRow>> Db::list() {
  TRY(ready());
  Stmt st(db_, "SELECT " HUTCH_CONTAINER_COLS " FROM containers ORDER BY created DESC, rowid DESC");
  TRY(st.prepared("list containers"));
  std::vector<ContainerRow> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step("list containers"));
    if (!row) break;
    ASSIGN_OR_RETURN(ContainerRow r, read_container(st));
    out.push_back(std::move(r));
  }
  return out;
}

hutch::Status Db::update(const std::string& id, const std::function<hutch::Status(ContainerRow&)>& change) {
  TRY(ready());
  Txn txn(db_);
  TRY(txn.begin());
  ASSIGN_OR_RETURN(auto cur, container_where(db_, kById, id));
  if (!cur) return no_such_container(id);
  std::string old_name = cur->name;
  TRY(change(*cur));
  if (cur->id != id) return Error::plain(EINVAL, "update container \"" + id + "\": the id cannot change");
  if (cur->name != old_name) TRY(check_name_free(db_, cur->name, id));
  TRY(write_container(db_,
                      "UPDATE containers SET name = ?2, image = ?3, image_id = ?4, created = ?5, config = ?6, "
                      "status = ?7, pid = ?8, monitor_pid = ?9, monitor_start = ?10, exit_code = ?11, "
                      "started_at = ?12, finished_at = ?13, restart_count = ?14, stopped_by_user = ?15, "
                      "oom_killed = ?16, error = ?17, health = ?18, health_failing_streak = ?19, "
                      "health_log = ?20, log_dropped = ?21 WHERE id = ?1",
                      *cur, "update container"));
  return txn.commit();
}

hutch::Status Db::rename(const std::string& id, const std::string& name) {
  TRY(ready());
  Txn txn(db_);
  TRY(txn.begin());
  ASSIGN_OR_RETURN(auto cur, container_where(db_, kById, id));
  if (!cur) return no_such_container(id);
  if (cur->name == name)
    return Error::plain(EINVAL, "renaming a container with the same name as its current name");
  TRY(check_name_free(db_, name, id));
  Stmt st(db_, "UPDATE containers SET name = ?2 WHERE id = ?1");
  TRY(st.prepared("rename container"));
  st.bind(1, id);
  st.bind(2, name);
  TRY(st.run("rename container"));
  return txn.commit();
}

hutch::Status Db::remove(const std::string& id) {
  TRY(ready());
  Stmt st(db_, "DELETE FROM containers WHERE id = ?1");
  TRY(st.prepared("remove container"));
  st.bind(1, id);
  TRY(st.run("remove container"));
  if (sqlite3_changes(db_) == 0) return no_such_container(id);
  return Ok{};
}

hutch::Status Db::insert_volume(const VolumeRow& v) {
  TRY(ready());
  Stmt st(db_, "INSERT INTO volumes (" HUTCH_VOLUME_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  TRY(st.prepared("insert volume"));
  st.bind(1, v.name);
  st.bind(2, v.driver);
  st.bind(3, v.created);
  st.bind(4, v.labels);
  st.bind(5, v.options);
  st.bind(6, int64_t(v.anonymous));
  auto r = st.run("insert volume");
  if (!r.ok() && r.error().code() == EEXIST)
    return Error::plain(EEXIST, "volume \"" + v.name + "\" already exists");
  return r;
}

namespace {

VolumeRow read_volume(const Stmt& st) {
  VolumeRow v;
  v.name = st.text(0);
  v.driver = st.text(1);
  v.created = st.i64(2);
  v.labels = st.text(3);
  v.options = st.text(4);
  v.anonymous = st.i64(5) != 0;
  return v;
}

}  // namespace

Result<VolumeRow> Db::get_volume(const std::string& name) {
  TRY(ready());
  Stmt st(db_, "SELECT " HUTCH_VOLUME_COLS " FROM volumes WHERE name = ?1");
  TRY(st.prepared("read volume"));
  st.bind(1, name);
  ASSIGN_OR_RETURN(bool row, st.step("read volume"));
  if (!row) return Error::plain(ENOENT, "no such volume: " + name);
  return read_volume(st);
}

Result<std::vector<VolumeRow>> Db::list_volumes() {
  TRY(ready());
  Stmt st(db_, "SELECT " HUTCH_VOLUME_COLS " FROM volumes ORDER BY name");
  TRY(st.prepared("list volumes"));
  std::vector<VolumeRow> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step("list volumes"));
    if (!row) break;
    out.push_back(read_volume(st));
  }
  return out;
}

hutch::Status Db::remove_volume(const std::string& name) {
  TRY(ready());
  Stmt st(db_, "DELETE FROM volumes WHERE name = ?1");
  TRY(st.prepared("remove volume"));
  st.bind(1, name);
  TRY(st.run("remove volume"));
  if (sqlite3_changes(db_) == 0) return Error::plain(ENOENT, "no such volume: " + name);
  return Ok{};
}

hutch::Status Db::add_event(EventRow e) {
  TRY(ready());
  if (e.time == 0) e.time = now_ns();
  Txn txn(db_);
  TRY(txn.begin());
  Stmt st(db_, "INSERT INTO events (time, type, action, id, attributes) VALUES (?1, ?2, ?3, ?4, ?5)");
  TRY(st.prepared("add event"));
  st.bind(1, e.time);
  st.bind(2, e.type);
  st.bind(3, e.action);
  st.bind(4, e.id);
  st.bind(5, e.attributes);
  TRY(st.run("add event"));
  // AUTOINCREMENT never reuses a seq and a rolled-back insert takes none,
  // so the newest kMaxEvents are exactly those above seq - kMaxEvents.
  e.seq = sqlite3_last_insert_rowid(db_);
  Stmt trim(db_, "DELETE FROM events WHERE seq <= ?1");
  TRY(trim.prepared("trim events"));
  trim.bind(1, e.seq - kMaxEvents);
  TRY(trim.run("trim events"));
  return txn.commit();
}

Result<std::vector<EventRow>> Db::events(int64_t after_seq, int64_t since, int64_t until) {
  TRY(ready());
  Stmt st(db_,
          "SELECT " HUTCH_EVENT_COLS " FROM events WHERE seq > ?1 AND (?2 = 0 OR time >= ?2) "
          "AND (?3 = 0 OR time <= ?3) ORDER BY seq");
  TRY(st.prepared("read events"));
  st.bind(1, after_seq);
  st.bind(2, since);
  st.bind(3, until);
  std::vector<EventRow> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step("read events"));
    if (!row) break;
    EventRow e;
    e.seq = st.i64(0);
    e.time = st.i64(1);
    e.type = st.text(2);
    e.action = st.text(3);
    e.id = st.text(4);
    e.attributes = st.text(5);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace hutch::state
