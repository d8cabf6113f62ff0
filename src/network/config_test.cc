#include "network/config.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace hutch::network {
namespace {

Cidr cidr(const char* s) {
  auto c = parse_cidr(s);
  EXPECT_TRUE(c.ok()) << s << ": " << c.error().message();
  return c.ok() ? *c : Cidr{};
}

TEST(Ipv4, ParseAndFormat) {
  EXPECT_EQ(parse_ipv4("0.0.0.0"), Ipv4{0});
  EXPECT_EQ(parse_ipv4("255.255.255.255"), Ipv4{0xffffffff});
  EXPECT_EQ(parse_ipv4("172.17.0.1"), Ipv4{0xac110001});
  EXPECT_EQ(format_ipv4(0xac110001), "172.17.0.1");
  EXPECT_EQ(format_ipv4(0), "0.0.0.0");
  for (const char* bad : {"", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4", "1..2.3",
                          "1.2.3.", "a.b.c.d", "1.2.3.4/8", "1234.1.1.1", "-1.2.3.4", "::1"})
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
}

TEST(Cidr, Parse) {
  Cidr c = cidr("10.1.0.0/16");
  EXPECT_EQ(c.str(), "10.1.0.0/16");
  EXPECT_EQ(format_ipv4(c.mask()), "255.255.0.0");
  EXPECT_EQ(format_ipv4(c.first()), "10.1.0.0");
  EXPECT_EQ(format_ipv4(c.last()), "10.1.255.255");
  EXPECT_EQ(cidr("0.0.0.0/0").mask(), 0u);
  EXPECT_EQ(cidr("0.0.0.0/0").last(), 0xffffffffu);
  EXPECT_EQ(cidr("1.2.3.4/32").first(), cidr("1.2.3.4/32").last());

  auto host_bits = parse_cidr("10.1.0.5/16");
  ASSERT_FALSE(host_bits.ok());
  EXPECT_EQ(host_bits.error().code(), EINVAL);
  EXPECT_EQ(host_bits.error().message(), "invalid subnet 10.1.0.5/16: it should be 10.1.0.0/16");
  auto v6 = parse_cidr("fd00::/64");
  ASSERT_FALSE(v6.ok());
  EXPECT_EQ(v6.error().code(), ENOTSUP);
  EXPECT_EQ(v6.error().message(), "IPv6 subnet fd00::/64 is not supported yet");
  for (const char* bad : {"", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0/8",
                          "x/8", "10.0.0.0/8/8", "10.0.0.0/ 8"}) {
    auto r = parse_cidr(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(), std::string("invalid CIDR address: ") + bad);
  }
}

TEST(Cidr, OverlapContainsFirstHost) {
  EXPECT_TRUE(overlaps(cidr("10.1.0.0/16"), cidr("10.1.0.0/24")));
  EXPECT_TRUE(overlaps(cidr("10.1.0.0/24"), cidr("10.1.0.0/16")));
  EXPECT_TRUE(overlaps(cidr("10.1.5.0/24"), cidr("10.0.0.0/8")));
  EXPECT_TRUE(overlaps(cidr("0.0.0.0/0"), cidr("192.168.1.0/24")));
  EXPECT_FALSE(overlaps(cidr("10.1.0.0/16"), cidr("10.2.0.0/16")));
  EXPECT_FALSE(overlaps(cidr("192.168.0.0/20"), cidr("192.168.16.0/20")));
  EXPECT_FALSE(overlaps(cidr("10.0.0.0/32"), cidr("10.0.0.1/32")));

  EXPECT_TRUE(contains(cidr("10.1.0.0/16"), *parse_ipv4("10.1.255.255")));
  EXPECT_FALSE(contains(cidr("10.1.0.0/16"), *parse_ipv4("10.2.0.0")));
  EXPECT_TRUE(contains(cidr("10.1.0.0/16"), cidr("10.1.3.0/24")));
  EXPECT_TRUE(contains(cidr("10.1.0.0/16"), cidr("10.1.0.0/16")));
  EXPECT_FALSE(contains(cidr("10.1.0.0/24"), cidr("10.1.0.0/16")));
  EXPECT_FALSE(contains(cidr("10.1.0.0/16"), cidr("10.2.0.0/24")));

  EXPECT_EQ(format_ipv4(first_host(cidr("172.17.0.0/16"))), "172.17.0.1");
  EXPECT_EQ(format_ipv4(first_host(cidr("10.0.0.8/29"))), "10.0.0.9");
  EXPECT_EQ(format_ipv4(first_host(cidr("10.0.0.8/31"))), "10.0.0.8");
  EXPECT_EQ(format_ipv4(first_host(cidr("10.0.0.8/32"))), "10.0.0.8");
}

TEST(NetworkName, DockersRule) {
  for (const char* ok : {"a", "net", "my-net_1.x", "0abc", "A.b-c_d", "bridge"}) EXPECT_TRUE(valid_network_name(ok)) << ok;
  for (const char* bad : {"", "-ab", "_ab", ".ab", "a/b", "a b", "a@b", "../x", "/abs", "a:b"})
    EXPECT_FALSE(valid_network_name(bad)) << bad;
}

TEST(Pools, DockersOrder) {
  auto pools = default_pools();
  ASSERT_EQ(pools.size(), 14u + 16u);
  EXPECT_EQ(pools.front().str(), "172.18.0.0/16");
  EXPECT_EQ(pools[13].str(), "172.31.0.0/16");
  EXPECT_EQ(pools[14].str(), "192.168.0.0/20");
  EXPECT_EQ(pools.back().str(), "192.168.240.0/20");

  EXPECT_EQ(pick_subnet({})->str(), "172.18.0.0/16");
  EXPECT_EQ(pick_subnet({cidr("172.17.0.0/16"), cidr("172.18.5.0/24")})->str(), "172.19.0.0/16");
  // A /12 covering 172.16-31 sends it to the 192.168 pools.
  EXPECT_EQ(pick_subnet({cidr("172.16.0.0/12"), cidr("192.168.1.0/24")})->str(), "192.168.16.0/20");
  auto full = pick_subnet({cidr("172.16.0.0/12"), cidr("192.168.0.0/16")});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code(), ENOSPC);
}

TEST(Routes, ProcNetRoute) {
  const char* text =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0                                              \n"
      "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0                                              \n"
      "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                            \n"
      "short\t0000\n";
  auto routes = parse_proc_routes(text);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].str(), "192.168.1.0/24");
  EXPECT_EQ(routes[1].str(), "172.17.0.0/16");
  EXPECT_TRUE(parse_proc_routes("").empty());
}

CreateOptions opts(std::vector<std::string> subnets, std::vector<std::string> gateways = {},
                   std::vector<std::string> ranges = {}) {
  CreateOptions o;
  o.name = "x";
  o.subnets = std::move(subnets);
  o.gateways = std::move(gateways);
  o.ip_ranges = std::move(ranges);
  return o;
}

TEST(AssignSubnets, Explicit) {
  auto s = assign_subnets(opts({"10.1.0.0/16"}), {}, {});
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0], (Subnet{"10.1.0.0/16", "10.1.0.1", ""}));

  s = assign_subnets(opts({"10.1.0.0/16", "10.2.0.0/24"}, {"10.2.0.254", "10.1.9.9"}, {"10.1.4.0/23"}), {}, {});
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0], (Subnet{"10.1.0.0/16", "10.1.9.9", "10.1.4.0/23"}));
  EXPECT_EQ((*s)[1], (Subnet{"10.2.0.0/24", "10.2.0.254", ""}));

  // Routes do not matter for an explicit subnet (docker's rule).
  EXPECT_TRUE(assign_subnets(opts({"10.1.0.0/16"}), {}, {cidr("10.0.0.0/8")}).ok());
}

TEST(AssignSubnets, Errors) {
  auto msg = [](const CreateOptions& o, std::vector<Existing> existing = {}) {
    auto s = assign_subnets(o, existing, {});
    return s.ok() ? std::string("ok") : s.error().message();
  };
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}), {{"y", cidr("10.1.0.0/24")}}),
            "network \"x\": subnet 10.1.0.0/16 overlaps network \"y\" (10.1.0.0/24)");
  EXPECT_EQ(msg(opts({"10.1.0.0/16", "10.1.2.0/24"})), "network \"x\": multiple overlapping subnet configuration is not allowed");
  EXPECT_EQ(msg(opts({"10.1.0.5/16"})), "network \"x\": invalid subnet 10.1.0.5/16: it should be 10.1.0.0/16");
  EXPECT_EQ(msg(opts({"fd00::/64"})), "network \"x\": IPv6 subnet fd00::/64 is not supported yet");
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}, {"10.2.0.1"})), "network \"x\": no matching subnet for gateway 10.2.0.1");
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}, {"10.1.0.1", "10.1.0.2"})),
            "network \"x\": cannot use more than one gateway for subnet 10.1.0.0/16");
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}, {"10.1.0.0"})),
            "network \"x\": gateway 10.1.0.0 is the network or broadcast address of subnet 10.1.0.0/16");
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}, {"10.1.255.255"})),
            "network \"x\": gateway 10.1.255.255 is the network or broadcast address of subnet 10.1.0.0/16");
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}, {"nope"})), "network \"x\": invalid gateway address nope");
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}, {"fd00::1"})), "network \"x\": IPv6 gateway fd00::1 is not supported yet");
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}, {}, {"10.2.0.0/24"})), "network \"x\": no matching subnet for range 10.2.0.0/24");
  EXPECT_EQ(msg(opts({"10.1.0.0/24"}, {}, {"10.1.0.0/16"})), "network \"x\": no matching subnet for range 10.1.0.0/16");
  EXPECT_EQ(msg(opts({"10.1.0.0/16"}, {}, {"10.1.0.0/24", "10.1.1.0/24"})),
            "network \"x\": cannot use more than one ip-range for subnet 10.1.0.0/16");
  EXPECT_EQ(msg(opts({}, {"10.1.0.1"})), "network \"x\": every ip-range or gateway must have a corresponding subnet");
  EXPECT_EQ(msg(opts({}, {}, {"10.1.0.0/24"})), "network \"x\": every ip-range or gateway must have a corresponding subnet");
}

TEST(AssignSubnets, FromPools) {
  auto s = assign_subnets(opts({}), {{"bridge", cidr("172.17.0.0/16")}, {"a", cidr("172.18.0.0/16")}},
                          {cidr("172.19.0.0/24")});
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0], (Subnet{"172.20.0.0/16", "172.20.0.1", ""}));
}

TEST(Validate, NameDriverOptions) {
  auto msg = [](const std::string& name, const std::string& driver, std::map<std::string, std::string> o = {}) {
    CreateOptions c;
    c.name = name;
    c.driver = driver;
    c.options = std::move(o);
    auto s = validate_create(c);
    return s.ok() ? std::string("ok") : s.error().message();
  };
  EXPECT_EQ(msg("net", "bridge"), "ok");
  EXPECT_EQ(msg("-net", "bridge"), "invalid network name \"-net\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  EXPECT_EQ(msg("net", "overlay"), "network driver \"overlay\" is not supported: use bridge, macvlan or ipvlan");
  EXPECT_EQ(msg("net", "bridge", {{"com.docker.network.bridge.name", "mybr0"}, {"com.docker.network.driver.mtu", "9000"}}),
            "ok");
  EXPECT_EQ(msg("net", "bridge", {{"com.docker.network.bridge.name", "a-very-long-bridge"}}),
            "invalid bridge name \"a-very-long-bridge\": use at most 15 characters, none of / : % + or spaces, "
            "not starting with -");
  EXPECT_NE(msg("net", "bridge", {{"com.docker.network.bridge.name", "br+"}}), "ok");  // iptables wildcard
  EXPECT_NE(msg("net", "bridge", {{"com.docker.network.bridge.name", "-o"}}), "ok");
  EXPECT_EQ(msg(std::string(129, 'n'), "bridge"), "invalid network name: at most 128 characters");
  EXPECT_EQ(msg("net", "bridge", {{"com.docker.network.driver.mtu", "10"}}),
            "invalid MTU \"10\": use a number from 68 to 65535");
  EXPECT_EQ(msg("net", "bridge", {{"com.docker.network.bridge.enable_ip_masquerade", "no"}}),
            "invalid value \"no\" for option com.docker.network.bridge.enable_ip_masquerade: use true or false");
  EXPECT_EQ(msg("net", "bridge", {{"com.docker.network.bridge.enable_icc", "false"}}),
            "option com.docker.network.bridge.enable_icc=false is not supported yet");
  EXPECT_EQ(msg("net", "bridge", {{"parent", "eth0"}}), "option \"parent\" is not supported by the bridge driver");
  EXPECT_EQ(msg("net", "bridge", {{"foo", "bar"}}), "option \"foo\" is not supported by the bridge driver");
  EXPECT_EQ(msg("net", "macvlan"), "macvlan networks need a parent interface: -o parent=IFACE");
  EXPECT_EQ(msg("net", "ipvlan"), "ipvlan networks need a parent interface: -o parent=IFACE");
  EXPECT_EQ(msg("net", "macvlan", {{"parent", "eth0"}, {"macvlan_mode", "vepa"}}), "ok");
  EXPECT_EQ(msg("net", "macvlan", {{"parent", "eth0"}, {"macvlan_mode", "l2"}}),
            "invalid macvlan_mode \"l2\": use bridge, private, vepa or passthru");
  EXPECT_EQ(msg("net", "ipvlan", {{"parent", "eth0"}, {"ipvlan_mode", "l3"}}), "ok");
  EXPECT_EQ(msg("net", "ipvlan", {{"parent", "eth0"}, {"ipvlan_mode", "bridge"}}),
            "invalid ipvlan_mode \"bridge\": use l2, l3 or l3s");
  EXPECT_EQ(msg("net", "ipvlan", {{"parent", "../x"}}), "invalid parent interface name \"../x\"");
}

Network bridge_net(bool internal) {
  Network n;
  n.name = "web";
  n.id = std::string(64, 'a');
  n.created = "2024-01-02T03:04:05.123456789Z";
  n.driver = "bridge";
  n.bridge = "br-aaaaaaaaaaaa";
  n.subnets = {{"10.1.0.0/16", "10.1.0.1", "10.1.0.0/24"}};
  n.internal = internal;
  n.labels = {{"app", "shop"}};
  return n;
}

// The plugin types of a conflist text, in order.
std::vector<std::string> types_of(const json_t* doc) {
  std::vector<std::string> out;
  size_t i;
  json_t* p;
  json_array_foreach(json_object_get(doc, "plugins"), i, p) out.push_back(json::string_of(p, "type"));
  return out;
}

TEST(Conflist, Bridge) {
  std::string text = conflist_text(bridge_net(false));
  auto doc = json::parse(text);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(json::string_of(doc->get(), "cniVersion"), "1.0.0");
  EXPECT_EQ(json::string_of(doc->get(), "name"), "web");
  EXPECT_EQ(types_of(doc->get()), (std::vector<std::string>{"bridge", "portmap", "firewall", "tuning"}));
  json_t* b = json_array_get(json_object_get(doc->get(), "plugins"), 0);
  EXPECT_EQ(json::string_of(b, "bridge"), "br-aaaaaaaaaaaa");
  EXPECT_TRUE(json_is_true(json_object_get(b, "isGateway")));
  EXPECT_TRUE(json_is_false(json_object_get(b, "ipMasq")));  // nat.h: one rule per network
  EXPECT_TRUE(json_is_true(json_object_get(b, "hairpinMode")));
  EXPECT_EQ(json::dump(json_object_get(b, "capabilities")), "{\"ips\":true}");
  EXPECT_EQ(json::dump(json_object_get(b, "ipam")),
            "{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.1.0.0/16\",\"gateway\":\"10.1.0.1\","
            "\"rangeStart\":\"10.1.0.1\",\"rangeEnd\":\"10.1.0.255\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}");
  json_t* pm = json_array_get(json_object_get(doc->get(), "plugins"), 1);
  EXPECT_EQ(json::dump(pm), "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true},\"snat\":true}");
  json_t* fw = json_array_get(json_object_get(doc->get(), "plugins"), 2);
  // Isolation between bridges is the network's (isolation.h), not in each chain.
  EXPECT_EQ(json::dump(fw), "{\"type\":\"firewall\",\"backend\":\"iptables\"}");
  json_t* tu = json_array_get(json_object_get(doc->get(), "plugins"), 3);
  EXPECT_EQ(json::dump(tu), "{\"type\":\"tuning\",\"capabilities\":{\"mac\":true}}");
  // No dataDir in the file.
  EXPECT_EQ(text.find("dataDir"), std::string::npos);
}

TEST(Conflist, InternalBridgeHasNoRoutesMasqOrPorts) {
  auto doc = json::parse(conflist_text(bridge_net(true)));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(types_of(doc->get()), (std::vector<std::string>{"bridge", "firewall", "tuning"}));
  json_t* b = json_array_get(json_object_get(doc->get(), "plugins"), 0);
  EXPECT_TRUE(json_is_false(json_object_get(b, "isGateway")));
  EXPECT_TRUE(json_is_false(json_object_get(b, "ipMasq")));
  EXPECT_EQ(json_object_get(json_object_get(b, "ipam"), "routes"), nullptr);
}

TEST(Conflist, BridgeOptions) {
  Network n = bridge_net(false);
  n.options = {{"com.docker.network.driver.mtu", "1400"}, {"com.docker.network.bridge.enable_ip_masquerade", "false"}};
  n.subnets = {{"10.1.0.0/24", "10.1.0.1", "10.1.0.128/25"}};
  auto doc = json::parse(conflist_text(n));
  ASSERT_TRUE(doc.ok());
  json_t* b = json_array_get(json_object_get(doc->get(), "plugins"), 0);
  EXPECT_EQ(json_integer_value(json_object_get(b, "mtu")), 1400);
  EXPECT_TRUE(json_is_false(json_object_get(b, "ipMasq")));
  json_t* r = json_array_get(json_array_get(json_object_get(json_object_get(b, "ipam"), "ranges"), 0), 0);
  // The range's last address is the subnet's broadcast: host-local would refuse it.
  EXPECT_EQ(json::string_of(r, "rangeStart"), "10.1.0.128");
  EXPECT_EQ(json::string_of(r, "rangeEnd"), "10.1.0.254");
}

TEST(Conflist, MacvlanAndIpvlan) {
  Network n = bridge_net(false);
  n.driver = "macvlan";
  n.bridge = "";
  n.options = {{"parent", "eth0"}};
  auto doc = json::parse(conflist_text(n));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(types_of(doc->get()), (std::vector<std::string>{"macvlan", "tuning"}));
  json_t* m = json_array_get(json_object_get(doc->get(), "plugins"), 0);
  EXPECT_EQ(json::string_of(m, "master"), "eth0");
  EXPECT_EQ(json::string_of(m, "mode"), "bridge");
  EXPECT_NE(json_object_get(json_object_get(m, "ipam"), "routes"), nullptr);

  n.driver = "ipvlan";
  n.options = {{"parent", "eth1"}, {"ipvlan_mode", "l3"}};
  doc = json::parse(conflist_text(n));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(types_of(doc->get()), (std::vector<std::string>{"ipvlan"}));
  m = json_array_get(json_object_get(doc->get(), "plugins"), 0);
  EXPECT_EQ(json::string_of(m, "master"), "eth1");
  EXPECT_EQ(json::string_of(m, "mode"), "l3");
  EXPECT_EQ(json_object_get(json_object_get(m, "ipam"), "routes"), nullptr);
}

TEST(Conflist, RoundTripInjectsDataDir) {
  Network n = bridge_net(false);
  n.options = {{"com.docker.network.driver.mtu", "1400"}};
  auto back = parse_conflist(conflist_text(n), "/run/hutch/ipam", "ignored");
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->name, "web");
  EXPECT_EQ(back->id, n.id);
  EXPECT_EQ(back->created, n.created);
  EXPECT_EQ(back->driver, "bridge");
  EXPECT_EQ(back->subnets, n.subnets);
  EXPECT_FALSE(back->internal);
  EXPECT_FALSE(back->builtin);
  EXPECT_TRUE(back->hutch_made);
  EXPECT_TRUE(back->dns());
  EXPECT_EQ(back->labels, n.labels);
  EXPECT_EQ(back->options, n.options);
  EXPECT_EQ(back->bridge, "br-aaaaaaaaaaaa");
  auto doc = json::parse(back->conflist);
  ASSERT_TRUE(doc.ok());
  json_t* b = json_array_get(json_object_get(doc->get(), "plugins"), 0);
  EXPECT_EQ(json::string_of(json_object_get(b, "ipam"), "dataDir"), "/run/hutch/ipam");
}

TEST(Conflist, UsersOwn) {
  const char* text = R"({"cniVersion":"1.0.0","name":"mine","plugins":[
      {"type":"ptp","ipam":{"type":"host-local","ranges":[[{"subnet":"10.9.0.0/24"}]]}},
      {"type":"bandwidth","capabilities":{"bandwidth":true}}]})";
  auto n = parse_conflist(text, "/run/ipam", "2024-05-06T07:08:09Z");
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->name, "mine");
  EXPECT_EQ(n->driver, "ptp");
  EXPECT_FALSE(n->hutch_made);
  EXPECT_FALSE(n->dns());
  EXPECT_EQ(n->created, "2024-05-06T07:08:09Z");
  ASSERT_EQ(n->subnets.size(), 1u);
  EXPECT_EQ(n->subnets[0].subnet, "10.9.0.0/24");
  EXPECT_EQ(n->id.size(), 64u);
  EXPECT_EQ(n->conflist, text);  // used as written: no dataDir injected
  // The id is stable and differs by name.
  auto again = parse_conflist(text, "/x", "");
  EXPECT_EQ(again->id, n->id);
  EXPECT_NE(pseudo_networks()[0].id, n->id);

  // The deprecated top-level subnet, and a bridge with no device named.
  auto legacy = parse_conflist(
      R"({"name":"old","plugins":[{"type":"bridge","ipam":{"type":"host-local","subnet":"10.8.0.0/16","gateway":"10.8.0.254"}}]})",
      "", "");
  ASSERT_TRUE(legacy.ok());
  ASSERT_EQ(legacy->subnets.size(), 1u);
  EXPECT_EQ(legacy->subnets[0], (Subnet{"10.8.0.0/16", "10.8.0.254", ""}));
  EXPECT_EQ(legacy->bridge, "cni0");

  for (const char* bad : {"{", "[]", R"({"name":"x"})", R"({"name":"x","plugins":[]})", R"({"plugins":[{}]})",
                          R"({"name":"x","plugins":[{}],"hutch":{"id":"short"}})"})
    EXPECT_FALSE(parse_conflist(bad, "", "").ok()) << bad;
}

TEST(StaticIp, DockersChecks) {
  auto msg = [](const Network& n, const std::string& ip) {
    auto s = check_static_ip(n, ip);
    return s.ok() ? std::string("ok") : s.error().message();
  };
  Network n = bridge_net(false);  // 10.1.0.0/16, gateway .0.1, range 10.1.0.0/24
  EXPECT_EQ(msg(n, "10.1.0.7"), "ok");
  EXPECT_EQ(msg(n, "10.1.0.255"), "ok");
  EXPECT_EQ(msg(n, "10.1.5.7"), "no configured subnet or ip-range contain the IP address 10.1.5.7");
  EXPECT_EQ(msg(n, "10.2.0.7"), "no configured subnet or ip-range contain the IP address 10.2.0.7");
  EXPECT_EQ(msg(n, "10.1.0.1"), "address 10.1.0.1 is reserved in subnet 10.1.0.0/16");
  EXPECT_EQ(msg(n, "10.1.0.0"), "address 10.1.0.0 is reserved in subnet 10.1.0.0/16");
  EXPECT_EQ(msg(n, "10.1.0"), "invalid IPv4 address: 10.1.0");
  EXPECT_EQ(msg(n, "fd00::5"), "IPv6 address fd00::5 is not supported yet");
  n.subnets[0].ip_range = "";
  EXPECT_EQ(msg(n, "10.1.5.7"), "ok");
  EXPECT_EQ(msg(n, "10.1.255.255"), "address 10.1.255.255 is reserved in subnet 10.1.0.0/16");
  n.builtin = true;
  EXPECT_EQ(msg(n, "10.1.5.7"), "user specified IP address is supported on user defined networks only");
}

TEST(Docker, InspectShape) {
  Network n = bridge_net(false);
  json::Ptr j(docker_json(n));
  EXPECT_EQ(json::dump(j.get()),
            "{\"Name\":\"web\",\"Id\":\"" + n.id +
                "\",\"Created\":\"2024-01-02T03:04:05.123456789Z\",\"Scope\":\"local\",\"Driver\":\"bridge\","
                "\"EnableIPv6\":false,\"IPAM\":{\"Driver\":\"default\",\"Options\":{},\"Config\":[{\"Subnet\":"
                "\"10.1.0.0/16\",\"Gateway\":\"10.1.0.1\",\"IPRange\":\"10.1.0.0/24\"}]},\"Internal\":false,"
                "\"Attachable\":false,\"Ingress\":false,\"ConfigFrom\":{\"Network\":\"\"},\"ConfigOnly\":false,"
                "\"Containers\":{},\"Options\":{},\"Labels\":{\"app\":\"shop\"}}");
  auto pseudo = pseudo_networks();
  ASSERT_EQ(pseudo.size(), 2u);
  EXPECT_EQ(pseudo[0].name, "host");
  EXPECT_EQ(pseudo[0].driver, "host");
  EXPECT_EQ(pseudo[1].name, "none");
  EXPECT_EQ(pseudo[1].driver, "null");
  EXPECT_TRUE(pseudo[1].builtin && pseudo[1].pseudo && !pseudo[1].dns());
}

}  // namespace
}  // namespace hutch::network
