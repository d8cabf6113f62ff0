#include "runtime/hooks.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "base/fs.h"
#include "base/strings.h"

namespace hutch::runtime {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

class HooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/bin/sh", X_OK) != 0) GTEST_SKIP() << "no /bin/sh";
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-hooks-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) stdfs::remove_all(dir_, ec);
  }
  static oci::Hook sh(const std::string& script, std::optional<int> timeout = std::nullopt,
                      std::vector<std::string> env = {}) {
    oci::Hook h;
    h.path = "/bin/sh";
    h.args = {"sh", "-c", script};
    h.env = std::move(env);
    h.timeout = timeout;
    return h;
  }
  std::string dir_;
};

constexpr const char* kState =
    R"({"ociVersion":"1.0.2","id":"c1","status":"creating","pid":42,"bundle":"/b","annotations":{"k":"v"}})";

TEST_F(HooksTest, ScriptReceivesStateOnStdinAndItsEnv) {
  std::string script = dir_ + "/hook.sh";
  ASSERT_TRUE(fs::write_file(script, "#!/bin/sh\ncat > \"$1\"\nprintf '%s' \"$GREETING\" > \"$2\"\n", 0755).ok());
  oci::Hook h;
  h.path = script;
  h.args = {"hook.sh", dir_ + "/state.out", dir_ + "/env.out"};
  h.env = {"GREETING=hello hooks"};
  h.timeout = 5;
  auto s = run_hooks({h}, "prestart", kState);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(*fs::read_file(dir_ + "/state.out"), kState);
  EXPECT_EQ(*fs::read_file(dir_ + "/env.out"), "hello hooks");
}

TEST_F(HooksTest, WithoutArgsArgv0IsThePath) {
  std::string script = dir_ + "/argv0.sh";
  ASSERT_TRUE(fs::write_file(script, "#!/bin/sh\necho \"$0 $#\" > " + dir_ + "/argv.out\n", 0755).ok());
  oci::Hook h;
  h.path = script;
  ASSERT_TRUE(run_hooks({h}, "poststart", kState).ok());
  EXPECT_EQ(*fs::read_file(dir_ + "/argv.out"), script + " 0\n");
}

TEST_F(HooksTest, EnvIsOnlyTheHooksOwn) {
  ::setenv("HUTCH_HOOKS_TEST_LEAK", "1", 1);
  auto s = run_hooks({sh("test -z \"$HUTCH_HOOKS_TEST_LEAK\"")}, "createRuntime", kState);
  ::unsetenv("HUTCH_HOOKS_TEST_LEAK");
  EXPECT_TRUE(s.ok()) << s.error().message();
}

TEST_F(HooksTest, RunInOrderAndStopAtTheFirstFailure) {
  std::string log = dir_ + "/log";
  auto s = run_hooks({sh("echo one >> " + log), sh("echo two >> " + log + "; exit 3"), sh("echo three >> " + log)},
                     "prestart", kState);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "hooks.prestart[1] \"/bin/sh\" exited with status 3");
  EXPECT_EQ(*fs::read_file(log), "one\ntwo\n");
}

TEST_F(HooksTest, FailureNamesKindAndIndex) {
  auto s = run_hooks({sh("exit 1")}, "prestart", kState);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "hooks.prestart[0] \"/bin/sh\" exited with status 1");
  auto k = run_hooks({sh("true"), sh("kill -TERM $$")}, "poststop", kState);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message(), "hooks.poststop[1] \"/bin/sh\" killed by signal " + std::to_string(SIGTERM));
}

TEST_F(HooksTest, MissingExecutable) {
  oci::Hook h;
  h.path = dir_ + "/does-not-exist";
  auto s = run_hooks({h}, "createContainer", kState);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ENOENT);
  EXPECT_EQ(s.error().innermost(), "hooks.createContainer[0] \"" + h.path + "\" could not be executed");
}

TEST_F(HooksTest, HookThatIgnoresStdinStillSucceeds) {
  EXPECT_TRUE(run_hooks({sh("exec 0<&-; true")}, "startContainer", kState).ok());
  EXPECT_TRUE(run_hooks({}, "prestart", kState).ok());
}

TEST_F(HooksTest, TimeoutKillsTheHookAndItsChildren) {
  std::string pidfile = dir_ + "/bg.pid";
  auto start = Clock::now();
  // The shell forks a background sleep too: both are in the hook's process
  // group and both must die.
  auto s = run_hooks({sh("sleep 10 & echo $! > " + pidfile + "; sleep 10", 1)}, "poststart", kState);
  auto took = Clock::now() - start;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ETIMEDOUT);
  EXPECT_EQ(s.error().innermost(), "hooks.poststart[0] \"/bin/sh\" timed out after 1s");
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::milliseconds(2500));

  auto pid_text = fs::read_file(pidfile);
  ASSERT_TRUE(pid_text.ok());
  pid_t bg = static_cast<pid_t>(parse_int(trim(*pid_text)).value_or(0));
  ASSERT_GT(bg, 0);
  // Killed, then reaped by init (or a subreaper): wait until it is gone or a zombie.
  bool dead = false;
  for (int i = 0; i < 200 && !dead; ++i) {
    auto stat = fs::read_file("/proc/" + std::to_string(bg) + "/stat");
    dead = !stat.ok() || stat->find(") Z ") != std::string::npos;
    if (!dead) ::usleep(10000);
  }
  EXPECT_TRUE(dead) << "background child " << bg << " of the hook survived the timeout";
}

TEST_F(HooksTest, FastHookWithTimeoutSucceeds) {
  auto start = Clock::now();
  EXPECT_TRUE(run_hooks({sh("true", 5)}, "prestart", kState).ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

// The state goes to the hook's stdin; a hook that never reads it must still
// be killed at its timeout. With a state larger than the pipe buffer
// (large annotations), the write must not block past the deadline.
TEST_F(HooksTest, TimeoutHoldsWhenTheHookDoesNotReadALargeState) {
  std::string big = std::string(R"({"annotations":{"big":")") + std::string(1 << 20, 'x') + "\"}}";
  auto start = Clock::now();
  auto s = run_hooks({sh("sleep 3", 1)}, "prestart", big);
  auto took = Clock::now() - start;
  ASSERT_FALSE(s.ok()) << "the timeout did not fire";
  EXPECT_EQ(s.error().code(), ETIMEDOUT);
  EXPECT_LT(took, std::chrono::milliseconds(2500));
}

}  // namespace
}  // namespace hutch::runtime
