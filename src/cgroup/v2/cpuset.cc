// v2 cpuset controller: cgroup-v2.rst, "Cpuset". Unlike v1, an empty
// cpuset.cpus means "the parent's", so new groups need no seeding.
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Status apply_cpuset(const std::string& dir, const oci::Cpu& c) {
  if (!c.cpus.empty()) TRY(write_file(dir, "cpuset.cpus", c.cpus));
  if (!c.mems.empty()) TRY(write_file(dir, "cpuset.mems", c.mems));
  return {};
}

}  // namespace hutch::cgroup::v2
