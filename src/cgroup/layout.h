// Which cgroup hierarchies this host has, and where a group lives in each.
//
// detect_layout() reads mountinfo: a "cgroup" (v1) mount serves the
// controllers named in its super options ("rw,cpu,cpuacct"), or is a named
// hierarchy without controllers ("name=systemd"); a "cgroup2" mount is the
// unified tree, serving what its root's cgroup.controllers lists. Pure v1,
// pure v2 and hybrid hosts all come out as a list of hierarchies.
// group_dir() turns a runtime-spec cgroupsPath into a directory of one
// hierarchy, as runc's cgroupfs driver does.
// Thread-safety: pure functions (detect_layout reads cgroup.controllers).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::cgroup {

struct Hierarchy {
  int version = 1;
  std::string mount;  // mount point
  std::string root;   // the cgroup mounted there (mountinfo's root field)
  // v1: from the super options; v2: the root's cgroup.controllers.
  std::vector<std::string> controllers;
  std::string name;  // a named v1 hierarchy ("systemd"); empty otherwise

  bool has(std::string_view controller) const;
};

struct Layout {
  // v1 hierarchies in mountinfo order, then the unified tree if mounted.
  std::vector<Hierarchy> hierarchies;

  const Hierarchy* unified() const;
  // The v1 hierarchy serving `controller`, else the unified tree if it does.
  const Hierarchy* find(std::string_view controller) const;
};

// Every v1 controller this module knows; other hierarchies are ignored.
const std::vector<std::string>& known_v1_controllers();

// Mounts below `root` win over duplicates elsewhere (bind mounts of cgroupfs
// into containers show up in mountinfo too).
Result<Layout> detect_layout(std::string_view mountinfo, const std::string& root);

// /proc/self/cgroup: "ID:CONTROLLERS:PATH" lines, keyed by CONTROLLERS
// ("cpu,cpuacct", "name=systemd"; "" for the unified tree).
std::map<std::string, std::string> parse_self_cgroup(std::string_view text);

// The components of a cgroupsPath; "" and "." are dropped, ".." refused.
Result<std::vector<std::string>> path_components(std::string_view path);

// The directory of `cgroups_path` in `h`: an absolute path starts at the
// hierarchy's mount, a relative one below the caller's own group there
// (from `self`, as parse_self_cgroup returns it).
Result<std::string> group_dir(const Hierarchy& h, std::string_view cgroups_path,
                              const std::map<std::string, std::string>& self);

}  // namespace hutch::cgroup
