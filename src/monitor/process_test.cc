#include "monitor/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace hutch::monitor {
namespace {

TEST(RuntimeMessage, Formats) {
  // hutchrt
  EXPECT_EQ(runtime_message("hutchrt: create: exec: \"/x\": stat /x: no such file or directory\n"),
            "hutchrt: create: exec: \"/x\": stat /x: no such file or directory");
  // runc's logfmt
  EXPECT_EQ(runtime_message("time=\"2026-01-01T00:00:00Z\" level=error msg=\"runc create failed: unable to start "
                            "container process: exec: \\\"nosuchcmd\\\": executable file not found in $PATH\"\n"),
            "runc create failed: unable to start container process: exec: \"nosuchcmd\": executable file not found "
            "in $PATH");
  // crun: the last line
  EXPECT_EQ(runtime_message("warning\nopen executable: Permission denied\n\n"), "open executable: Permission denied");
  EXPECT_EQ(runtime_message(""), "");
}

TEST(ExecErrorCode, DockerCodes) {
  // What hutchrt, runc and crun print for args ["/nonexistent"], ["/etc/passwd"], ["nosuchcmd"].
  EXPECT_EQ(exec_error_code("hutchrt: create: exec: \"/nonexistent\": stat /nonexistent: no such file or directory"), 127);
  EXPECT_EQ(exec_error_code("hutchrt: create: exec: \"/etc/passwd\": Permission denied"), 126);
  EXPECT_EQ(exec_error_code("hutchrt: create: exec: \"nosuchcmd\": executable file not found in $PATH"), 127);
  EXPECT_EQ(exec_error_code("runc create failed: unable to start container process: exec: \"/nonexistent\": stat "
                            "/nonexistent: no such file or directory"),
            127);
  EXPECT_EQ(exec_error_code("runc create failed: unable to start container process: exec: \"/etc/passwd\": "
                            "permission denied"),
            126);
  EXPECT_EQ(exec_error_code("executable file `/nonexistent` not found in $PATH: No such file or directory"), 127);
  EXPECT_EQ(exec_error_code("open executable: Permission denied"), 126);
  EXPECT_EQ(exec_error_code("executable file `nosuchcmd` not found in $PATH: No such file or directory"), 127);
  // Not about the executable.
  EXPECT_EQ(exec_error_code("mount \"/proc\": permission denied"), 0);
  EXPECT_EQ(exec_error_code("open /sys/fs/cgroup/x: no such file or directory"), 0);
}

TEST(Spawn, RunCapturesOutputAndStatus) {
  auto r = run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, 3);
  EXPECT_NE(r->output.find("out\n"), std::string::npos);
  EXPECT_NE(r->output.find("err\n"), std::string::npos);
  r = run({"/bin/sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 137);
  r = run({"/nonexistent-hutch-test"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 127);
}

TEST(Spawn, SealedCopyRunsFromAMemfd) {
  // What the child execs is the copy: /proc/self/exe names the memfd, never
  // the file on disk (CVE-2019-5736).
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  auto pid = spawn({"/bin/readlink", "/proc/self/exe"}, Stdio{-1, p[1], -1}, false, true);
  ::close(p[1]);
  ASSERT_TRUE(pid.ok()) << pid.error().message();
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  auto code = wait_exit(*pid);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(out.rfind("/memfd:hutchrt", 0), 0u) << out;
}

TEST(RuntimeArgv, GlobalOptionsFirst) {
  Settings s;
  s.runtime = "/rt";
  s.runtime_root = "/root";
  s.runtime_args = {"--debug"};
  EXPECT_EQ(runtime_argv(s, {"start", "id"}), (std::vector<std::string>{"/rt", "--debug", "--root", "/root", "start", "id"}));
}

}  // namespace
}  // namespace hutch::monitor
