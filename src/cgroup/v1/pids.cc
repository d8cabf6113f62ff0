// v1 pids controller: Documentation/admin-guide/cgroup-v1/pids.rst.
#include "cgroup/internal/convert.h"
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

Status apply_pids(const std::string& dir, int64_t limit) {
  return write_file(dir, "pids.max", pids_max(limit));
}

}  // namespace hutch::cgroup::v1
