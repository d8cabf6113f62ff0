// Group: the Manager implementation, a set of group directories, one per
// hierarchy (v1 hierarchies, the systemd named one, the unified tree).
// Each controller is applied in the directory of the hierarchy serving it.
// Thread-safety: an instance is used by one thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cgroup/manager.h"

namespace hutch::cgroup {

struct Dir {
  int version = 1;
  std::string mount;  // the hierarchy's mount point
  std::string path;   // this group's directory, below `mount`
  // Controllers served here: v1 from the mount options, v2 from the root's
  // cgroup.controllers. Empty for the systemd named hierarchy.
  std::vector<std::string> controllers;
  std::string name;  // "systemd" for the named hierarchy

  bool has(std::string_view controller) const;
};

class Group : public Manager {
 public:
  explicit Group(std::vector<Dir> dirs) : dirs_(std::move(dirs)) {}

  Status create() override;
  Status apply(const oci::Resources& res) override;
  Status add_process(pid_t pid) override;
  Status set_frozen(bool frozen) override;
  Result<bool> frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Result<Stats> stats() override;
  Status destroy() override;
  std::map<std::string, std::string> paths() const override;
  json_t* to_json() const override;
  bool unified_only() const override;

  // The directory where `controller` is applied: its v1 hierarchy, else
  // the unified tree if it serves it. Null if neither does.
  const Dir* dir_for(std::string_view controller) const;

 private:
  const Dir* unified() const;
  Status create_dir(const Dir& d, std::vector<std::string>& made);

  std::vector<Dir> dirs_;
};

// "cgroup controller "rdma" is not available on this host".
Error not_available(std::string_view controller);

// The JSON form of a group, as Group::to_json writes it.
Result<std::vector<Dir>> dirs_from_json(const json_t* saved);

}  // namespace hutch::cgroup
