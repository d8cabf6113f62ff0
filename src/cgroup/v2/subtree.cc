// Controller delegation: cgroup-v2.rst, "Enabling and Disabling".
#include "base/log.h"
#include "base/strings.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Status enable_controllers(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string available, read_file(dir, "cgroup.controllers"));
  std::vector<std::string> wanted;
  for (const auto& c : split(available, ' '))
    if (!c.empty()) wanted.push_back("+" + c);
  if (wanted.empty()) return {};
  if (write_file(dir, "cgroup.subtree_control", join(wanted, " ")).ok()) return {};
  // One refused controller fails the whole write (e.g. a group that holds
  // tasks itself cannot delegate domain controllers: the "no internal
  // process" rule), so enable the others one by one. A controller left off
  // shows up later as a missing file, with its name.
  for (const auto& c : wanted) {
    auto st = write_file(dir, "cgroup.subtree_control", c);
    if (!st.ok()) log::debug("cgroup", "enable " + c + ": " + st.error().message());
  }
  return {};
}

Status enable_controller_down(const std::string& mount, const std::string& dir, std::string_view controller) {
  std::string cur = mount;
  for (const auto& part : split(dir.substr(mount.size()), '/')) {
    if (part.empty()) continue;
    ASSIGN_OR_RETURN(std::string enabled, read_file(cur, "cgroup.subtree_control"));
    bool on = false;
    for (const auto& c : split(trim(enabled), ' ')) on |= c == controller;
    if (!on) TRY_CTX(write_file(cur, "cgroup.subtree_control", "+" + std::string(controller)),
                     "enable " + std::string(controller) + " in \"" + cur + "\"");
    cur += "/" + part;
  }
  return {};
}

}  // namespace hutch::cgroup::v2
