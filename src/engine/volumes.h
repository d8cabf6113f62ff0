// Named volumes for `hutch volume create|ls|inspect|rm|prune`, with docker's
// semantics: the local driver only, data in <root>/volumes/<name>/_data,
// the record in the store's database (state/db.h). Mounting a volume into a
// container is the run path's job; this module only creates, lists and
// removes them.
// Thread-safety: one instance per thread (it holds a database connection);
// any number of processes may use one store at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "state/db.h"

namespace hutch::engine {

// Bytes of the regular files below `dir` (one file system, hard links
// counted once): volume sizes, a container's writable layer for `ps -s`.
Result<uint64_t> tree_size(const std::string& dir);

// docker's rule for local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool valid_volume_name(const std::string& name);

// docker (23+) marks the volumes it makes for a container with this label.
inline constexpr const char* kAnonymousVolumeLabel = "com.docker.volume.anonymous";

class Volumes {
 public:
  using Map = std::map<std::string, std::string>;
  // Tells whether a container uses the named volume.
  using InUse = std::function<bool(const std::string&)>;

  explicit Volumes(std::string root /* the store root */);

  // docker volume create. `name` "" makes a random 64-hex name. A name that
  // exists returns the existing volume unchanged (as docker does). Anonymous
  // volumes carry kAnonymousVolumeLabel. Only the "local" driver exists, and
  // its mount options (type, device, o) are refused for now.
  Result<state::VolumeRow> create(const std::string& name, const Map& labels, const Map& options,
                                  bool anonymous = false, const std::string& driver = "local");
  // All volumes, by name.
  Result<std::vector<state::VolumeRow>> list();
  // ENOENT "get <name>: no such volume".
  Result<state::VolumeRow> inspect(const std::string& name);
  // docker volume rm: EBUSY "remove <name>: volume is in use" when `in_use`
  // says so (even with `force`); a missing volume is ENOENT, or fine with
  // `force`.
  Status remove(const std::string& name, bool force, const InUse& in_use);
  // docker volume prune: removes the unused anonymous volumes, or every
  // unused volume with `all`; returns their names and adds the bytes freed
  // to *freed (when not null).
  Result<std::vector<std::string>> prune(bool all, const InUse& in_use, uint64_t* freed);

  // <root>/volumes/<name>/_data
  std::string data_dir(const std::string& name) const;
  // Bytes of the files under data_dir (hard links once), for prune and
  // `system df`.
  Result<uint64_t> size(const std::string& name) const;
  // docker volume inspect's object (compact JSON): CreatedAt, Driver,
  // Labels, Mountpoint, Name, Options, Scope.
  std::string inspect_json(const state::VolumeRow& v) const;

 private:
  Result<state::Db*> db();
  void event(const std::string& action, const std::string& name, const Map& attributes);

  std::string root_;
  std::optional<state::Db> db_;
};

}  // namespace hutch::engine
