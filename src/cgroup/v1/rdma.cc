// v1 rdma controller: Documentation/admin-guide/cgroup-v1/rdma.rst.
#include "cgroup/internal/convert.h"
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

Status apply_rdma(const std::string& dir, const std::map<std::string, oci::Rdma>& rdma) {
  for (const auto& [device, limits] : rdma)
    TRY(write_file(dir, "rdma.max", rdma_line(device, limits)));
  return {};
}

}  // namespace hutch::cgroup::v1
