#include "runtime/process.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/fs.h"

namespace hutch::runtime {
namespace {

namespace stdfs = std::filesystem;

class FindExecutable : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-process-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    for (const char* d : {"/bin1", "/bin2", "/noexec"}) ASSERT_EQ(::mkdir((dir_ + d).c_str(), 0755), 0);
    ASSERT_TRUE(fs::write_file(dir_ + "/bin2/tool", "#!/bin/sh\n", 0755).ok());
    ASSERT_TRUE(fs::write_file(dir_ + "/noexec/tool", "#!/bin/sh\n", 0644).ok());
    ASSERT_TRUE(fs::write_file(dir_ + "/noexec/data", "", 0644).ok());
    ASSERT_EQ(::mkdir((dir_ + "/bin1/adir").c_str(), 0755), 0);
  }
  void TearDown() override {
    std::error_code ec;
    stdfs::remove_all(dir_, ec);
  }
  oci::Process proc(const std::string& arg0, const std::string& path) const {
    oci::Process p;
    p.args = {arg0, "--flag"};
    p.env = {"HOME=/root", "PATH=" + path};
    return p;
  }
  std::string dir_;
};

TEST_F(FindExecutable, SearchesPathInOrder) {
  auto r = find_executable(proc("tool", dir_ + "/bin1:" + dir_ + "/bin2"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, dir_ + "/bin2/tool");
  // An executable later in PATH wins over a non-executable earlier one.
  auto r2 = find_executable(proc("tool", dir_ + "/noexec:" + dir_ + "/bin2"));
  ASSERT_TRUE(r2.ok()) << r2.error().message();
  EXPECT_EQ(*r2, dir_ + "/bin2/tool");
}

TEST_F(FindExecutable, NotFoundUsesRuncWording) {
  auto r = find_executable(proc("x", dir_ + "/bin1:" + dir_ + "/bin2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "exec: \"x\": executable file not found in $PATH");
}

TEST_F(FindExecutable, NotExecutableIsPermissionDenied) {
  if (::geteuid() == 0 && ::access((dir_ + "/noexec/data").c_str(), X_OK) == 0)
    GTEST_SKIP() << "root may execute files without an x bit here";
  auto r = find_executable(proc("data", dir_ + "/noexec"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EACCES);
  EXPECT_EQ(r.error().message(), "exec: \"data\": permission denied");
  auto d = find_executable(proc("adir", dir_ + "/bin1"));  // a directory is not executable
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(), "exec: \"adir\": permission denied");
}

TEST_F(FindExecutable, PathWithSlashIsNotSearched) {
  auto ok = find_executable(proc(dir_ + "/bin2/tool", "/nonexistent"));
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(*ok, dir_ + "/bin2/tool");
  std::string missing = dir_ + "/bin1/missing";
  auto r = find_executable(proc(missing, dir_ + "/bin2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "exec: \"" + missing + "\": stat " + missing + ": no such file or directory");
  auto dir = find_executable(proc(dir_ + "/bin1/adir", "/usr/bin"));
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().code(), EACCES);
}

TEST_F(FindExecutable, DefaultPathWithoutPathVariable) {
  oci::Process p;
  p.args = {"sh"};
  p.env = {"TERM=xterm"};
  auto r = find_executable(p);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(*r == "/usr/sbin/sh" || *r == "/usr/bin/sh" || *r == "/sbin/sh" || *r == "/bin/sh" ||
              *r == "/usr/local/bin/sh" || *r == "/usr/local/sbin/sh")
      << *r;
}

TEST_F(FindExecutable, LastPathVariableWins) {
  oci::Process p = proc("tool", "/nonexistent");
  p.env.push_back("PATH=" + dir_ + "/bin2");
  auto r = find_executable(p);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, dir_ + "/bin2/tool");
}

TEST(FindExecutableArgs, EmptyArgs) {
  oci::Process p;
  auto r = find_executable(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().innermost(), "process.args must not be empty");
}

}  // namespace
}  // namespace hutch::runtime
