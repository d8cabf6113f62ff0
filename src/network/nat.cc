#include "network/nat.h"

#include "base/spawn.h"
#include "base/strings.h"

namespace hutch::network {

namespace {

Result<SpawnResult> iptables(const std::string& op, const std::vector<std::string>& rule) {
  std::vector<std::string> argv = {"/usr/sbin/iptables", "-w", "5", "-t", "nat", op, "POSTROUTING"};
  argv.insert(argv.end(), rule.begin(), rule.end());
  return run_command(argv);
}

}  // namespace

std::vector<std::string> masquerade_rule(const Network& n, const std::string& subnet) {
  return {"-s", subnet, "!", "-o", n.bridge, "-m", "comment", "--comment", "hutch network " + n.name, "-j",
          "MASQUERADE"};
}

Status ensure_masquerade(const Network& n) {
  if (!n.nat()) return {};
  for (const auto& s : n.subnets) {
    auto rule = masquerade_rule(n, s.subnet);
    ASSIGN_OR_RETURN(SpawnResult check, iptables("-C", rule));
    if (check.status == 0) continue;
    ASSIGN_OR_RETURN(SpawnResult add, iptables("-A", rule));
    if (add.status != 0)
      return Error::plain(EIO, "network \"" + n.name + "\": add its NAT rule: iptables: " + std::string(trim(add.output)));
  }
  return {};
}

Status remove_masquerade(const Network& n) {
  if (!n.nat()) return {};
  for (const auto& s : n.subnets) {
    auto rule = masquerade_rule(n, s.subnet);
    // -D removes one copy; two commands racing may have added two.
    for (int i = 0; i < 4; ++i) {
      ASSIGN_OR_RETURN(SpawnResult del, iptables("-D", rule));
      if (del.status != 0) break;
    }
  }
  return {};
}

}  // namespace hutch::network
