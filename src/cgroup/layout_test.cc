#include "cgroup/layout.h"

#include <gtest/gtest.h>

#include "cgroup/internal/fake_tree.h"

namespace hutch::cgroup {
namespace {

using testing::FakeTree;
using V = std::vector<std::string>;

TEST(Layout, PureV1WithCoMountedAndNamedHierarchies) {
  FakeTree t;
  t.v1("cpu,cpuacct", "rw,cpu,cpuacct");
  t.v1("memory", "rw,memory");
  t.v1("systemd", "rw,xattr,name=systemd");
  t.v1("other", "rw,name=other");
  // A bind mount of the memory hierarchy elsewhere loses to the one below root.
  t.raw_mount("/run/elsewhere/memory", "cgroup", "rw,memory");
  auto l = detect_layout(t.mountinfo(), t.root());
  ASSERT_TRUE(l.ok()) << l.error().message();
  ASSERT_EQ(l->hierarchies.size(), 3u);
  EXPECT_EQ(l->hierarchies[0].controllers, (V{"cpu", "cpuacct"}));
  EXPECT_EQ(l->hierarchies[0].mount, t.root() + "/cpu,cpuacct");
  EXPECT_EQ(l->hierarchies[1].mount, t.root() + "/memory");
  EXPECT_EQ(l->hierarchies[2].name, "systemd");
  EXPECT_TRUE(l->hierarchies[2].controllers.empty());
  EXPECT_EQ(l->unified(), nullptr);
  EXPECT_EQ(l->find("cpuacct"), &l->hierarchies[0]);
  EXPECT_EQ(l->find("pids"), nullptr);
}

TEST(Layout, PureV2) {
  FakeTree t;
  t.v2("", "cpuset cpu io memory pids");
  auto l = detect_layout(t.mountinfo(), t.root());
  ASSERT_TRUE(l.ok()) << l.error().message();
  ASSERT_EQ(l->hierarchies.size(), 1u);
  EXPECT_EQ(l->hierarchies[0].version, 2);
  EXPECT_EQ(l->hierarchies[0].controllers, (V{"cpuset", "cpu", "io", "memory", "pids"}));
  EXPECT_EQ(l->find("memory"), l->unified());
}

TEST(Layout, HybridAsOnThisKindOfHost) {
  FakeTree t;
  for (const char* c :
       {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"})
    t.v1(c, std::string("rw,") + c);
  t.v1("systemd", "rw,name=systemd");
  t.v2("unified", "hugetlb\n");
  auto l = detect_layout(t.mountinfo(), t.root());
  ASSERT_TRUE(l.ok()) << l.error().message();
  ASSERT_EQ(l->hierarchies.size(), 10u);
  EXPECT_EQ(l->hierarchies.back().version, 2);
  EXPECT_EQ(l->find("hugetlb"), l->unified());
  EXPECT_EQ(l->find("memory")->version, 1);
  EXPECT_EQ(l->find("rdma"), nullptr);
}

TEST(Layout, EscapedMountPoint) {
  FakeTree t;
  t.file(t.root() + "/with space/cgroup.controllers", "memory");
  t.raw_mount(t.root() + "/with\\040space", "cgroup2", "rw");
  auto l = detect_layout(t.mountinfo(), t.root());
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->hierarchies[0].mount, t.root() + "/with space");
}

TEST(Layout, NothingMounted) {
  auto l = detect_layout("22 1 0:21 / /proc rw - proc proc rw\n", "/sys/fs/cgroup");
  EXPECT_FALSE(l.ok());
}

TEST(Layout, SelfCgroup) {
  auto m = parse_self_cgroup("9:name=systemd:/user.slice\n4:cpu,cpuacct:/a\n0::/b/c\n");
  EXPECT_EQ(m["name=systemd"], "/user.slice");
  EXPECT_EQ(m["cpu,cpuacct"], "/a");
  EXPECT_EQ(m[""], "/b/c");
}

TEST(Layout, PathComponentsRefuseDotDot) {
  EXPECT_EQ(*path_components("/a//b/./c/"), (V{"a", "b", "c"}));
  auto r = path_components("/a/../etc");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("\"..\" is not allowed"), std::string::npos);
  EXPECT_FALSE(path_components("..").ok());
}

TEST(Layout, GroupDirAbsoluteAndRelative) {
  Hierarchy v1{1, "/sys/fs/cgroup/cpu,cpuacct", "/", {"cpu", "cpuacct"}, ""};
  Hierarchy named{1, "/sys/fs/cgroup/systemd", "/", {}, "systemd"};
  Hierarchy v2{2, "/sys/fs/cgroup/unified", "/", {"hugetlb"}, ""};
  auto self = parse_self_cgroup("9:name=systemd:/user.slice\n2:cpuacct,cpu:/me\n0::/u\n");
  EXPECT_EQ(*group_dir(v1, "/x/y", self), "/sys/fs/cgroup/cpu,cpuacct/x/y");
  EXPECT_EQ(*group_dir(v1, "x/y", self), "/sys/fs/cgroup/cpu,cpuacct/me/x/y");
  EXPECT_EQ(*group_dir(named, "x", self), "/sys/fs/cgroup/systemd/user.slice/x");
  EXPECT_EQ(*group_dir(v2, "x", self), "/sys/fs/cgroup/unified/u/x");
  EXPECT_FALSE(group_dir(v1, "x/../../y", self).ok());
  // Inside a cgroup namespace the mount's root is stripped from our own path.
  Hierarchy ns{2, "/sys/fs/cgroup", "/ctr", {}, ""};
  EXPECT_EQ(*group_dir(ns, "x", parse_self_cgroup("0::/ctr/sub\n")), "/sys/fs/cgroup/sub/x");
  // No entry for the hierarchy: a relative path cannot be placed.
  EXPECT_FALSE(group_dir(v1, "x", parse_self_cgroup("0::/\n")).ok());
}

}  // namespace
}  // namespace hutch::cgroup
