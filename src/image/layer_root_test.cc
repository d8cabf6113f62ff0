// apply_layer with privileges (label root): whiteouts as 0:0 character
// devices, opaque directories, trusted.* xattrs, owners and device nodes,
// and two applied layers mounted as overlayfs lower directories, in a
// private mount namespace of a forked child. Skips when not root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/internal/layer_fixture.h"

namespace hutch::image {
namespace {

using namespace testutil;  // the tar builders

const ApplyOptions kRoot{.preserve_owners = true, .create_devices = true};

class LayerRootTest : public LayerTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mknod, trusted.* xattrs, chown, mount)";
  }
  Result<ApplyResult> apply_root(const std::vector<TarEntry>& entries) { return apply(build_tar(entries), kRoot); }
  bool is_whiteout(const std::string& rel) {
    struct stat st;
    return ::lstat(dir_.path(rel).c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
  }
  std::string xattr(const std::string& rel, const char* name) {
    char buf[256];
    ssize_t n = ::lgetxattr(dir_.path(rel).c_str(), name, buf, sizeof buf);
    return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
  }
};

TarEntry owned(TarEntry e, int64_t uid, int64_t gid) {
  e.uid = uid;
  e.gid = gid;
  return e;
}

TEST_F(LayerRootTest, WhiteoutsBecomeCharDevices00) {
  auto r = apply_root({
      file(".wh.gone", ""),                           // nothing to delete yet
      dir("etc/"), file("etc/.wh.passwd", ""),        //
      file("twice", "x"), file(".wh.twice", ""),      // replaces an earlier entry
      dir("tree/"), file("tree/a/b", "deep"), file(".wh.tree", ""),  // and a tree
      owned(file("etc/.wh.shadow", ""), 1000, 42),
  });
  ASSERT_TRUE(r.ok()) << r.error().message();
  for (const char* p : {"gone", "etc/passwd", "twice", "tree", "etc/shadow"}) EXPECT_TRUE(is_whiteout(p)) << p;
  EXPECT_FALSE(exists(".wh.gone"));
  EXPECT_EQ(lstat_of("etc/shadow").st_uid, 1000u);
  EXPECT_EQ(lstat_of("etc/shadow").st_gid, 42u);
  EXPECT_EQ(dir_.stray_entries(), std::vector<std::string>{});
}

TEST_F(LayerRootTest, OpaqueDirectories) {
  auto r = apply_root({dir("d/"), file("d/.wh..wh..opq", ""), file("d/new", "n"), file("made/.wh..wh..opq", "")});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(xattr("d", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(xattr("made", "trusted.overlay.opaque"), "y");  // created for the marker
  EXPECT_EQ(read("d/new"), "n");
  EXPECT_FALSE(exists("d/.wh..wh..opq"));
}

TEST_F(LayerRootTest, TrustedXattrsExceptOverlays) {
  TarEntry f = file("f", "x");
  f.xattrs = {{"trusted.hutch", "t"}, {"trusted.overlay.opaque", "y"}, {"trusted.overlay.redirect", "/x"}};
  TarEntry l = symlink("l", "f");
  l.xattrs = {{"trusted.onlink", "s"}};
  ASSERT_TRUE(apply_root({f, l}).ok());
  EXPECT_EQ(xattr("f", "trusted.hutch"), "t");
  EXPECT_EQ(xattr("f", "trusted.overlay.opaque"), "<none>");
  EXPECT_EQ(xattr("f", "trusted.overlay.redirect"), "<none>");
  EXPECT_EQ(xattr("l", "trusted.onlink"), "s");  // on the symlink itself
  EXPECT_EQ(xattr("f", "trusted.onlink"), "<none>");
}

TEST_F(LayerRootTest, Owners) {
  auto r = apply_root({
      owned(dir("home/", 0750), 1000, 1000),
      owned(file("home/suid", "x", 04755), 1234, 5678),
      owned(file("home/sgid", "x", 02755), 0, 50),
      owned(symlink("home/link", "suid"), 7, 8),
      hardlink("home/hl", "home/suid"),
  });
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(lstat_of("home").st_uid, 1000u);
  EXPECT_EQ(lstat_of("home").st_mode & 07777, 0750u);
  struct stat suid = lstat_of("home/suid");
  EXPECT_EQ(suid.st_uid, 1234u);
  EXPECT_EQ(suid.st_gid, 5678u);
  EXPECT_EQ(suid.st_mode & 07777, 04755u);  // chown did not clear it
  EXPECT_EQ(lstat_of("home/sgid").st_mode & 07777, 02755u);
  EXPECT_EQ(lstat_of("home/link").st_uid, 7u);
  EXPECT_EQ(lstat_of("home/link").st_gid, 8u);
  EXPECT_EQ(lstat_of("home/hl").st_ino, suid.st_ino);
}

TEST_F(LayerRootTest, OwnersOutOfRangeAreRefused) {
  auto r = apply_root({owned(file("f", "x"), 0xffffffffLL, 0)});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(), "out of range"));
}

TEST_F(LayerRootTest, DeviceNodes) {
  TarEntry null;
  null.name = "dev/null";
  null.type = EntryType::kChar;
  null.mode = 0666;
  null.dev_major = 1;
  null.dev_minor = 3;
  TarEntry loop = null;
  loop.name = "dev/loop7";
  loop.type = EntryType::kBlock;
  loop.mode = 0660;
  loop.dev_major = 7;
  loop.dev_minor = 7;
  loop.gid = 6;
  auto r = apply_root({null, loop});
  ASSERT_TRUE(r.ok()) << r.error().message();
  struct stat n = lstat_of("dev/null");
  EXPECT_TRUE(S_ISCHR(n.st_mode));
  EXPECT_EQ(n.st_rdev, makedev(1, 3));
  EXPECT_EQ(n.st_mode & 07777, 0666u);  // not narrowed by the umask
  struct stat l = lstat_of("dev/loop7");
  EXPECT_TRUE(S_ISBLK(l.st_mode));
  EXPECT_EQ(l.st_rdev, makedev(7, 7));
  EXPECT_EQ(l.st_gid, 6u);
}

// Layer 1 and layer 2 (whiteouts, an opaque dir) mounted read-only as
// overlay lower dirs: what the container would see.
TEST_F(LayerRootTest, OverlayHidesWhitedOutFiles) {
  LayerDir lower2("layer-l2"), merged("layer-merged");
  auto r1 = apply_root({file("keep", "k"), file("gone", "g"), dir("opq/"), file("opq/old", "o"), file("dir/x", "x")});
  ASSERT_TRUE(r1.ok()) << r1.error().message();
  UniqueFd fd = memfd_with(build_tar({file(".wh.gone", ""), file("opq/.wh..wh..opq", ""), file("opq/new", "n"),
                                      file("dir/.wh.x", ""), file("dir/y", "y")}));
  auto r2 = apply_layer(fd.get(), lower2.root_fd(), kRoot);
  ASSERT_TRUE(r2.ok()) << r2.error().message();

  std::string target = merged.root();
  std::string opts = "lowerdir=" + lower2.root() + ":" + dir_.root();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: a private mount namespace, so nothing leaks to the host even
    // if the test dies before unmounting.
    if (::unshare(CLONE_NEWNS) != 0) _exit(77);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(77);
    if (::mount("overlay", target.c_str(), "overlay", MS_RDONLY, opts.c_str()) != 0) _exit(78);
    auto present = [&](const char* rel) {
      struct stat st;
      return ::lstat((target + "/" + rel).c_str(), &st) == 0;
    };
    int bad = 0;
    if (!present("keep")) bad |= 1;
    if (present("gone")) bad |= 2;
    if (present("opq/old")) bad |= 4;
    if (!present("opq/new")) bad |= 8;
    if (present("dir/x")) bad |= 16;
    if (!present("dir/y")) bad |= 32;
    if (::umount2(target.c_str(), MNT_DETACH) != 0) bad |= 64;
    _exit(bad);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  int code = WEXITSTATUS(status);
  if (code == 77) GTEST_SKIP() << "cannot make a private mount namespace here";
  if (code == 78) GTEST_SKIP() << "cannot mount overlayfs here";
  EXPECT_EQ(code & 1, 0) << "keep is missing";
  EXPECT_EQ(code & 2, 0) << "whited-out gone is visible";
  EXPECT_EQ(code & 4, 0) << "opq/old is visible through the opaque dir";
  EXPECT_EQ(code & 8, 0) << "opq/new is missing";
  EXPECT_EQ(code & 16, 0) << "whited-out dir/x is visible";
  EXPECT_EQ(code & 32, 0) << "dir/y is missing";
  EXPECT_EQ(code & 64, 0) << "umount failed";
}

}  // namespace
}  // namespace hutch::image
