// v1 net_cls controller: Documentation/admin-guide/cgroup-v1/net_cls.rst.
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

Status apply_net_cls(const std::string& dir, const oci::Network& n) {
  if (!n.class_id) return {};
  return write_file(dir, "net_cls.classid", std::to_string(*n.class_id));
}

}  // namespace hutch::cgroup::v1
