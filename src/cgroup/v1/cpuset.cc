// v1 cpuset controller: Documentation/admin-guide/cgroup-v1/cpusets.rst.
#include "base/strings.h"
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

static Status inherit(const std::string& parent, const std::string& dir, const char* file) {
  ASSIGN_OR_RETURN(std::string own, read_file(dir, file));
  if (!own.empty()) return {};
  ASSIGN_OR_RETURN(std::string from_parent, read_file(parent, file));
  return write_file(dir, file, from_parent);
}

Status init_cpuset(const std::string& mount, const std::string& dir) {
  if (dir.size() <= mount.size()) return {};
  // Top down: a group can only take values its parent already has.
  std::string parent = mount;
  for (const auto& part : split(dir.substr(mount.size()), '/')) {
    if (part.empty()) continue;
    std::string cur = parent + "/" + part;
    TRY(inherit(parent, cur, "cpuset.cpus"));
    TRY(inherit(parent, cur, "cpuset.mems"));
    parent = cur;
  }
  return {};
}

Status apply_cpuset(const std::string& dir, const oci::Cpu& c) {
  if (!c.cpus.empty()) TRY(write_file(dir, "cpuset.cpus", c.cpus));
  if (!c.mems.empty()) TRY(write_file(dir, "cpuset.mems", c.mems));
  return {};
}

}  // namespace hutch::cgroup::v1
