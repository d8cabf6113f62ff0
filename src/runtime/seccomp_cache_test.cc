#include "runtime/seccomp_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/fs.h"

namespace hutch::runtime::seccomp {
namespace {

using A = oci::SeccompAction;

oci::Seccomp profile(int errno_ret) {
  oci::Seccomp p;
  p.default_action = A::kAllow;
  p.syscalls.push_back({{"getcwd"}, A::kErrno, static_cast<uint32_t>(errno_ret), {}});
  return p;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/hutch-seccomp-cache-XXXXXX";
  return ::mkdtemp(tmpl);
}

// getcwd's result once `f` is loaded in a child (the errno, 0 if allowed).
int getcwd_errno_with(Filter& f) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(100);
    if (!load(f).ok()) ::_exit(101);
    char buf[256];
    long rc = ::syscall(SYS_getcwd, buf, sizeof buf);
    ::_exit(rc < 0 ? static_cast<int>(errno) : 0);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(SeccompCache, StoresThenLoadsTheSameProgram) {
  std::string dir = temp_dir();
  auto first = compile_cached(profile(ENOSYS), dir + "/c");
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_FALSE(first->bpf().empty());
  struct stat st;
  ASSERT_EQ(::stat((dir + "/c").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto second = compile_cached(profile(ENOSYS), dir + "/c");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->bpf(), first->bpf());
  EXPECT_EQ(second->ctx(), nullptr);  // from the file, not compiled
  EXPECT_EQ(getcwd_errno_with(*second), ENOSYS);
  // The program equals what libseccomp generates for the same profile.
  auto direct = compile(profile(ENOSYS));
  ASSERT_TRUE(direct.ok());
  auto bpf = export_bpf(*direct);
  ASSERT_TRUE(bpf.ok());
  EXPECT_EQ(*bpf, first->bpf());
  (void)fs::remove_all(dir);
}

TEST(SeccompCache, ADifferentProfileNeverGetsAStoredProgram) {
  std::string dir = temp_dir();
  ASSERT_TRUE(compile_cached(profile(ENOSYS), dir).ok());
  auto other = compile_cached(profile(EACCES), dir);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(getcwd_errno_with(*other), EACCES);
  // Even a file under the other profile's name holding this profile's
  // program is refused: the stored plan text must match exactly.
  auto plan_a = plan(profile(ENOSYS));
  auto plan_b = plan(profile(EACCES));
  ASSERT_TRUE(plan_a.ok() && plan_b.ok());
  EXPECT_NE(plan_key(*plan_a), plan_key(*plan_b));
  (void)fs::remove_all(dir);
}

TEST(SeccompCache, CorruptFilesAreRecompiled) {
  std::string dir = temp_dir();
  auto first = compile_cached(profile(ENOSYS), dir);
  ASSERT_TRUE(first.ok());
  // Truncate every stored program.
  std::string cmd = "for f in " + dir + "/*.bpf; do head -c 40 \"$f\" > \"$f.t\" && mv \"$f.t\" \"$f\"; done";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto again = compile_cached(profile(ENOSYS), dir);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->bpf(), first->bpf());
  EXPECT_EQ(getcwd_errno_with(*again), ENOSYS);
  (void)fs::remove_all(dir);
}

}  // namespace
}  // namespace hutch::runtime::seccomp
