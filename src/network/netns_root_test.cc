// netns with real namespaces (label "root"). The host is never touched:
// before main, the test process moves into a network namespace and a
// private mount namespace of its own, so the pinned namespaces and their
// bind mounts die with it.
#include "network/netns.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>

#include "base/fs.h"
#include "base/spawn.h"

namespace hutch::network {
namespace {

// Why the namespaces could not be made ("" when they were).
std::string g_isolation_error = "not set up";

// Runs single-threaded, before gtest starts: unshare(2) of CLONE_NEWNS
// needs that.
__attribute__((constructor)) void isolate() {
  if (::geteuid() != 0) {
    g_isolation_error = "needs root";
    return;
  }
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
    g_isolation_error = std::string("unshare: ") + std::strerror(errno);
    return;
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    g_isolation_error = std::string("mount: ") + std::strerror(errno);
    return;
  }
  g_isolation_error = "";
}

class Netns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!g_isolation_error.empty()) GTEST_SKIP() << "no private namespaces: " << g_isolation_error;
    std::string tmpl = ::testing::TempDir() + "hutch-netns-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    (void)remove_netns(dir_ + "/sub/ns");
    (void)fs::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(Netns, CreatePinsANamespaceWithLoopbackUpAndRemoveUndoesIt) {
  std::string path = dir_ + "/sub/ns";  // the directory is made too
  auto st = create_netns(path);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(is_netns(path));
  EXPECT_FALSE(is_netns(dir_));

  if (!fs::exists("/usr/bin/nsenter") || !fs::exists("/usr/sbin/ip")) {
    ADD_FAILURE() << "nsenter or ip missing: cannot look inside";
  } else {
    auto r = run_command({"/usr/bin/nsenter", "--net=" + path, "/usr/sbin/ip", "-o", "link", "show"});
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r->status, 0) << r->output;
    EXPECT_NE(r->output.find("lo: <LOOPBACK,UP,LOWER_UP>"), std::string::npos) << r->output;
    // A new namespace: only its loopback.
    EXPECT_EQ(r->output.find("2: "), std::string::npos) << r->output;
  }

  auto again = create_netns(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), EEXIST);
  EXPECT_TRUE(is_netns(path));  // the failed create left it alone

  ASSERT_TRUE(remove_netns(path).ok());
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(is_netns(path));
}

TEST_F(Netns, RemoveOfAMissingPathOrAPlainFileIsFine) {
  EXPECT_TRUE(remove_netns(dir_ + "/missing").ok());
  std::string plain = dir_ + "/plain";
  ASSERT_TRUE(fs::write_file(plain, "", 0444).ok());
  EXPECT_FALSE(is_netns(plain));
  EXPECT_TRUE(remove_netns(plain).ok());
  EXPECT_FALSE(fs::exists(plain));
}

TEST_F(Netns, APathThatCannotBeCreatedLeavesNothing) {
  std::string file = dir_ + "/file";
  ASSERT_TRUE(fs::write_file(file, "").ok());
  auto st = create_netns(file + "/ns");  // its directory is a file
  ASSERT_FALSE(st.ok());
  EXPECT_FALSE(is_netns(file + "/ns"));
}

}  // namespace
}  // namespace hutch::network
