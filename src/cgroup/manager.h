// cgroup::Manager: puts a container in its cgroup(s) and applies
// linux.resources there, on cgroup v1, v2 and the hybrid layout.
//
// The layout is detected at run time from /proc/self/mountinfo: each
// controller lives either on a v1 hierarchy or in the v2 unified tree
// (hybrid hosts mix both; e.g. v1 controllers plus hugetlb on unified).
// A Manager is a set of (controller -> directory) pairs, so one container
// may span hierarchies. Its paths are saved in the runtime state (to_json)
// and reloaded by later commands (from_json) without re-detecting.
// Tests point `root` at a fake cgroupfs tree.
// Thread-safety: an instance is used by one thread.
#pragma once

#include <sys/types.h>

#include <jansson.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hutch::cgroup {

struct Options {
  // Where cgroup filesystems are mounted; "/sys/fs/cgroup" normally.
  std::string root = "/sys/fs/cgroup";
  // mountinfo text to detect from; empty reads /proc/self/mountinfo.
  std::string mountinfo;
  // /proc/self/cgroup text (for relative paths); empty reads the real one.
  std::string self_cgroup;
};

struct Stats {
  uint64_t memory_usage = 0, memory_limit = 0;
  uint64_t cpu_usage_ns = 0;
  uint64_t pids_current = 0;
};

class Manager {
 public:
  virtual ~Manager() = default;

  // Plans the directories for `cgroups_path` (absolute: from each
  // hierarchy's root; relative: below the caller's own cgroup; empty:
  // "/hutch/<id>"). Creates nothing yet.
  static Result<std::unique_ptr<Manager>> plan(const std::string& cgroups_path,
                                               const std::string& id, const Options& opts = {});
  // Reloads a manager from the JSON saved by to_json().
  static Result<std::unique_ptr<Manager>> from_json(const json_t* saved);

  // Creates the directories (and enables v2 controllers on the way down).
  virtual Status create() = 0;
  // Applies resources; also used by `update`. Fields absent stay as they are.
  virtual Status apply(const oci::Resources& res) = 0;
  // Moves a process (all its threads) into every directory.
  virtual Status add_process(pid_t pid) = 0;
  // Freezes (true) or thaws; waits until the kernel reports the new state.
  virtual Status set_frozen(bool frozen) = 0;
  virtual Result<bool> frozen() = 0;
  // Every pid in the cgroup (from the first hierarchy that has cgroup.procs).
  virtual Result<std::vector<pid_t>> pids() = 0;
  virtual Result<Stats> stats() = 0;
  // Removes the directories; retries briefly while exiting tasks drain.
  virtual Status destroy() = 0;
  // The group's directories, keyed by controller ("memory", "cpuacct"...),
  // plus "unified" for the v2 group and "name=systemd" for that hierarchy.
  virtual std::map<std::string, std::string> paths() const = 0;
  // New reference, for the state file.
  virtual json_t* to_json() const = 0;
  // True on a pure v2 host: the one group is in the unified tree, which is
  // then what a container's "cgroup" mount shows.
  virtual bool unified_only() const = 0;
};

}  // namespace hutch::cgroup
