#include "network/etc_files.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace hutch::network {
namespace {

template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? "no error" : r.error().message();
}

const char kDefaults[] =
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

TEST(EtcFiles, AddHost) {
  EXPECT_EQ(*parse_add_host("db:10.0.0.5"), (ExtraHost{"db", "10.0.0.5"}));
  EXPECT_EQ(*parse_add_host("db=10.0.0.5"), (ExtraHost{"db", "10.0.0.5"}));
  EXPECT_EQ(*parse_add_host("v6:::1"), (ExtraHost{"v6", "::1"}));
  EXPECT_EQ(*parse_add_host("v6=[2001:db8::1]"), (ExtraHost{"v6", "2001:db8::1"}));
  EXPECT_EQ(*parse_add_host("gw:host-gateway"), (ExtraHost{"gw", "host-gateway"}));
  EXPECT_EQ(error_of(parse_add_host("nocolon")),
            "invalid argument \"nocolon\" for \"--add-host\" flag: bad format for add-host: \"nocolon\"");
  EXPECT_EQ(error_of(parse_add_host(":1.2.3.4")),
            "invalid argument \":1.2.3.4\" for \"--add-host\" flag: bad format for add-host: \":1.2.3.4\"");
  EXPECT_EQ(error_of(parse_add_host("db:nope")),
            "invalid argument \"db:nope\" for \"--add-host\" flag: invalid IP address in add-host: \"nope\"");
  EXPECT_EQ(parse_add_host("x").error().code(), EINVAL);
}

TEST(EtcFiles, HostsBridge) {
  HostsInput in;
  in.hostname = "abc123";
  in.ip = "172.17.0.2";
  in.extra_hosts = {{"db", "10.0.0.5"}, {"gw", "172.17.0.1"}};
  EXPECT_EQ(render_hosts(in), std::string(kDefaults) + "10.0.0.5\tdb\n172.17.0.1\tgw\n172.17.0.2\tabc123\n");
}

TEST(EtcFiles, HostsUserNetworkWithPeers) {
  HostsInput in;
  in.hostname = "abc123";
  in.ip = "10.88.0.2";
  in.names = {"web", "frontend", "abc123", "web"};
  in.peers = {{"10.88.0.4", {"db", "postgres"}},
              {"10.88.0.3", {"cache"}},
              {"10.88.0.4", {"db", "primary"}},
              {"10.88.0.2", {"me-again"}},
              {"10.88.0.5", {"frontend", "other"}},
              {"10.88.0.6", {}}};
  EXPECT_EQ(render_hosts(in), std::string(kDefaults) +
                                  "10.88.0.2\tabc123 web frontend\n"
                                  "10.88.0.3\tcache\n"
                                  "10.88.0.4\tdb postgres primary\n"
                                  "10.88.0.5\tother\n");
}

TEST(EtcFiles, HostsNoneAndHost) {
  HostsInput none;
  none.hostname = "box";
  none.names = {"ignored-without-ip"};
  EXPECT_EQ(render_hosts(none), std::string(kDefaults) + "127.0.1.1\tbox\n");

  HostsInput host;
  host.hostname = "myhost";
  host.base = "127.0.0.1 localhost\n127.0.1.1 myhost";
  host.extra_hosts = {{"db", "10.0.0.5"}};
  EXPECT_EQ(render_hosts(host), "127.0.0.1 localhost\n127.0.1.1 myhost\n10.0.0.5\tdb\n");
}

TEST(EtcFiles, ResolvFiltersLoopback) {
  std::string host = "# from the host\nnameserver 127.0.0.53\nnameserver 192.168.1.1\nnameserver ::1\nsearch lan\n";
  EXPECT_EQ(*render_resolv_conf(host, {}, {}, {}), "# from the host\nnameserver 192.168.1.1\nsearch lan\n");
  EXPECT_EQ(*render_resolv_conf("nameserver 127.0.0.1\noptions ndots:2\n", {}, {}, {}),
            "options ndots:2\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  EXPECT_EQ(*render_resolv_conf("", {}, {}, {}), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  // Host network: the host's file as is.
  EXPECT_EQ(*render_resolv_conf(host, {}, {}, {}, true), host);
}

TEST(EtcFiles, ResolvCustom) {
  std::string host = "nameserver 192.168.1.1\nnameserver 127.0.0.53\nsearch lan corp\noptions edns0\n";
  EXPECT_EQ(*render_resolv_conf(host, {"1.1.1.1", "2606:4700::1111"}, {}, {}),
            "search lan corp\nnameserver 1.1.1.1\nnameserver 2606:4700::1111\noptions edns0\n");
  EXPECT_EQ(*render_resolv_conf(host, {}, {"example.com"}, {"ndots:3", "timeout:1"}),
            "search example.com\nnameserver 192.168.1.1\noptions ndots:3 timeout:1\n");
  EXPECT_EQ(*render_resolv_conf(host, {"9.9.9.9"}, {"."}, {}), "nameserver 9.9.9.9\noptions edns0\n");
  EXPECT_EQ(*render_resolv_conf("nameserver 127.0.0.1\n", {}, {"a.test"}, {}),
            "search a.test\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  EXPECT_EQ(error_of(render_resolv_conf(host, {"not-an-ip"}, {}, {})), "invalid IP address: not-an-ip");
}

TEST(EtcFiles, Hostname) { EXPECT_EQ(render_hostname("box"), "box\n"); }

TEST(EtcFiles, RewriteInPlaceKeepsInode) {
  char dir[] = "/tmp/hutch-etc-files-XXXXXX";
  ASSERT_TRUE(::mkdtemp(dir));
  std::string path = std::string(dir) + "/hosts";
  ASSERT_TRUE(fs::write_file(path, "a long first version of the file\n").ok());
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_TRUE(rewrite_in_place(path, "short\n").ok());
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(*fs::read_file(path), "short\n");
  // Created when missing; a symlink is refused rather than followed.
  std::string fresh = std::string(dir) + "/resolv.conf", link = std::string(dir) + "/link";
  ASSERT_TRUE(rewrite_in_place(fresh, "nameserver 1.1.1.1\n").ok());
  EXPECT_EQ(*fs::read_file(fresh), "nameserver 1.1.1.1\n");
  ASSERT_EQ(::symlink(fresh.c_str(), link.c_str()), 0);
  EXPECT_EQ(rewrite_in_place(link, "x").error().code(), ELOOP);
  EXPECT_EQ(*fs::read_file(fresh), "nameserver 1.1.1.1\n");
  ::unlink(link.c_str());
  ::unlink(fresh.c_str());
  ::unlink(path.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace hutch::network
