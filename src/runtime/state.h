// State store: one directory per container under the runtime root
// (default /run/hutchrt), holding state.json (written temp + rename),
// config.json (the bundle's config as created, for hooks and exec) and
// exec.fifo (present until `start`). This module owns those names.
// Status is computed, not stored: from the init pid, its start time (pid
// reuse guard), the fifo, and the cgroup freezer.
// Thread-safety: no shared state; cross-process safety via flock on the
// container directory.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/proc.h"

namespace hutch::runtime {

enum class Status_ { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* status_name(Status_ s);

struct ContainerState {
  std::string id;
  std::string oci_version;
  pid_t pid = 0;
  uint64_t pid_start = 0;  // /proc/PID/stat field 22
  std::string bundle;
  std::string rootfs;
  std::string created;     // RFC 3339
  std::string owner;
  std::map<std::string, std::string> annotations;
  json::Ptr cgroup;        // cgroup::Manager::to_json()
  bool new_pid_ns = true;
  bool systemd_cgroup = false;
};

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }
  std::string fifo_path(const std::string& id) const { return dir(id) + "/exec.fifo"; }
  std::string config_path(const std::string& id) const { return dir(id) + "/config.json"; }

  // Checks an id: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 1024 bytes.
  static Status validate_id(const std::string& id);
  // Makes the container directory; EEXIST becomes "container ... already exists".
  Status create_dir(const std::string& id) const;
  Status save(const ContainerState& st) const;
  Result<ContainerState> load(const std::string& id) const;
  Status remove(const std::string& id) const;
  Result<std::vector<std::string>> list() const;
  // Exclusive lock on the container directory (held until the fd closes).
  Result<UniqueFd> lock(const std::string& id) const;

 private:
  std::string root_;
};


// process_start_time() (base/proc.h) tells a live init from pid reuse.
// The live status of a container from its saved state.
Status_ compute_status(const StateStore& store, const ContainerState& st, bool frozen);
// runc's `state` JSON for a container.
std::string state_json(const ContainerState& st, Status_ status, int indent);

}  // namespace hutch::runtime
