#include "runtime/resolve.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace hutch::runtime {
namespace {

namespace stdfs = std::filesystem;

// A temp dir holding "root" (the container rootfs) and "outside" (a host
// directory nothing may reach from the root).
class ResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-resolve-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    root_ = base_ + "/a/b/root";  // deep, so "../../.." from the root stays in the temp dir
    outside_ = base_ + "/outside";
    stdfs::create_directories(root_);
    stdfs::create_directories(outside_);
    root_fd_.reset(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_);
    // openat2 arrived in Linux 5.6.
    auto probe = open_in_root_flags(root_fd_.get(), "/", O_PATH);
    if (!probe.ok() && probe.error().code() == ENOSYS) GTEST_SKIP() << "openat2 is not available";
  }
  void TearDown() override {
    std::error_code ec;
    stdfs::remove_all(base_, ec);
  }
  // Every path under the temp dir that is not under the root.
  std::vector<std::string> outside_entries() const {
    std::vector<std::string> out;
    for (auto it = stdfs::recursive_directory_iterator(base_); it != stdfs::recursive_directory_iterator(); ++it) {
      std::string p = it->path();
      if (p == root_ || p.rfind(root_ + "/", 0) == 0) {
        it.disable_recursion_pending();
        continue;
      }
      if (p == base_ + "/a" || p == base_ + "/a/b" || p == outside_) continue;
      out.push_back(p);
    }
    return out;
  }
  static ino_t inode_of_fd(int fd) {
    struct stat st;
    EXPECT_EQ(::fstat(fd, &st), 0);
    return st.st_ino;
  }
  static ino_t inode_of(const std::string& p) {
    struct stat st;
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_ino;
  }
  std::string base_, root_, outside_;
  UniqueFd root_fd_;
};

TEST_F(ResolveTest, CreatesDirectoriesAndFiles) {
  auto d = open_in_root(root_fd_.get(), "/dev/shm/deep", CreateKind::kDirectory, 0700);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE(stdfs::is_directory(root_ + "/dev/shm/deep"));
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/dev/shm/deep").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777 & ~0077u, 0700u);
  EXPECT_EQ(inode_of_fd(d->get()), inode_of(root_ + "/dev/shm/deep"));

  auto f = open_in_root(root_fd_.get(), "etc/hosts", CreateKind::kFile, 0644);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_TRUE(stdfs::is_regular_file(root_ + "/etc/hosts"));
  EXPECT_EQ(inode_of_fd(f->get()), inode_of(root_ + "/etc/hosts"));

  // Existing: opened, not recreated.
  auto again = open_in_root(root_fd_.get(), "/etc/hosts", CreateKind::kNone);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(inode_of_fd(again->get()), inode_of(root_ + "/etc/hosts"));
  auto root = open_in_root(root_fd_.get(), "/", CreateKind::kNone);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(inode_of_fd(root->get()), inode_of(root_));
  EXPECT_TRUE(outside_entries().empty());
}

TEST_F(ResolveTest, MissingWithoutCreateIsEnoent) {
  auto r = open_in_root(root_fd_.get(), "/no/such", CreateKind::kNone);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().innermost(), "open \"/no/such\" in the container");
  EXPECT_FALSE(stdfs::exists(root_ + "/no"));
}

TEST_F(ResolveTest, FileUnderAFileIsAnError) {
  ASSERT_TRUE(open_in_root(root_fd_.get(), "/f", CreateKind::kFile).ok());
  auto r = open_in_root(root_fd_.get(), "/f/g", CreateKind::kFile);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOTDIR);
}

TEST_F(ResolveTest, AbsoluteSymlinkResolvesInsideTheRoot) {
  stdfs::create_directories(root_ + "/etc");
  ASSERT_EQ(::symlink("/etc", (root_ + "/link").c_str()), 0);
  auto f = open_in_root(root_fd_.get(), "/link/hutch-resolve-test-file", CreateKind::kFile);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_TRUE(stdfs::is_regular_file(root_ + "/etc/hutch-resolve-test-file"));
  EXPECT_FALSE(stdfs::exists("/etc/hutch-resolve-test-file"));
  EXPECT_EQ(inode_of_fd(f->get()), inode_of(root_ + "/etc/hutch-resolve-test-file"));
  auto d = open_in_root(root_fd_.get(), "/link/sub/dir", CreateKind::kDirectory);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE(stdfs::is_directory(root_ + "/etc/sub/dir"));
  EXPECT_TRUE(outside_entries().empty());
}

TEST_F(ResolveTest, SymlinkToAHostDirectoryNeverReachesIt) {
  // The target exists on the host but not inside the root.
  ASSERT_EQ(::symlink(outside_.c_str(), (root_ + "/escape").c_str()), 0);
  auto f = open_in_root(root_fd_.get(), "/escape/planted", CreateKind::kFile);
  auto d = open_in_root(root_fd_.get(), "/escape/x/y", CreateKind::kDirectory);
  EXPECT_TRUE(stdfs::is_empty(outside_));
  // If anything was made, it is under the root.
  if (f.ok()) {
    EXPECT_TRUE(stdfs::exists(root_ + outside_ + "/planted"));
  }
  if (d.ok()) {
    EXPECT_TRUE(stdfs::is_directory(root_ + outside_ + "/x/y"));
  }
  EXPECT_TRUE(outside_entries().empty());
  // Reading through it finds the root's copy, never the host's.
  ASSERT_EQ(::mkdir((outside_ + "/real").c_str(), 0755), 0);
  EXPECT_FALSE(open_in_root(root_fd_.get(), "/escape/real", CreateKind::kNone).ok());
}

TEST_F(ResolveTest, RelativeDotDotSymlinkStaysInTheRoot) {
  ASSERT_EQ(::symlink("../../..", (root_ + "/up").c_str()), 0);
  auto f = open_in_root(root_fd_.get(), "/up/landed", CreateKind::kFile);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_TRUE(stdfs::is_regular_file(root_ + "/landed"));
  EXPECT_EQ(inode_of_fd(f->get()), inode_of(root_ + "/landed"));
  auto d = open_in_root(root_fd_.get(), "/up/up/newdir/x", CreateKind::kDirectory);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE(stdfs::is_directory(root_ + "/newdir/x"));
  EXPECT_TRUE(outside_entries().empty());
}

TEST_F(ResolveTest, DotDotInThePathStaysInTheRoot) {
  stdfs::create_directories(root_ + "/x");
  auto existing = open_in_root(root_fd_.get(), "/../../../x", CreateKind::kNone);
  ASSERT_TRUE(existing.ok()) << existing.error().message();
  EXPECT_EQ(inode_of_fd(existing->get()), inode_of(root_ + "/x"));
  auto up = open_in_root_flags(root_fd_.get(), "/x/../../..", O_PATH | O_DIRECTORY);
  ASSERT_TRUE(up.ok()) << up.error().message();
  EXPECT_EQ(inode_of_fd(up->get()), inode_of(root_));
  // Creating cleans the path lexically first; it still lands inside.
  auto r = open_in_root(root_fd_.get(), "/x/missing/../../../y", CreateKind::kDirectory);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(stdfs::is_directory(root_ + "/y"));
  EXPECT_TRUE(outside_entries().empty());
}

// "/.." is "/" (path_resolution(7)): nothing is missing before the "..",
// so creating "/../newdir" must make root/newdir, as runc and crun do for
// a mount destination such as "/../newdir".
TEST_F(ResolveTest, LeadingDotDotCanBeCreated) {
  auto r = open_in_root(root_fd_.get(), "/../newdir", CreateKind::kDirectory);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(stdfs::is_directory(root_ + "/newdir"));
  EXPECT_TRUE(outside_entries().empty());
}

TEST_F(ResolveTest, FlagsOpenAndMagicLinksRefused) {
  ASSERT_TRUE(open_in_root(root_fd_.get(), "/d", CreateKind::kDirectory).ok());
  auto dir = open_in_root_flags(root_fd_.get(), "/d", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  EXPECT_EQ(inode_of_fd(dir->get()), inode_of(root_ + "/d"));
  auto notdir = open_in_root_flags(root_fd_.get(), "/missing", O_RDONLY);
  ASSERT_FALSE(notdir.ok());
  EXPECT_EQ(notdir.error().code(), ENOENT);
  // Magic links (/proc/PID/root, /proc/PID/cwd) are never followed: with
  // /proc/self as the "root", "root/etc" would otherwise be the host's /etc.
  UniqueFd proc_self(::open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(proc_self);
  auto magic = open_in_root(proc_self.get(), "/root/etc", CreateKind::kNone);
  ASSERT_FALSE(magic.ok());
  EXPECT_TRUE(magic.error().code() == ELOOP || magic.error().code() == EXDEV) << magic.error().message();
  EXPECT_FALSE(open_in_root(proc_self.get(), "/cwd/x", CreateKind::kDirectory).ok());
}

TEST(FdPath, Format) { EXPECT_EQ(fd_path(7), "/proc/self/fd/7"); }

}  // namespace
}  // namespace hutch::runtime
