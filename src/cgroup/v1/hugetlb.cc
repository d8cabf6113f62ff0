// v1 hugetlb controller: Documentation/admin-guide/cgroup-v1/hugetlb.rst.
#include "cgroup/internal/convert.h"
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

Status apply_hugetlb(const std::string& dir, const std::vector<oci::HugepageLimit>& limits) {
  for (const auto& l : limits) {
    TRY(check_page_size(l.page_size));
    std::string file = "hugetlb." + l.page_size + ".limit_in_bytes";
    if (!file_exists(dir, file))
      return Error(ENOTSUP, "hugepage size \"" + l.page_size + "\" is not supported on this host");
    TRY(write_file(dir, file, std::to_string(l.limit)));
  }
  return {};
}

}  // namespace hutch::cgroup::v1
