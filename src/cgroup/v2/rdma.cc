// v2 rdma controller: cgroup-v2.rst, "RDMA".
#include "cgroup/internal/convert.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Status apply_rdma(const std::string& dir, const std::map<std::string, oci::Rdma>& rdma) {
  for (const auto& [device, limits] : rdma)
    TRY(write_file(dir, "rdma.max", rdma_line(device, limits)));
  return {};
}

}  // namespace hutch::cgroup::v2
