// v2 hugetlb controller: cgroup-v2.rst, "HugeTLB".
#include "cgroup/internal/convert.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Status apply_hugetlb(const std::string& dir, const std::vector<oci::HugepageLimit>& limits) {
  for (const auto& l : limits) {
    TRY(check_page_size(l.page_size));
    std::string prefix = "hugetlb." + l.page_size;
    if (!file_exists(dir, prefix + ".max"))
      return Error(ENOTSUP, "hugepage size \"" + l.page_size + "\" is not supported on this host");
    std::string value = std::to_string(l.limit);
    // Since Linux 5.7 hugepage reservations are charged separately
    // (rsvd.max); runc limits both, and so do we.
    if (file_exists(dir, prefix + ".rsvd.max")) TRY(write_file(dir, prefix + ".rsvd.max", value));
    TRY(write_file(dir, prefix + ".max", value));
  }
  return {};
}

}  // namespace hutch::cgroup::v2
