// Unit tests for attachments: the record's round trip through its file,
// the directory's naming, load_all's tolerance of junk, /etc/hosts
// refreshes across the containers of a user network, and teardown()
// against a fake CNI plugin (a shell script that logs its calls).
#include "network/attachments.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/fs.h"

namespace hutch::network {
namespace {

constexpr const char* kIdA = "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000001";
constexpr const char* kIdB = "bbbbbbbbbbbb0000000000000000000000000000000000000000000000000002";
constexpr const char* kIdC = "cccccccccccc0000000000000000000000000000000000000000000000000003";

class Attachments : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "hutch-attach-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)fs::remove_all(dir_); }

  std::string read(const std::string& path) {
    auto r = fs::read_file(path);
    return r.ok() ? *r : "<" + r.error().message() + ">";
  }

  // A container on one network, its hosts file in the temp dir.
  Record member(const std::string& id, const std::string& name, const std::string& network, const std::string& ip,
                std::vector<std::string> aliases = {}) {
    Record r;
    r.id = id;
    r.name = name;
    r.netns = netns_path(dir_, id);
    r.hosts_path = dir_ + "/" + name + ".hosts";
    r.hosts.hostname = id.substr(0, 12);
    r.hosts.ip = ip;
    r.hosts.names = {name};
    Attachment a;
    a.network = network;
    a.network_id = std::string(64, 'f');
    a.ifname = "eth0";
    a.dns = true;
    a.aliases = std::move(aliases);
    a.ips = {{ip + "/16", "10.9.0.1"}};
    r.attachments.push_back(std::move(a));
    return r;
  }

  std::string dir_;
};

Record two_networks(const std::string& dir) {
  Record r;
  r.id = kIdA;
  r.name = "web";
  r.netns = netns_path(dir, kIdA);
  r.plugin_dirs = {"/usr/lib/cni", "/opt/cni/bin"};
  r.hosts_path = dir + "/hosts";
  r.hosts.hostname = "aaaaaaaaaaaa";
  r.hosts.ip = "172.17.0.5";
  r.hosts.names = {"web", "www"};
  r.hosts.extra_hosts = {{"db", "10.0.0.7"}, {"gw", "172.17.0.1"}};
  Attachment a;
  a.network = "bridge";
  a.network_id = std::string(64, '1');
  a.ifname = "eth0";
  a.conflist = R"({"cniVersion":"1.0.0","name":"bridge","plugins":[{"type":"bridge"}]})";
  a.result = R"({"cniVersion":"1.0.0","ips":[{"address":"172.17.0.5/16"}]})";
  a.ports = {{"", 8080, 80, "tcp"}, {"127.0.0.1", 5353, 53, "udp"}};
  a.mac_request = "02:42:ac:11:00:05";
  a.ips = {{"172.17.0.5/16", "172.17.0.1"}};
  a.mac = "02:42:ac:11:00:05";
  Attachment b;
  b.network = "app";
  b.network_id = std::string(64, '2');
  b.ifname = "eth1";
  b.conflist = R"({"cniVersion":"1.0.0","name":"app","plugins":[{"type":"bridge"}]})";
  b.result = "{}";
  b.static_ip = "10.9.0.9";
  b.aliases = {"api", "backend"};
  b.dns = true;
  b.ips = {{"fd00::9/64", ""}, {"10.9.0.9/16", "10.9.0.1"}};
  b.mac = "02:42:0a:09:00:09";
  r.attachments = {a, b};
  return r;
}

TEST_F(Attachments, NamesFilesByTheShortId) {
  EXPECT_EQ(record_path("/run/hutch/netns", kIdA), "/run/hutch/netns/aaaaaaaaaaaa.json");
  EXPECT_EQ(netns_path("/run/hutch/netns", kIdA), "/run/hutch/netns/aaaaaaaaaaaa");
  EXPECT_EQ(netns_path("/d", "abc"), "/d/abc");
}

TEST_F(Attachments, SaveThenLoadGivesTheRecordBack) {
  Record r = two_networks(dir_);
  ASSERT_TRUE(save(dir_, r).ok());
  EXPECT_TRUE(fs::exists(record_path(dir_, kIdA)));
  EXPECT_FALSE(fs::exists(record_path(dir_, kIdA) + ".tmp"));
  auto got = load(dir_, kIdA);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->id, r.id);
  EXPECT_EQ(got->name, "web");
  EXPECT_EQ(got->netns, r.netns);
  EXPECT_EQ(got->plugin_dirs, r.plugin_dirs);
  EXPECT_EQ(got->hosts_path, r.hosts_path);
  EXPECT_EQ(got->hosts.hostname, "aaaaaaaaaaaa");
  EXPECT_EQ(got->hosts.ip, "172.17.0.5");
  EXPECT_EQ(got->hosts.names, r.hosts.names);
  EXPECT_EQ(got->hosts.extra_hosts, r.hosts.extra_hosts);
  ASSERT_EQ(got->attachments.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const Attachment& w = r.attachments[i];
    const Attachment& g = got->attachments[i];
    EXPECT_EQ(g.network, w.network);
    EXPECT_EQ(g.network_id, w.network_id);
    EXPECT_EQ(g.ifname, w.ifname);
    EXPECT_EQ(g.conflist, w.conflist);
    EXPECT_EQ(g.result, w.result);
    EXPECT_EQ(g.ports, w.ports);
    EXPECT_EQ(g.static_ip, w.static_ip);
    EXPECT_EQ(g.mac_request, w.mac_request);
    EXPECT_EQ(g.aliases, w.aliases);
    EXPECT_EQ(g.dns, w.dns);
    ASSERT_EQ(g.ips.size(), w.ips.size());
    for (size_t k = 0; k < w.ips.size(); ++k) {
      EXPECT_EQ(g.ips[k].address, w.ips[k].address);
      EXPECT_EQ(g.ips[k].gateway, w.ips[k].gateway);
    }
    EXPECT_EQ(g.mac, w.mac);
  }
  // The first IPv4, without its prefix length; IPv6 addresses are skipped.
  EXPECT_EQ(got->attachments[0].ipv4(), "172.17.0.5");
  EXPECT_EQ(got->attachments[1].ipv4(), "10.9.0.9");
  EXPECT_EQ(Attachment{}.ipv4(), "");
}

TEST_F(Attachments, LoadOfAMissingRecordIsEnoent) {
  auto r = load(dir_, kIdB);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
}

TEST_F(Attachments, LoadAllSkipsJunkAndCorruptRecords) {
  ASSERT_TRUE(save(dir_, member(kIdB, "b", "app", "10.9.0.3")).ok());
  ASSERT_TRUE(save(dir_, member(kIdA, "a", "app", "10.9.0.2")).ok());
  ASSERT_TRUE(fs::write_file(dir_ + "/cccccccccccc.json", "{not json", 0600).ok());  // corrupt
  ASSERT_TRUE(fs::write_file(dir_ + "/dddddddddddd.json", R"({"name":"no id"})", 0600).ok());
  ASSERT_TRUE(fs::write_file(dir_ + "/notes.json", "{}", 0600).ok());             // not an id
  ASSERT_TRUE(fs::write_file(dir_ + "/aaaaaaaaaaaa.json.tmp", "{}", 0600).ok());  // a save cut short
  ASSERT_TRUE(fs::write_file(dir_ + "/.lock", "", 0600).ok());
  ASSERT_TRUE(fs::write_file(netns_path(dir_, kIdA), "", 0444).ok());  // a namespace file
  std::vector<Record> all = load_all(dir_);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, kIdA);  // sorted by id
  EXPECT_EQ(all[1].id, kIdB);
  EXPECT_TRUE(load_all(dir_ + "/missing").empty());
}

TEST_F(Attachments, RefreshHostsListsEachMemberInTheOthersFiles) {
  Record a = member(kIdA, "alpha", "app", "10.9.0.2", {"api"});
  Record b = member(kIdB, "beta", "app", "10.9.0.3");
  Record c = member(kIdC, "gamma", "other", "10.8.0.2");
  for (const Record* r : {&a, &b, &c}) {
    ASSERT_TRUE(save(dir_, *r).ok());
    ASSERT_TRUE(fs::write_file(r->hosts_path, "untouched\n").ok());
  }
  ASSERT_TRUE(refresh_hosts(dir_, {"app"}).ok());

  std::string ha = read(a.hosts_path), hb = read(b.hosts_path);
  EXPECT_NE(ha.find("10.9.0.3\tbeta bbbbbbbbbbbb\n"), std::string::npos) << ha;
  EXPECT_NE(ha.find("10.9.0.2\taaaaaaaaaaaa alpha\n"), std::string::npos) << ha;  // its own line
  EXPECT_EQ(ha.find("gamma"), std::string::npos) << ha;
  EXPECT_NE(hb.find("10.9.0.2\talpha api aaaaaaaaaaaa\n"), std::string::npos) << hb;
  EXPECT_NE(hb.find("10.9.0.3\tbbbbbbbbbbbb beta\n"), std::string::npos) << hb;
  EXPECT_EQ(hb.find("10.9.0.3\tbeta bbbbbbbbbbbb"), std::string::npos) << hb;  // not itself as a peer
  EXPECT_EQ(hb.find("gamma"), std::string::npos) << hb;
  EXPECT_EQ(read(c.hosts_path), "untouched\n");

  // The file is rewritten, not replaced: a bind mount of it still sees it.
  HostsInput own = a.hosts;
  own.peers = {{"10.9.0.3", {"beta", "bbbbbbbbbbbb"}}};
  EXPECT_EQ(ha, render_hosts(own));
}

TEST_F(Attachments, RefreshHostsOfANetworkWithoutNamesChangesNothing) {
  Record a = member(kIdA, "alpha", "app", "10.9.0.2");
  Record b = member(kIdB, "beta", "app", "10.9.0.3");
  b.attachments[0].dns = false;  // the default bridge: no names
  a.attachments[0].dns = false;
  for (const Record* r : {&a, &b}) {
    ASSERT_TRUE(save(dir_, *r).ok());
    ASSERT_TRUE(fs::write_file(r->hosts_path, "untouched\n").ok());
  }
  ASSERT_TRUE(refresh_hosts(dir_, {"app"}).ok());
  EXPECT_EQ(read(a.hosts_path), "untouched\n");
  EXPECT_EQ(read(b.hosts_path), "untouched\n");
}

TEST_F(Attachments, TeardownDeletesEachAttachmentThenTheNamespaceAndRecordAndTellsThePeers) {
  std::string bin = dir_ + "/bin", log = dir_ + "/calls";
  ASSERT_TRUE(fs::mkdir_p(bin).ok());
  // Logs "<command> <ifname> <netns>" and succeeds on DEL.
  ASSERT_TRUE(fs::write_file(bin + "/fake",
                             "#!/bin/sh\ncat > /dev/null\necho \"$CNI_COMMAND $CNI_IFNAME [$CNI_NETNS]\" >> '" + log +
                                 "'\n[ \"$CNI_COMMAND\" = DEL ] && exit 0\nexit 1\n",
                             0755)
                  .ok());
  Record a = member(kIdA, "alpha", "app", "10.9.0.2");
  Record b = member(kIdB, "beta", "app", "10.9.0.3");
  b.plugin_dirs = {bin};
  b.attachments[0].conflist = R"({"cniVersion":"1.0.0","name":"app","plugins":[{"type":"fake"}]})";
  b.attachments[0].result = R"({"cniVersion":"1.0.0","ips":[{"address":"10.9.0.3/16"}]})";
  Attachment second = b.attachments[0];
  second.network = "other";
  second.ifname = "eth1";
  second.dns = false;
  b.attachments.push_back(second);
  ASSERT_TRUE(fs::write_file(b.netns, "", 0444).ok());  // a plain file: not a namespace
  for (const Record* r : {&a, &b}) {
    ASSERT_TRUE(save(dir_, *r).ok());
    ASSERT_TRUE(fs::write_file(r->hosts_path, "untouched\n").ok());
  }
  ASSERT_TRUE(refresh_hosts(dir_, {"app"}).ok());
  ASSERT_NE(read(a.hosts_path).find("beta"), std::string::npos);

  auto st = teardown(dir_, kIdB);
  ASSERT_TRUE(st.ok()) << st.error().message();
  // Last attachment first; no CNI_NETNS since the path pins no namespace.
  EXPECT_EQ(read(log), "DEL eth1 []\nDEL eth0 []\n");
  EXPECT_FALSE(fs::exists(b.netns));
  EXPECT_FALSE(fs::exists(record_path(dir_, kIdB)));
  EXPECT_EQ(load(dir_, kIdB).error().code(), ENOENT);
  std::string ha = read(a.hosts_path);
  EXPECT_EQ(ha.find("beta"), std::string::npos) << ha;
  EXPECT_EQ(ha, render_hosts(a.hosts));
  // Again: no record is fine.
  EXPECT_TRUE(teardown(dir_, kIdB).ok());
}

TEST_F(Attachments, TeardownWithoutARecordRemovesALeftoverNamespaceFile) {
  ASSERT_TRUE(fs::write_file(netns_path(dir_, kIdC), "", 0444).ok());
  ASSERT_TRUE(teardown(dir_, kIdC).ok());
  EXPECT_FALSE(fs::exists(netns_path(dir_, kIdC)));
}

TEST_F(Attachments, TeardownKeepsGoingPastAFailingPluginAndReturnsTheError) {
  std::string bin = dir_ + "/bin";
  ASSERT_TRUE(fs::mkdir_p(bin).ok());
  ASSERT_TRUE(fs::write_file(bin + "/nope",
                             "#!/bin/sh\ncat > /dev/null\nprintf '{\"code\":11,\"msg\":\"busy\"}'\nexit 1\n", 0755)
                  .ok());
  Record b = member(kIdB, "beta", "app", "10.9.0.3");
  b.plugin_dirs = {bin};
  b.attachments[0].conflist = R"({"cniVersion":"1.0.0","name":"app","plugins":[{"type":"nope"}]})";
  ASSERT_TRUE(save(dir_, b).ok());
  auto st = teardown(dir_, kIdB);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("network \"app\""), std::string::npos) << st.error().message();
  EXPECT_FALSE(fs::exists(record_path(dir_, kIdB)));
}

}  // namespace
}  // namespace hutch::network
