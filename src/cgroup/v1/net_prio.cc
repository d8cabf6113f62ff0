// v1 net_prio controller: Documentation/admin-guide/cgroup-v1/net_prio.rst.
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

Status apply_net_prio(const std::string& dir, const oci::Network& n) {
  // One "interface priority" pair per write(2).
  for (const auto& p : n.priorities) {
    if (p.name.empty() || p.name.find_first_of(" \n") != std::string::npos)
      return Error(EINVAL, "network priority: interface name \"" + p.name + "\" is not valid");
    TRY(write_file(dir, "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority)));
  }
  return {};
}

}  // namespace hutch::cgroup::v1
