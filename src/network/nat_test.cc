// Unit tests for nat: the MASQUERADE rule's arguments and which networks
// get one (Network::nat()). The iptables runs themselves are covered by
// the root and e2e suites.
#include "network/nat.h"

#include <gtest/gtest.h>

#include "network/config.h"

namespace hutch::network {
namespace {

Network bridge_network(const std::string& name, const std::string& bridge) {
  Network n;
  n.name = name;
  n.id = std::string(64, 'a');
  n.driver = "bridge";
  n.bridge = bridge;
  n.subnets = {{"10.5.0.0/16", "10.5.0.1", ""}};
  return n;
}

TEST(Nat, MasqueradeRuleMatchesTheSubnetLeavingByAnyOtherDevice) {
  Network n = bridge_network("app", "br-0123456789ab");
  EXPECT_EQ(masquerade_rule(n, "10.5.0.0/16"),
            (std::vector<std::string>{"-s", "10.5.0.0/16", "!", "-o", "br-0123456789ab", "-m", "comment", "--comment",
                                      "hutch network app", "-j", "MASQUERADE"}));
  // One argument each, whatever the name holds: the name is never split.
  n.name = "my.net-1_x";
  auto rule = masquerade_rule(n, "192.168.16.0/20");
  ASSERT_EQ(rule.size(), 11u);
  EXPECT_EQ(rule[1], "192.168.16.0/20");
  EXPECT_EQ(rule[8], "hutch network my.net-1_x");
}

TEST(Nat, HutchBridgeNetworksMasquerade) {
  EXPECT_TRUE(bridge_network("app", "br-0123456789ab").nat());
  Network def = bridge_network(kDefaultNetwork, kDefaultBridge);
  def.builtin = true;
  EXPECT_TRUE(def.nat());
  Network on = bridge_network("app", "br-0123456789ab");
  on.options["com.docker.network.bridge.enable_ip_masquerade"] = "true";
  EXPECT_TRUE(on.nat());
}

TEST(Nat, InternalMacvlanUsersConflistsAndMasqueradeFalseDoNot) {
  Network internal = bridge_network("app", "br-0123456789ab");
  internal.internal = true;
  EXPECT_FALSE(internal.nat());

  Network macvlan = bridge_network("mv", "");
  macvlan.driver = "macvlan";
  macvlan.options["parent"] = "eth0";
  EXPECT_FALSE(macvlan.nat());
  Network ipvlan = macvlan;
  ipvlan.driver = "ipvlan";
  EXPECT_FALSE(ipvlan.nat());

  // A user's conflist does its own NAT (the bridge plugin's ipMasq) or none.
  Network users = bridge_network("mine", "cni0");
  users.hutch_made = false;
  EXPECT_FALSE(users.nat());

  for (const char* off : {"false", "0"}) {
    Network n = bridge_network("app", "br-0123456789ab");
    n.options["com.docker.network.bridge.enable_ip_masquerade"] = off;
    EXPECT_FALSE(n.nat()) << off;
  }

  Network no_bridge = bridge_network("app", "");
  EXPECT_FALSE(no_bridge.nat());
  for (const auto& p : pseudo_networks()) EXPECT_FALSE(p.nat()) << p.name;
}

TEST(Nat, NetworksWithoutNatNeedNoIptables) {
  // No iptables run at all: fine without root or the binary.
  Network internal = bridge_network("app", "br-0123456789ab");
  internal.internal = true;
  EXPECT_TRUE(ensure_masquerade(internal).ok());
  EXPECT_TRUE(remove_masquerade(internal).ok());
}

TEST(Nat, ParsedConflistsSayWhetherToMasquerade) {
  // The same decision for a network read back from its file.
  Network n = bridge_network("app", "br-0123456789ab");
  auto parsed = parse_conflist(conflist_text(n), "/run/hutch/ipam", "2024-01-01T00:00:00Z");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_TRUE(parsed->nat());
  n.internal = true;
  auto internal = parse_conflist(conflist_text(n), "/run/hutch/ipam", "2024-01-01T00:00:00Z");
  ASSERT_TRUE(internal.ok());
  EXPECT_FALSE(internal->nat());
  auto users = parse_conflist(
      R"({"cniVersion":"1.0.0","name":"mine","plugins":[{"type":"bridge","bridge":"cni1","ipMasq":true,
          "ipam":{"type":"host-local","ranges":[[{"subnet":"10.77.0.0/24"}]]}}]})",
      "/run/hutch/ipam", "2024-01-01T00:00:00Z");
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->bridge, "cni1");
  EXPECT_FALSE(users->nat());
}

}  // namespace
}  // namespace hutch::network
