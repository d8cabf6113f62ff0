#include "engine/volumes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"

namespace hutch::engine {
namespace {

int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// docker's stringid.GenerateRandomID: 32 random bytes in hex.
Result<std::string> random_name() {
  unsigned char buf[32];
  if (getrandom(buf, sizeof buf, 0) != ssize_t(sizeof buf)) return Error::from_errno("generate a volume name");
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : buf) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string to_json(const Volumes::Map& m) {
  json::Ptr o(json_object());
  for (const auto& [k, v] : m) json_object_set_new(o.get(), k.c_str(), json::str(v));
  return json::dump(o.get());
}

// A stored JSON object, or an empty one when the text is not an object.
json_t* object_of(const std::string& text) {
  auto p = json::parse(text);
  if (!p.ok() || !json_is_object(p->get())) return json_object();
  return p->release();
}

// Go's time.RFC3339 in local time, as docker prints CreatedAt:
// "2024-01-02T03:04:05Z" or "2024-01-02T03:04:05+01:00".
std::string rfc3339_local(int64_t ns) {
  time_t secs = time_t(ns / 1'000'000'000);
  struct tm tm;
  localtime_r(&secs, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  long off = tm.tm_gmtoff;
  if (off == 0) return out + "Z";
  int mins = int(std::labs(off) / 60 % (24 * 60));
  char zone[16];
  snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', mins / 60, mins % 60);
  return out + zone;
}

// Adds up the regular files' (and symlinks') sizes under `dir`, each hard
// link once, without following symlinks or entering other file systems.
Status add_sizes(int dir, dev_t dev, std::set<std::pair<dev_t, ino_t>>& seen, uint64_t& total,
                 const std::string& path) {
  int fd = ::dup(dir);
  if (fd < 0) return Error::from_errno("read directory \"" + path + "\"");
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return Error::from_errno("read directory \"" + path + "\"");
  }
  Status st;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat s;
    if (::fstatat(dir, name.c_str(), &s, AT_SYMLINK_NOFOLLOW) != 0) continue;  // removed meanwhile
    if (S_ISDIR(s.st_mode)) {
      if (s.st_dev != dev) continue;
      UniqueFd sub(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) continue;
      st = add_sizes(sub.get(), dev, seen, total, path + "/" + name);
      if (!st.ok()) break;
      continue;
    }
    if (s.st_nlink > 1 && !seen.insert({s.st_dev, s.st_ino}).second) continue;
    total += uint64_t(s.st_size);
  }
  ::closedir(d);
  return st;
}

}  // namespace

bool valid_volume_name(const std::string& name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (name.size() < 2 || !alnum(name[0])) return false;
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

Volumes::Volumes(std::string root) : root_(std::move(root)) {}

// <root>/state.db, as ContainerPaths::db() names it.
Result<state::Db*> Volumes::db() {
  if (!db_) {
    ASSIGN_OR_RETURN(state::Db db, state::Db::open(root_ + "/state.db"));
    db_.emplace(std::move(db));
  }
  return &*db_;
}

void Volumes::event(const std::string& action, const std::string& name, const Map& attributes) {
  auto db = this->db();
  if (!db.ok()) return;
  state::EventRow e;
  e.type = "volume";
  e.action = action;
  e.id = name;
  e.attributes = to_json(attributes);
  auto st = (*db)->add_event(std::move(e));
  if (!st.ok()) log::warn("volume", "record volume " + action + " event: " + st.error().message());
}

std::string Volumes::data_dir(const std::string& name) const { return root_ + "/volumes/" + name + "/_data"; }

Result<state::VolumeRow> Volumes::create(const std::string& name, const Map& labels, const Map& options,
                                         bool anonymous, const std::string& driver) {
  std::string n = name;
  if (n.empty()) {
    // docker: a volume created without a name is anonymous.
    ASSIGN_OR_RETURN(n, random_name());
    anonymous = true;
  } else if (!valid_volume_name(n)) {
    return Error::plain(EINVAL, "create " + n + ": \"" + n +
                                    "\" includes invalid characters for a local volume name, only "
                                    "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                                    "directory, use absolute path");
  }
  if (!driver.empty() && driver != "local")
    return Error::plain(EINVAL, "create " + n + ": error looking up volume plugin " + driver + ": plugin \"" +
                                    driver + "\" not found (hutch has only the \"local\" driver)");
  for (const auto& [k, v] : options)
    if (k != "type" && k != "device" && k != "o")
      return Error::plain(EINVAL, "create " + n + ": invalid option: \"" + k + "\"");
  if (!options.empty())
    return Error::plain(ENOTSUP, "create " + n + ": local driver mount options (type, device, o) are not supported "
                                 "yet: create the volume without --opt");
  ASSIGN_OR_RETURN(state::Db * db, this->db());
  auto existing = db->get_volume(n);
  if (existing.ok()) return existing;
  if (existing.error().code() != ENOENT) return std::move(existing).error().context("create " + n);

  state::VolumeRow v;
  v.name = n;
  v.driver = "local";
  v.created = now_ns();
  Map all_labels = labels;
  if (anonymous) all_labels.emplace(kAnonymousVolumeLabel, "");
  v.labels = to_json(all_labels);
  v.options = to_json(options);
  v.anonymous = anonymous;

  // docker's modes: volumes/ 0701 (traversable to reach _data, not
  // listable), each volume 0755.
  const std::string step = "create " + n;
  TRY_CTX(fs::mkdir_p(root_ + "/volumes", 0701), step);
  std::string vol_dir = root_ + "/volumes/" + n;
  bool made_dir = !fs::exists(vol_dir);
  TRY_CTX(fs::mkdir_p(data_dir(n), 0755), step);
  auto inserted = db->insert_volume(v);
  if (!inserted.ok()) {
    // Another process made it first: theirs is the volume.
    if (inserted.error().code() == EEXIST) {
      auto theirs = db->get_volume(n);
      if (theirs.ok()) return theirs;
    }
    if (made_dir) (void)fs::remove_all(vol_dir);
    return std::move(inserted).error().context(step);
  }
  event("create", n, {{"driver", v.driver}});
  return v;
}

Result<std::vector<state::VolumeRow>> Volumes::list() {
  ASSIGN_OR_RETURN(state::Db * db, this->db());
  return db->list_volumes();
}

Result<state::VolumeRow> Volumes::inspect(const std::string& name) {
  ASSIGN_OR_RETURN(state::Db * db, this->db());
  auto v = db->get_volume(name);
  if (!v.ok() && v.error().code() == ENOENT) return Error::plain(ENOENT, "get " + name + ": no such volume");
  return v;
}

Status Volumes::remove(const std::string& name, bool force, const InUse& in_use) {
  auto v = inspect(name);
  if (!v.ok()) {
    if (force && v.error().code() == ENOENT) return Ok{};
    return std::move(v).error();
  }
  const std::string step = "remove " + name;
  if (in_use && in_use(name)) return Error::plain(EBUSY, step + ": volume is in use");
  // Data first: when that fails the record stays, so `rm` can be retried.
  TRY_CTX(fs::remove_all(root_ + "/volumes/" + name), step);
  ASSIGN_OR_RETURN(state::Db * db, this->db());
  auto gone = db->remove_volume(name);
  if (!gone.ok() && gone.error().code() != ENOENT) return std::move(gone).error().context(step);
  event("destroy", name, {{"driver", v->driver}});
  return Ok{};
}

Result<std::vector<std::string>> Volumes::prune(bool all, const InUse& in_use, uint64_t* freed) {
  ASSIGN_OR_RETURN(std::vector<state::VolumeRow> vols, list());
  std::vector<std::string> removed;
  uint64_t reclaimed = 0;
  for (const auto& v : vols) {
    if (!all && !v.anonymous) continue;
    if (in_use && in_use(v.name)) continue;
    auto bytes = size(v.name);
    auto st = remove(v.name, false, in_use);
    // docker logs a volume it cannot remove and prunes the rest.
    if (!st.ok()) {
      log::warn("volume", "prune: " + st.error().message());
      continue;
    }
    removed.push_back(v.name);
    reclaimed += bytes.ok() ? *bytes : 0;
  }
  if (freed) *freed += reclaimed;
  event("prune", "", {{"reclaimed", std::to_string(reclaimed)}});
  return removed;
}

Result<uint64_t> tree_size(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Error::from_errno("open \"" + dir + "\"");
  struct stat s;
  if (::fstat(fd.get(), &s) != 0) return Error::from_errno("stat \"" + dir + "\"");
  std::set<std::pair<dev_t, ino_t>> seen;
  uint64_t total = 0;
  TRY(add_sizes(fd.get(), s.st_dev, seen, total, dir));
  return total;
}

Result<uint64_t> Volumes::size(const std::string& name) const {
  auto r = tree_size(data_dir(name));
  if (!r.ok()) return std::move(r).error().context("size of volume \"" + name + "\"");
  return r;
}

std::string Volumes::inspect_json(const state::VolumeRow& v) const {
  json::Ptr o(json_object());
  json_object_set_new(o.get(), "CreatedAt", json::str(rfc3339_local(v.created)));
  json_object_set_new(o.get(), "Driver", json::str(v.driver));
  json_object_set_new(o.get(), "Labels", object_of(v.labels));
  json_object_set_new(o.get(), "Mountpoint", json::str(data_dir(v.name)));
  json_object_set_new(o.get(), "Name", json::str(v.name));
  json_object_set_new(o.get(), "Options", object_of(v.options));
  json_object_set_new(o.get(), "Scope", json::str("local"));
  return json::dump(o.get());
}

}  // namespace hutch::engine
