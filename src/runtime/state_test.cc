#include "runtime/state.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "base/fs.h"

namespace hutch::runtime {
namespace {

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-state-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }
  ContainerState sample(const std::string& id) {
    ContainerState st;
    st.id = id;
    st.oci_version = "1.0.2";
    st.pid = 4242;
    st.pid_start = 123456789012ULL;
    st.bundle = "/srv/bundles/" + id;
    st.rootfs = "/srv/bundles/" + id + "/rootfs";
    st.created = "2024-02-29T01:02:03.123456789Z";
    st.owner = "";
    return st;
  }
  std::string tmp_;
};

TEST(ValidateId, AcceptsRuncIds) {
  for (const char* id : {"a", "Z", "0", "web-1", "a_b.c+d-e", "9abc", "x..y"})
    EXPECT_TRUE(StateStore::validate_id(id).ok()) << id;
  EXPECT_TRUE(StateStore::validate_id(std::string(1024, 'a')).ok());
}

TEST(ValidateId, RefusesOthers) {
  for (const char* id : {"-a", ".", "..", ".hidden", "_a", "+a", "a/b", "a b", "a\nb", "../x", "a:b", "é"}) {
    auto s = StateStore::validate_id(id);
    ASSERT_FALSE(s.ok()) << id;
    EXPECT_EQ(s.error().code(), EINVAL);
    EXPECT_EQ(s.error().message(),
              "invalid container id \"" + std::string(id) + "\" (allowed: [A-Za-z0-9][A-Za-z0-9_.+-]*)");
  }
  EXPECT_EQ(StateStore::validate_id("").error().message(), "container id must not be empty");
  EXPECT_EQ(StateStore::validate_id(std::string(1025, 'a')).error().message(),
            "container id is longer than 1024 bytes");
}

TEST_F(StateTest, CreateDirTwiceSaysAlreadyExists) {
  StateStore store(tmp_ + "/root/sub");  // the root is made on demand
  ASSERT_TRUE(store.create_dir("c1").ok());
  EXPECT_TRUE(std::filesystem::is_directory(tmp_ + "/root/sub/c1"));
  auto s = store.create_dir("c1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EEXIST);
  EXPECT_EQ(s.error().message(), "container \"c1\" already exists");
}

TEST_F(StateTest, SaveLoadRoundTrip) {
  StateStore store(tmp_);
  ContainerState st = sample("web");
  st.owner = "alice";
  st.annotations = {{"org.example/a", "1"}, {"b", "two \"quoted\""}};
  st.cgroup.reset(json_pack("{s:s, s:i}", "path", "/sys/fs/cgroup/hutch/web", "version", 2));
  st.new_pid_ns = false;
  st.systemd_cgroup = true;
  ASSERT_TRUE(store.create_dir("web").ok());
  ASSERT_TRUE(store.save(st).ok());

  struct stat sb;
  ASSERT_EQ(::stat((tmp_ + "/web/state.json").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(tmp_ + "/web/state.json.tmp"));

  auto r = store.load("web");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->id, "web");
  EXPECT_EQ(r->oci_version, "1.0.2");
  EXPECT_EQ(r->pid, 4242);
  EXPECT_EQ(r->pid_start, 123456789012ULL);
  EXPECT_EQ(r->bundle, "/srv/bundles/web");
  EXPECT_EQ(r->rootfs, "/srv/bundles/web/rootfs");
  EXPECT_EQ(r->created, "2024-02-29T01:02:03.123456789Z");
  EXPECT_EQ(r->owner, "alice");
  EXPECT_EQ(r->annotations, st.annotations);
  ASSERT_TRUE(r->cgroup);
  EXPECT_TRUE(json_equal(r->cgroup.get(), st.cgroup.get()));
  EXPECT_FALSE(r->new_pid_ns);
  EXPECT_TRUE(r->systemd_cgroup);
}

TEST_F(StateTest, SaveWithoutCgroupLoadsNone) {
  StateStore store(tmp_);
  ASSERT_TRUE(store.create_dir("c").ok());
  ASSERT_TRUE(store.save(sample("c")).ok());
  auto r = store.load("c");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->cgroup);
  EXPECT_TRUE(r->new_pid_ns);
  EXPECT_TRUE(r->annotations.empty());
}

TEST_F(StateTest, LoadErrors) {
  StateStore store(tmp_);
  auto missing = store.load("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_EQ(missing.error().message(), "container \"nope\" does not exist");
  auto bad = store.load("../etc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), EINVAL);
  ASSERT_TRUE(store.create_dir("junk").ok());
  ASSERT_TRUE(fs::write_file(tmp_ + "/junk/state.json", "{not json").ok());
  auto junk = store.load("junk");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().message().find("invalid JSON"), std::string::npos) << junk.error().message();
}

TEST_F(StateTest, ListIsSortedAndSkipsDirsWithoutState) {
  StateStore store(tmp_);
  for (const char* id : {"zeta", "alpha", "mid"}) {
    ASSERT_TRUE(store.create_dir(id).ok());
    ASSERT_TRUE(store.save(sample(id)).ok());
  }
  ASSERT_TRUE(store.create_dir("half-created").ok());  // no state.json yet
  auto l = store.list();
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(*l, (std::vector<std::string>{"alpha", "mid", "zeta"}));
  ASSERT_TRUE(store.remove("mid").ok());
  EXPECT_FALSE(fs::exists(tmp_ + "/mid"));
  EXPECT_EQ(*store.list(), (std::vector<std::string>{"alpha", "zeta"}));
  auto none = StateStore(tmp_ + "/missing").list();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(StateTest, LockIsExclusive) {
  StateStore store(tmp_);
  auto missing = store.lock("ghost");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "container \"ghost\" does not exist");
  ASSERT_TRUE(store.create_dir("c").ok());
  auto held = store.lock("c");
  ASSERT_TRUE(held.ok()) << held.error().message();
  UniqueFd other(::open(store.dir("c").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(other);
  EXPECT_NE(::flock(other.get(), LOCK_EX | LOCK_NB), 0);
  EXPECT_EQ(errno, EWOULDBLOCK);
  held->reset();
  EXPECT_EQ(::flock(other.get(), LOCK_EX | LOCK_NB), 0);
}

TEST(ProcessStartTime, OwnAndGoneAndParenthesesInComm) {
  EXPECT_GT(process_start_time(::getpid()), 0u);
  EXPECT_EQ(process_start_time(0x3ffffff), 0u);

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    (void)!::read(fds[0], &c, 1);  // the parent reads the start time first
    ::prctl(PR_SET_NAME, "a) b (c) d", 0, 0, 0);
    (void)!::read(fds[0], &c, 1);
    ::_exit(0);
  }
  uint64_t before = process_start_time(child);
  EXPECT_GT(before, 0u);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  // Wait for the rename to show in /proc.
  std::string comm;
  for (int i = 0; i < 200 && comm != "a) b (c) d\n"; ++i) {
    auto t = fs::read_file("/proc/" + std::to_string(child) + "/comm");
    comm = t.ok() ? *t : "";
    if (comm != "a) b (c) d\n") ::usleep(5000);
  }
  EXPECT_EQ(comm, "a) b (c) d\n");
  EXPECT_EQ(process_start_time(child), before);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  ::close(fds[0]);
  ::close(fds[1]);
  int status;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(process_start_time(child), 0u);  // reaped: gone
}

TEST_F(StateTest, ComputeStatus) {
  StateStore store(tmp_);
  ContainerState st = sample("c");
  ASSERT_TRUE(store.create_dir("c").ok());

  st.pid = 0;
  EXPECT_EQ(compute_status(store, st, false), Status_::kStopped);

  pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  st.pid = dead;
  st.pid_start = 1;
  EXPECT_EQ(compute_status(store, st, false), Status_::kStopped);

  // Our own pid with another start time: a reused pid, so stopped.
  st.pid = ::getpid();
  st.pid_start = process_start_time(::getpid()) + 1;
  EXPECT_EQ(compute_status(store, st, false), Status_::kStopped);
  EXPECT_EQ(compute_status(store, st, true), Status_::kStopped);

  st.pid_start = process_start_time(::getpid());
  EXPECT_EQ(compute_status(store, st, false), Status_::kRunning);
  EXPECT_EQ(compute_status(store, st, true), Status_::kPaused);
  ASSERT_TRUE(fs::write_file(store.fifo_path("c"), "").ok());
  EXPECT_EQ(compute_status(store, st, false), Status_::kCreated);
}

std::set<std::string> keys(const json_t* j) {
  std::set<std::string> out;
  const char* k;
  json_t* v;
  json_object_foreach(const_cast<json_t*>(j), k, v) out.insert(k);
  return out;
}

TEST_F(StateTest, StateJsonHasRuncsKeys) {
  ContainerState st = sample("web");
  st.cgroup.reset(json_object());
  auto doc = json::parse(state_json(st, Status_::kRunning, 0));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  json_t* j = doc->get();
  EXPECT_EQ(keys(j), (std::set<std::string>{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"}));
  EXPECT_STREQ(json_string_value(json_object_get(j, "ociVersion")), "1.0.2");
  EXPECT_STREQ(json_string_value(json_object_get(j, "id")), "web");
  EXPECT_EQ(json_integer_value(json_object_get(j, "pid")), 4242);
  EXPECT_STREQ(json_string_value(json_object_get(j, "status")), "running");
  EXPECT_STREQ(json_string_value(json_object_get(j, "bundle")), "/srv/bundles/web");
  EXPECT_STREQ(json_string_value(json_object_get(j, "rootfs")), "/srv/bundles/web/rootfs");
  EXPECT_STREQ(json_string_value(json_object_get(j, "created")), "2024-02-29T01:02:03.123456789Z");
  EXPECT_STREQ(json_string_value(json_object_get(j, "owner")), "");

  st.annotations = {{"k", "v"}};
  auto stopped = json::parse(state_json(st, Status_::kStopped, 2));
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(keys(stopped->get()).count("annotations"), 1u);
  EXPECT_STREQ(json_string_value(json_object_get(json_object_get(stopped->get(), "annotations"), "k")), "v");
  EXPECT_EQ(json_integer_value(json_object_get(stopped->get(), "pid")), 0);  // runc shows 0 once stopped
  EXPECT_STREQ(json_string_value(json_object_get(stopped->get(), "status")), "stopped");
  EXPECT_NE(state_json(st, Status_::kStopped, 2).find('\n'), std::string::npos);
  EXPECT_EQ(state_json(st, Status_::kStopped, 0).find('\n'), std::string::npos);
}

TEST(StatusName, AllValues) {
  EXPECT_STREQ(status_name(Status_::kCreating), "creating");
  EXPECT_STREQ(status_name(Status_::kCreated), "created");
  EXPECT_STREQ(status_name(Status_::kRunning), "running");
  EXPECT_STREQ(status_name(Status_::kPaused), "paused");
  EXPECT_STREQ(status_name(Status_::kStopped), "stopped");
}

}  // namespace
}  // namespace hutch::runtime
