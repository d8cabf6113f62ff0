// linux.resources.unified: raw cgroup v2 files, written as given
// (runtime-spec config-linux.md, "Unified").
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Status apply_unified(const std::string& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [key, value] : files) {
    std::string where = "linux.resources.unified[\"" + key + "\"]";
    // The key names a file in the group, never a path out of it.
    if (key.empty() || key == "." || key == ".." || key.find('/') != std::string::npos)
      return Error(EINVAL, where + ": not a cgroup file name");
    auto st = write_file(dir, key, value);
    if (!st.ok() && st.error().code() == ENOENT) {
      std::string controller = key.substr(0, key.find('.'));
      return std::move(st).error().context(where + ": no such file; is the \"" + controller +
                                           "\" controller available and enabled?");
    }
    if (!st.ok()) return std::move(st).error().context(where);
  }
  return {};
}

}  // namespace hutch::cgroup::v2
