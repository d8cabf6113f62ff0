#include "network/store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "base/fs.h"
#include "base/json.h"

namespace hutch::network {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-network-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    ASSERT_TRUE(fs::mkdir_p(tmp_ + "/sys/eth0").ok());
    // One route of the host: 172.18.0.0/16 (the first pool) is taken.
    ASSERT_TRUE(fs::write_file(tmp_ + "/route",
                               "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                               "eth0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n")
                    .ok());
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }
  Store open() {
    auto s = Store::open(tmp_ + "/networks", tmp_ + "/ipam");
    EXPECT_TRUE(s.ok());
    s->set_host_paths(tmp_ + "/route", tmp_ + "/sys");
    return std::move(s).value();
  }
  static CreateOptions named(const std::string& name) {
    CreateOptions o;
    o.name = name;
    return o;
  }
  std::string tmp_;
};

TEST_F(StoreTest, DefaultNetworkWrittenOnFirstUse) {
  Store s = open();
  auto all = s.list();
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all->size(), 1u);
  const Network& b = (*all)[0];
  EXPECT_EQ(b.name, "bridge");
  EXPECT_TRUE(b.builtin);
  EXPECT_TRUE(b.hutch_made);
  EXPECT_FALSE(b.dns());
  EXPECT_EQ(b.bridge, "hutch0");
  EXPECT_EQ(b.driver, "bridge");
  ASSERT_EQ(b.subnets.size(), 1u);
  EXPECT_EQ(b.subnets[0], (Subnet{"172.17.0.0/16", "172.17.0.1", ""}));
  EXPECT_EQ(b.path, tmp_ + "/networks/bridge.conflist");
  EXPECT_EQ(b.options.at("com.docker.network.bridge.default_bridge"), "true");
  EXPECT_NE(b.conflist.find("\"dataDir\":\"" + tmp_ + "/ipam\""), std::string::npos);
  EXPECT_NE(b.conflist.find("\"bridge\":\"hutch0\""), std::string::npos);
  // The file holds no dataDir, and is read back with the same id.
  auto file = fs::read_file(b.path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->find("dataDir"), std::string::npos);
  auto again = open().find("bridge");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, b.id);

  auto rm = s.remove("bridge");
  ASSERT_FALSE(rm.ok());
  EXPECT_EQ(rm.error().code(), EPERM);
  EXPECT_EQ(rm.error().message(), "bridge is a pre-defined network and cannot be removed");
}

TEST_F(StoreTest, CreateFindRemove) {
  Store s = open();
  CreateOptions o = named("web");
  o.labels = {{"app", "shop"}};
  auto n = s.create(o);
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->name, "web");
  EXPECT_EQ(n->id.size(), 64u);
  EXPECT_EQ(n->driver, "bridge");
  EXPECT_EQ(n->bridge, "br-" + n->id.substr(0, 12));
  // 172.17 is the default network's, 172.18 a host route's.
  ASSERT_EQ(n->subnets.size(), 1u);
  EXPECT_EQ(n->subnets[0], (Subnet{"172.19.0.0/16", "172.19.0.1", ""}));
  EXPECT_TRUE(n->dns());
  EXPECT_FALSE(n->builtin);
  EXPECT_EQ(n->labels, o.labels);
  EXPECT_NE(n->conflist.find("\"dataDir\":\"" + tmp_ + "/ipam\""), std::string::npos);
  EXPECT_EQ(n->path, tmp_ + "/networks/web.conflist");
  EXPECT_FALSE(n->created.empty());

  // By name, id, and id prefix, from another instance.
  Store other = open();
  EXPECT_EQ(other.find("web")->id, n->id);
  EXPECT_EQ(other.find(n->id)->name, "web");
  EXPECT_EQ(other.find(n->id.substr(0, 5))->name, "web");
  auto missing = other.find("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_EQ(missing.error().message(), "network \"nope\" not found");
  EXPECT_EQ(other.find("").error().code(), ENOENT);

  auto dup = s.create(named("web"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), EEXIST);
  EXPECT_EQ(dup.error().message(), "network with name web already exists");
  for (const char* taken : {"bridge", "host", "none"}) EXPECT_EQ(s.create(named(taken)).error().code(), EEXIST) << taken;

  auto second = s.create(named("db"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->subnets[0].subnet, "172.20.0.0/16");
  auto all = s.list();
  ASSERT_TRUE(all.ok());
  std::vector<std::string> names;
  for (const auto& x : *all) names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"bridge", "db", "web"}));

  // Leases go with the network.
  ASSERT_TRUE(fs::mkdir_p(tmp_ + "/ipam/web").ok());
  ASSERT_TRUE(fs::write_file(tmp_ + "/ipam/web/172.19.0.2", "ctr").ok());
  ASSERT_TRUE(s.remove(n->id.substr(0, 12)).ok());
  EXPECT_FALSE(fs::exists(tmp_ + "/networks/web.conflist"));
  EXPECT_FALSE(fs::exists(tmp_ + "/ipam/web"));
  EXPECT_EQ(s.remove("web").error().code(), ENOENT);
  // Its subnet is free again.
  auto reuse = s.create(named("web2"));
  ASSERT_TRUE(reuse.ok());
  EXPECT_EQ(reuse->subnets[0].subnet, "172.19.0.0/16");
}

TEST_F(StoreTest, ExplicitSubnets) {
  Store s = open();
  CreateOptions o = named("a");
  o.subnets = {"10.1.0.0/24"};
  o.gateways = {"10.1.0.254"};
  o.ip_ranges = {"10.1.0.128/25"};
  o.internal = true;
  auto a = s.create(o);
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->subnets[0], (Subnet{"10.1.0.0/24", "10.1.0.254", "10.1.0.128/25"}));
  EXPECT_TRUE(a->internal);
  EXPECT_EQ(a->conflist.find("portmap"), std::string::npos);

  CreateOptions b = named("b");
  b.subnets = {"10.1.0.0/16"};
  auto clash = s.create(b);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message(), "network \"b\": subnet 10.1.0.0/16 overlaps network \"a\" (10.1.0.0/24)");
  b.subnets = {"172.17.5.0/24"};
  EXPECT_EQ(s.create(b).error().message(),
            "network \"b\": subnet 172.17.5.0/24 overlaps network \"bridge\" (172.17.0.0/16)");
  // A host route does not block an explicit subnet.
  b.subnets = {"172.18.0.0/16"};
  EXPECT_TRUE(s.create(b).ok());
  EXPECT_FALSE(fs::exists(tmp_ + "/networks/b.conflist.tmp"));
}

TEST_F(StoreTest, BridgeNameOption) {
  Store s = open();
  CreateOptions o = named("a");
  o.options = {{"com.docker.network.bridge.name", "mybr0"}};
  auto a = s.create(o);
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->bridge, "mybr0");
  CreateOptions b = named("b");
  b.options = {{"com.docker.network.bridge.name", "hutch0"}};
  EXPECT_EQ(s.create(b).error().message(), "network \"b\": bridge hutch0 is used by network \"bridge\"");
}

TEST_F(StoreTest, MacvlanNeedsAnExistingParent) {
  Store s = open();
  CreateOptions o = named("lan");
  o.driver = "macvlan";
  o.options = {{"parent", "eth9"}};
  auto bad = s.create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ENODEV);
  EXPECT_EQ(bad.error().message(), "network \"lan\": parent interface \"eth9\" does not exist (see `ip link`)");
  o.options = {{"parent", "eth0"}};
  o.subnets = {"192.168.50.0/24"};
  o.gateways = {"192.168.50.1"};
  auto ok = s.create(o);
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->driver, "macvlan");
  EXPECT_EQ(ok->bridge, "");
  EXPECT_NE(ok->conflist.find("\"master\":\"eth0\""), std::string::npos);
  o.options = {};
  EXPECT_EQ(s.create(o).error().code(), EINVAL);
}

TEST_F(StoreTest, UsersConflistsAreListed) {
  Store s = open();
  ASSERT_TRUE(s.list().ok());
  ASSERT_TRUE(fs::write_file(tmp_ + "/networks/mine.conflist",
                             R"({"cniVersion":"1.0.0","name":"mine","plugins":[{"type":"ptp",)"
                             R"("ipam":{"type":"host-local","ranges":[[{"subnet":"172.19.0.0/16"}]]}}]})")
                  .ok());
  ASSERT_TRUE(fs::write_file(tmp_ + "/networks/broken.conflist", "{not json").ok());
  ASSERT_TRUE(fs::write_file(tmp_ + "/networks/ignored.json", "{}").ok());
  auto all = s.list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  const Network& mine = (*all)[1];
  EXPECT_EQ(mine.name, "mine");
  EXPECT_EQ(mine.driver, "ptp");
  EXPECT_FALSE(mine.hutch_made);
  EXPECT_EQ(mine.conflist.find("dataDir"), std::string::npos);
  // Its subnet counts for overlaps and the pools.
  auto n = s.create(named("x"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->subnets[0].subnet, "172.20.0.0/16");
  ASSERT_TRUE(s.remove("mine").ok());
  EXPECT_FALSE(fs::exists(tmp_ + "/networks/mine.conflist"));
}

TEST_F(StoreTest, AmbiguousPrefix) {
  Store s = open();
  // 17 networks and "bridge": two ids share their first hex digit.
  for (int i = 0; i < 17; ++i) ASSERT_TRUE(s.create(named("n" + std::to_string(i))).ok());
  auto all = s.list();
  ASSERT_TRUE(all.ok());
  std::map<char, int> count;
  for (const auto& n : *all) ++count[n.id[0]];
  char shared = 0;
  for (const auto& [c, k] : count)
    if (k > 1) shared = c;
  ASSERT_NE(shared, 0);
  auto r = s.find(std::string(1, shared));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().message(), std::string("network ") + shared + " is ambiguous (" +
                                     std::to_string(count[shared]) + " matches found based on ID)");
}

TEST_F(StoreTest, ConcurrentCreatesGetDistinctSubnets) {
  ASSERT_TRUE(open().list().ok());
  std::vector<pid_t> kids;
  for (int i = 0; i < 6; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store s = open();
      _exit(s.create(named("c" + std::to_string(i))).ok() ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto all = open().list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 7u);
  std::set<std::string> subnets;
  for (const auto& n : *all) subnets.insert(n.subnets[0].subnet);
  EXPECT_EQ(subnets.size(), 7u);
}

}  // namespace
}  // namespace hutch::network
