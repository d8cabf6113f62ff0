// Unit tests for isolation: which networks get the firewall plugin's
// per-network run, and what it is given. The plugin run itself is covered
// by the e2e suite (a container on another network cannot reach).
#include "network/isolation.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace hutch::network {
namespace {

Network user_bridge() {
  Network n;
  n.name = "app";
  n.id = "0123456789abcdef" + std::string(48, '0');
  n.driver = "bridge";
  n.bridge = "br-0123456789ab";
  n.subnets = {{"10.5.0.0/16", "10.5.0.1", ""}};
  return n;
}

TEST(Isolation, OnlyHutchBridgeNetworks) {
  EXPECT_TRUE(isolated(user_bridge()));
  Network n = user_bridge();
  n.internal = true;
  EXPECT_TRUE(isolated(n));  // internal ones too: no way to another bridge either
  n = user_bridge();
  n.driver = "macvlan";
  EXPECT_FALSE(isolated(n));
  n = user_bridge();
  n.hutch_made = false;  // a user's conflist: theirs to configure
  EXPECT_FALSE(isolated(n));
  n = user_bridge();
  n.subnets.clear();
  EXPECT_FALSE(isolated(n));
}

TEST(Isolation, OneFirewallPluginGivenTheBridgeAndItsGateway) {
  Network n = user_bridge();
  auto list = json::parse(isolation_conflist(n));
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(json::string_of(list->get(), "name"), "app");
  json_t* plugins = json_object_get(list->get(), "plugins");
  ASSERT_EQ(json_array_size(plugins), 1u);
  EXPECT_EQ(json::dump(json_array_get(plugins, 0)),
            "{\"type\":\"firewall\",\"backend\":\"iptables\",\"ingressPolicy\":\"same-bridge\"}");
  EXPECT_EQ(isolation_prev_result(n),
            "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"br-0123456789ab\"}],"
            "\"ips\":[{\"address\":\"10.5.0.1/16\",\"interface\":0}]}");
}

TEST(Isolation, NothingToDoForOtherNetworks) {
  Network n = user_bridge();
  n.driver = "ipvlan";
  // No plugin dirs, no marker dir: nothing is run or written.
  EXPECT_TRUE(ensure_isolation(n, "/nonexistent/dir", {}).ok());
  EXPECT_TRUE(remove_isolation(n, "/nonexistent/dir", {}).ok());
}

}  // namespace
}  // namespace hutch::network
