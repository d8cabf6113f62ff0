#include "network/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "base/fd.h"

namespace hutch::network {
namespace {

template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? "no error" : r.error().message();
}

PortBindings one(const std::string& port, std::string ip, std::string host) {
  return {{port, {PortBinding{std::move(ip), std::move(host)}}}};
}

TEST(Ports, ParsePublishForms) {
  EXPECT_EQ(*parse_publish("80"), one("80/tcp", "", ""));
  EXPECT_EQ(*parse_publish("8080:80"), one("80/tcp", "", "8080"));
  EXPECT_EQ(*parse_publish("8080:80/UDP"), one("80/udp", "", "8080"));
  EXPECT_EQ(*parse_publish("53:53/sctp"), one("53/sctp", "", "53"));
  EXPECT_EQ(*parse_publish("127.0.0.1:8080:80"), one("80/tcp", "127.0.0.1", "8080"));
  EXPECT_EQ(*parse_publish("127.0.0.1::80"), one("80/tcp", "127.0.0.1", ""));
  EXPECT_EQ(*parse_publish("[::1]:8080:80"), one("80/tcp", "::1", "8080"));
  EXPECT_EQ(*parse_publish("::1:8080:80"), one("80/tcp", "::1", "8080"));
  EXPECT_EQ(*parse_publish("8000-8010:80"), one("80/tcp", "", "8000-8010"));
  PortBindings range = {{"80/tcp", {{"", "8000"}}}, {"81/tcp", {{"", "8001"}}}, {"82/tcp", {{"", "8002"}}}};
  EXPECT_EQ(*parse_publish("8000-8002:80-82"), range);
  PortBindings random = {{"80/udp", {{"", ""}}}, {"81/udp", {{"", ""}}}};
  EXPECT_EQ(*parse_publish("80-81/udp"), random);
  EXPECT_EQ(*parse_publish("target=80,published=8080,protocol=udp,mode=host"), one("80/udp", "", "8080"));
  EXPECT_EQ(*parse_publish("target=80"), one("80/tcp", "", ""));
}

TEST(Ports, ParsePublishMerges) {
  auto all = parse_publish(std::vector<std::string>{"8080:80", "127.0.0.1:8081:80", "53:53/udp"});
  ASSERT_TRUE(all.ok()) << all.error().message();
  PortBindings want = {{"80/tcp", {{"", "8080"}, {"127.0.0.1", "8081"}}}, {"53/udp", {{"", "53"}}}};
  EXPECT_EQ(*all, want);
  EXPECT_EQ(error_of(parse_publish(std::vector<std::string>{"80", "x"})), "invalid containerPort: x");
}

TEST(Ports, ParsePublishErrors) {
  EXPECT_EQ(error_of(parse_publish("x")), "invalid containerPort: x");
  EXPECT_EQ(error_of(parse_publish("8080:x")), "invalid containerPort: x");
  EXPECT_EQ(error_of(parse_publish("8080:0")), "invalid containerPort: 0");
  EXPECT_EQ(error_of(parse_publish("8080:70000")), "invalid containerPort: 70000");
  EXPECT_EQ(error_of(parse_publish("x:80")), "invalid hostPort: x");
  EXPECT_EQ(error_of(parse_publish("9-8:80")), "invalid hostPort: 9-8");
  EXPECT_EQ(error_of(parse_publish("8080:80/icmp")), "invalid proto: icmp");
  EXPECT_EQ(error_of(parse_publish("8080:")), "invalid proto: ");
  EXPECT_EQ(error_of(parse_publish("1.2.3:8080:80")), "invalid IP address: 1.2.3");
  EXPECT_EQ(error_of(parse_publish("[::1:8080:80")), "invalid IP address: [::1");
  EXPECT_EQ(error_of(parse_publish("8000-8001:80-82")),
            "invalid ranges specified for container and host Ports: 80-82 and 8000-8001");
  EXPECT_EQ(error_of(parse_publish("target=80,bogus")),
            "invalid publish opts format (should be name=value but got 'bogus')");
  EXPECT_EQ(parse_publish("x").error().code(), EINVAL);
}

TEST(Ports, Expose) {
  EXPECT_EQ(*parse_expose("80"), (std::set<std::string>{"80/tcp"}));
  EXPECT_EQ(*parse_expose("53/UDP"), (std::set<std::string>{"53/udp"}));
  EXPECT_EQ(*parse_expose("8000-8002/tcp"), (std::set<std::string>{"8000/tcp", "8001/tcp", "8002/tcp"}));
  EXPECT_EQ(error_of(parse_expose("8080:80")), "invalid port format for --expose: 8080:80");
  EXPECT_EQ(error_of(parse_expose("NaN/tcp")),
            "invalid range format for --expose: NaN/tcp, error: strconv.ParseUint: parsing \"NaN\": invalid syntax");
  EXPECT_EQ(error_of(parse_expose("80000")),
            "invalid range format for --expose: 80000, error: strconv.ParseUint: parsing \"80000\": value out of range");
  EXPECT_EQ(error_of(parse_expose("/tcp")),
            "invalid range format for --expose: /tcp, error: empty string specified for ports");
  EXPECT_EQ(error_of(parse_expose("80/icmp")), "invalid proto: icmp");
}

TEST(Ports, PublishAll) {
  PortBindings have = one("80/tcp", "", "8080");
  PortBindings want = {{"80/tcp", {{"", "8080"}}}, {"443/tcp", {{"", ""}}}, {"53/udp", {{"", ""}}}};
  EXPECT_EQ(publish_all({"80/tcp", "443/tcp", "53/udp"}, have), want);
  EXPECT_EQ(publish_all({}), PortBindings{});
}

TEST(Ports, Json) {
  PortBindings b = {{"80/tcp", {{"", "8080"}, {"127.0.0.1", ""}}}, {"53/udp", {{"", "8000-8010"}}}};
  auto j = port_bindings_json(b);
  EXPECT_EQ(json::dump(j.get()),
            R"({"53/udp":[{"HostIp":"","HostPort":"8000-8010"}],"80/tcp":[{"HostIp":"","HostPort":"8080"},)"
            R"({"HostIp":"127.0.0.1","HostPort":""}]})");
  auto back = port_bindings_from_json(j.get());
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, b);
  EXPECT_TRUE(port_bindings_from_json(nullptr)->empty());
  auto bare = json::parse(R"({"80":[{"HostIp":"","HostPort":"1"}],"81/tcp":null})");
  EXPECT_EQ(*port_bindings_from_json(bare->get()), (PortBindings{{"80/tcp", {{"", "1"}}}, {"81/tcp", {}}}));
  auto bad = json::parse(R"({"http":[]})");
  EXPECT_EQ(error_of(port_bindings_from_json(bad->get())),
            "PortBindings.http: invalid port (want PORT or PORT/tcp|udp|sctp)");
  bad = json::parse(R"({"80/tcp":[{"HostIp":"nope","HostPort":""}]})");
  EXPECT_EQ(error_of(port_bindings_from_json(bad->get())),
            "PortBindings.80/tcp[0].HostIp: invalid IP address: nope");

  auto e = exposed_ports_json({"80/tcp", "53/udp"});
  EXPECT_EQ(json::dump(e.get()), R"({"53/udp":{},"80/tcp":{}})");
  auto in = json::parse(R"({"80":{},"53/udp":{},"8000-8001/tcp":{}})");
  EXPECT_EQ(*exposed_ports_from_json(in->get()), (std::set<std::string>{"80/tcp", "53/udp", "8000/tcp", "8001/tcp"}));
  EXPECT_TRUE(exposed_ports_from_json(nullptr)->empty());
  in = json::parse(R"({"x/tcp":{}})");
  EXPECT_FALSE(exposed_ports_from_json(in->get()).ok());
}

TEST(Ports, FormatPs) {
  std::vector<PortMapping> m = {{"", 8080, 80, "tcp"}, {"", 8081, 81, "udp"}};
  EXPECT_EQ(format_ports(m, {"80/tcp", "81/udp"}), "0.0.0.0:8080->80/tcp, 0.0.0.0:8081->81/udp");
  EXPECT_EQ(format_ports({}, {"80/tcp", "443/tcp"}), "80/tcp, 443/tcp");
  EXPECT_EQ(format_ports({}, {"80/tcp", "81/tcp", "82/tcp", "53/udp"}), "53/udp, 80-82/tcp");
  // Equal host and container ports merge into ranges; others do not (docker).
  std::vector<PortMapping> same = {{"", 80, 80, "tcp"}, {"", 81, 81, "tcp"}, {"", 82, 82, "tcp"}};
  EXPECT_EQ(format_ports(same, {}), "0.0.0.0:80-82->80-82/tcp");
  std::vector<PortMapping> shifted = {{"", 8000, 80, "tcp"}, {"", 8001, 81, "tcp"}};
  EXPECT_EQ(format_ports(shifted, {"80/tcp", "81/tcp", "9000/tcp"}),
            "9000/tcp, 0.0.0.0:8000->80/tcp, 0.0.0.0:8001->81/tcp");
  std::vector<PortMapping> gap = {{"", 80, 80, "tcp"}, {"", 82, 82, "tcp"}, {"127.0.0.1", 81, 81, "tcp"}};
  EXPECT_EQ(format_ports(gap, {}), "0.0.0.0:80->80/tcp, 0.0.0.0:82->82/tcp, 127.0.0.1:81->81/tcp");
  EXPECT_EQ(format_ports({{"::1", 8080, 80, "tcp"}}, {}), "[::1]:8080->80/tcp");
  EXPECT_EQ(format_ports({}, {}), "");
}

TEST(Ports, PortLines) {
  std::vector<PortMapping> m = {{"", 4321, 7890, "tcp"}, {"", 1234, 9876, "tcp"}, {"127.0.0.1", 53, 53, "udp"}};
  EXPECT_EQ(port_lines(m), (std::vector<std::string>{"53/udp -> 127.0.0.1:53", "7890/tcp -> 0.0.0.0:4321",
                                                     "9876/tcp -> 0.0.0.0:1234"}));
  EXPECT_EQ(host_address({"::1", 8080, 80, "tcp"}), "[::1]:8080");
}

// A socket the test holds, so that the port it bound is really in use.
struct Held {
  UniqueFd fd;
  uint16_t port = 0;
};

Held hold(int type) {
  Held h;
  h.fd.reset(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_ANY);
  EXPECT_EQ(::bind(h.fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  if (type == SOCK_STREAM) {
    EXPECT_EQ(::listen(h.fd.get(), 1), 0);
  }
  socklen_t len = sizeof sin;
  ::getsockname(h.fd.get(), reinterpret_cast<sockaddr*>(&sin), &len);
  h.port = ntohs(sin.sin_port);
  return h;
}

TEST(Ports, AllocateRandomAndExplicit) {
  auto r = allocate(parse_publish(std::vector<std::string>{"80", "127.0.0.1::53/udp"}).value(), {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].container_port, 53);
  EXPECT_EQ((*r)[0].protocol, "udp");
  EXPECT_EQ((*r)[0].host_ip, "127.0.0.1");
  EXPECT_NE((*r)[0].host_port, 0);
  EXPECT_EQ((*r)[1].container_port, 80);
  EXPECT_EQ((*r)[1].host_ip, "");
  EXPECT_NE((*r)[1].host_port, 0);

  // A port just seen free (the test's socket closed) is granted as asked.
  uint16_t free_port;
  {
    Held h = hold(SOCK_STREAM);
    free_port = h.port;
  }
  r = allocate(one("80/tcp", "0.0.0.0", std::to_string(free_port)), {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, (std::vector<PortMapping>{{"", free_port, 80, "tcp"}}));
}

TEST(Ports, AllocateBusy) {
  Held tcp = hold(SOCK_STREAM);
  std::string p = std::to_string(tcp.port);
  auto r = allocate(one("80/tcp", "", p), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EADDRINUSE);
  EXPECT_EQ(r.error().innermost(), "port " + p + "/tcp is already in use on 0.0.0.0");
  // A specific address conflicts with a listener on every address.
  r = allocate(one("80/tcp", "127.0.0.1", p), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().innermost(), "port " + p + "/tcp is already in use on 127.0.0.1");

  Held udp = hold(SOCK_DGRAM);
  std::string u = std::to_string(udp.port);
  r = allocate(one("53/udp", "", u), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().innermost(), "port " + u + "/udp is already in use on 0.0.0.0");
}

TEST(Ports, AllocateTakenByOtherContainers) {
  uint16_t port;
  {
    Held h = hold(SOCK_STREAM);
    port = h.port;
  }
  std::string p = std::to_string(port);
  std::vector<PortMapping> taken = {{"", port, 80, "tcp"}};
  auto r = allocate(one("8080/tcp", "127.0.0.1", p), taken);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EADDRINUSE);
  EXPECT_EQ(r.error().innermost(), "port " + p + "/tcp is already in use on 127.0.0.1");
  // Same number, other protocol: free.
  EXPECT_TRUE(allocate(one("80/udp", "", p), taken).ok());
  // Asked twice by the same container.
  PortBindings twice = {{"80/tcp", {{"", p}}}, {"81/tcp", {{"", p}}}};
  r = allocate(twice, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().innermost(), "port " + p + "/tcp is already in use on 0.0.0.0");
}

TEST(Ports, AllocateHostRangeTakesFirstFree) {
  Held busy = hold(SOCK_STREAM);
  uint16_t b = busy.port;
  if (b >= 65530) GTEST_SKIP() << "kernel gave a port at the top of the range";
  std::vector<PortMapping> taken = {{"", static_cast<uint16_t>(b + 1), 1, "tcp"}};
  std::string range = std::to_string(b) + "-" + std::to_string(b + 4);
  auto r = allocate(one("80/tcp", "", range), taken);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_GE((*r)[0].host_port, b + 2);
  EXPECT_LE((*r)[0].host_port, b + 4);

  taken = {{"", static_cast<uint16_t>(b + 1), 1, "tcp"}};
  r = allocate(one("80/tcp", "", std::to_string(b) + "-" + std::to_string(b + 1)), taken);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EADDRINUSE);
  EXPECT_EQ(r.error().innermost(),
            "ports " + std::to_string(b) + "-" + std::to_string(b + 1) + "/tcp are all in use on 0.0.0.0");
}

TEST(Ports, AllocateRandomSkipsTaken) {
  // Every random pick must avoid the ports other containers hold.
  std::vector<PortMapping> taken;
  for (int i = 0; i < 3; ++i) {
    auto r = allocate(one("80/tcp", "", ""), taken);
    ASSERT_TRUE(r.ok()) << r.error().message();
    for (const auto& t : taken) EXPECT_NE((*r)[0].host_port, t.host_port);
    taken.push_back((*r)[0]);
  }
}

}  // namespace
}  // namespace hutch::network
