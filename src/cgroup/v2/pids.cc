// v2 pids controller: cgroup-v2.rst, "PID".
#include "cgroup/internal/convert.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Status apply_pids(const std::string& dir, int64_t limit) {
  return write_file(dir, "pids.max", pids_max(limit));
}

}  // namespace hutch::cgroup::v2
