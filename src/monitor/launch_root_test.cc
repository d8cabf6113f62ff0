// Launch (the engine's side) against the real hutch-monitor and hutchrt:
// begin, attach, start, output and exit through frames, and a start error.
// Needs root; skips (GTEST_SKIP) when not root or the binaries are missing.
#include "monitor/launch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "monitor/protocol.h"
#include "monitor/settings.h"
#include "state/db.h"

namespace hutch::monitor {
namespace {

// What an attach client reads until the monitor closes the connection.
struct Followed {
  std::string out, err, exit_code;
};
Followed follow(int fd) {
  Followed f;
  for (;;) {
    Frame t;
    std::string p;
    bool eof = false;
    if (!read_frame(fd, &t, &p, &eof).ok()) break;
    if (t == Frame::kStdout) f.out += p;
    if (t == Frame::kStderr) f.err += p;
    if (t == Frame::kExit) f.exit_code = p;
  }
  return f;
}

class LaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    for (const char* p : {HUTCH_MONITOR_BIN, HUTCHRT_BIN}) {
      if (::access(p, X_OK) != 0) GTEST_SKIP() << p << " not built";
    }
    char tmpl[] = "/tmp/hutch-test-launch-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) (void)fs::remove_all(dir_);
  }

  // A bundle running `args`, its monitor.json and its row.
  std::string prepare(const std::string& id, const std::vector<std::string>& args) {
    std::string bundle = dir_ + "/" + id;
    std::string cmd = std::string(HUTCH_MAKE_BUNDLE) + " " + bundle + " >/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    auto cfg = json::parse_file(bundle + "/config.json");
    EXPECT_TRUE(cfg.ok());
    json_object_set_new(json_object_get(cfg->get(), "process"), "args", json::string_array(args));
    EXPECT_TRUE(fs::write_file(bundle + "/config.json", json::dump(cfg->get())).ok());
    Settings s;
    s.id = id;
    s.name = id;
    s.db = dir_ + "/state.db";
    s.bundle = bundle;
    s.rundir = dir_ + "/run-" + id;
    s.runtime = HUTCHRT_BIN;
    s.runtime_root = dir_ + "/rt";
    s.log_path = dir_ + "/" + id + ".log";
    EXPECT_TRUE(fs::write_file(bundle + "/monitor.json", to_json(s)).ok());
    auto db = state::Db::open(s.db);
    EXPECT_TRUE(db.ok());
    state::ContainerRow row;
    row.id = id;
    row.name = id;
    row.config = "{}";
    EXPECT_TRUE(db->insert(row).ok());
    return bundle;
  }

  std::string dir_;
};

TEST_F(LaunchTest, RunAttachedAndExitCode) {
  std::string id = "hutch-test-launch-" + std::to_string(::getpid()) + "-a";
  std::string bundle = prepare(id, {"/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 7"});
  auto l = Launch::begin(HUTCH_MONITOR_BIN, bundle);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_GT(l->container_pid(), 0);
  auto a = connect_attach(dir_ + "/run-" + id, false, true, true);
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(l->start().ok());
  Followed f = follow(a->get());
  EXPECT_EQ(f.out, "to-out\n");
  EXPECT_EQ(f.err, "to-err\n");
  EXPECT_EQ(f.exit_code, "7");
  // The monitor records the exit before it goes.
  for (int i = 0; i < 100; ++i) {
    auto db = state::Db::open(dir_ + "/state.db");
    auto row = db->get(id);
    if (row.ok() && row->status == state::Status::kExited && row->monitor_pid == 0) {
      EXPECT_EQ(row->exit_code, 7);
      return;
    }
    ::usleep(50000);
  }
  ADD_FAILURE() << "the exit was not recorded";
}

TEST_F(LaunchTest, MissingExecutableIs127) {
  std::string id = "hutch-test-launch-" + std::to_string(::getpid()) + "-b";
  std::string bundle = prepare(id, {"nosuchcmd"});
  auto l = Launch::begin(HUTCH_MONITOR_BIN, bundle);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(exit_code_for(l.error()), 127);
  EXPECT_NE(l.error().message().find("executable file not found"), std::string::npos) << l.error().message();
  // The user reads the runtime's words, not the protocol's code= prefix.
  EXPECT_EQ(l.error().message().find("code="), std::string::npos) << l.error().message();
  std::string text;
  int code = 0;
  parse_error_message("exec: code=127: not found", &text, &code);
  EXPECT_EQ(code, 127);
  EXPECT_EQ(text, "not found");
  for (int i = 0; i < 100 && fs::exists(dir_ + "/run-" + id); ++i) ::usleep(50000);
  EXPECT_FALSE(fs::exists(dir_ + "/run-" + id));
}

// A monitor spawned before its bundle exists runs it once handed the path,
// and ps shows that path in place of the placeholder.
TEST_F(LaunchTest, SpawnedAheadThenHanded) {
  std::string id = "hutch-test-launch-" + std::to_string(::getpid()) + "-c";
  std::string bundle = dir_ + "/" + id;
  auto l = Launch::spawn(HUTCH_MONITOR_BIN, bundle.size());
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_TRUE(l->waiting_for_bundle());
  prepare(id, {"/bin/sh", "-c", "exit 3"});
  pid_t monitor = 0;
  ASSERT_TRUE(l->hand(bundle, [&](pid_t pid) { monitor = pid; }).ok());
  EXPECT_FALSE(l->waiting_for_bundle());
  ASSERT_GT(monitor, 0);
  auto cmdline = fs::read_file("/proc/" + std::to_string(monitor) + "/cmdline");
  ASSERT_TRUE(cmdline.ok());
  EXPECT_NE(cmdline->find(std::string("\0-\0", 3) + bundle), std::string::npos) << *cmdline;
  auto a = connect_attach(dir_ + "/run-" + id, false, true, true);
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(l->start().ok());
  EXPECT_EQ(follow(a->get()).exit_code, "3");
}

// Sent its bundle in a separate step, then a new name before the start:
// the events carry that name.
TEST_F(LaunchTest, SentBundleThenNameReachesEvents) {
  std::string id = "hutch-test-launch-" + std::to_string(::getpid()) + "-d";
  std::string bundle = prepare(id, {"/bin/sh", "-c", "exit 0"});
  auto l = Launch::spawn(HUTCH_MONITOR_BIN);
  ASSERT_TRUE(l.ok()) << l.error().message();
  ASSERT_TRUE(l->send_bundle(bundle).ok());
  ASSERT_TRUE(l->wait_created().ok());
  ASSERT_TRUE(l->send_name("renamed").ok());
  auto a = connect_attach(dir_ + "/run-" + id, false, true, true);
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(l->start().ok());
  (void)follow(a->get());
  for (int i = 0; i < 100; ++i) {
    auto db = state::Db::open(dir_ + "/state.db");
    ASSERT_TRUE(db.ok());
    auto evs = db->events(0, 0, 0);
    ASSERT_TRUE(evs.ok());
    for (const auto& e : *evs)
      if (e.id == id && e.action == "die") {
        EXPECT_NE(e.attributes.find("\"name\":\"renamed\""), std::string::npos) << e.attributes;
        return;
      }
    ::usleep(50000);
  }
  ADD_FAILURE() << "no die event";
}

// Abandoned after its bundle (the engine's insert failed): the monitor
// undoes the create and goes, leaving the bundle and the database alone.
TEST_F(LaunchTest, AbandonedLeavesBundleAndDatabase) {
  std::string id = "hutch-test-launch-" + std::to_string(::getpid()) + "-e";
  std::string bundle = prepare(id, {"/bin/sh", "-c", "sleep 30"});
  auto l = Launch::spawn(HUTCH_MONITOR_BIN);
  ASSERT_TRUE(l.ok()) << l.error().message();
  ASSERT_TRUE(l->send_bundle(bundle).ok());
  pid_t monitor = l->monitor_pid();
  l->abandon();
  int rc = ::kill(monitor, 0);
  int err = errno;
  EXPECT_EQ(rc, -1);  // reaped by abandon()
  EXPECT_EQ(err, ESRCH);
  EXPECT_TRUE(fs::exists(bundle + "/config.json"));
  EXPECT_FALSE(fs::exists(dir_ + "/run-" + id));
  EXPECT_FALSE(fs::exists(dir_ + "/rt/" + id));
  auto db = state::Db::open(dir_ + "/state.db");
  ASSERT_TRUE(db.ok());
  auto row = db->get(id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->status, state::Status::kCreated);  // as prepare() left it
  auto evs = db->events(0, 0, 0);
  ASSERT_TRUE(evs.ok());
  EXPECT_TRUE(evs->empty());
}

// Never handed a bundle, the monitor goes at once and is reaped: no
// process, no zombie, nothing written.
TEST_F(LaunchTest, SpawnedAheadAndDropped) {
  auto children = [] {
    auto text = fs::read_file("/proc/self/task/" + std::to_string(::gettid()) + "/children");
    std::set<pid_t> pids;
    for (const auto& w : split(text.ok() ? trim(*text) : "", ' '))
      if (!w.empty()) pids.insert(static_cast<pid_t>(std::atoi(w.c_str())));
    return pids;
  };
  std::set<pid_t> before = children();
  pid_t monitor = 0;
  {
    auto l = Launch::spawn(HUTCH_MONITOR_BIN);
    ASSERT_TRUE(l.ok()) << l.error().message();
    for (pid_t p : children())
      if (!before.count(p)) monitor = p;
    ASSERT_GT(monitor, 0);
  }
  int rc = ::kill(monitor, 0);
  int err = errno;
  EXPECT_EQ(rc, -1);  // reaped by the destructor
  EXPECT_EQ(err, ESRCH);
  std::string left = dir_ + "/*";
  EXPECT_NE(std::system(("test -e " + left).c_str()), 0) << "the monitor wrote in " << dir_;
}

}  // namespace
}  // namespace hutch::monitor
