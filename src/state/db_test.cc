#include "state/db.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

namespace hutch::state {
namespace {

std::string hex_id(int n) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064x", n);
  return buf;
}

ContainerRow row(const std::string& id, const std::string& name, int64_t created = 1) {
  ContainerRow r;
  r.id = id;
  r.name = name;
  r.image = "busybox";
  r.image_id = "sha256:" + std::string(64, 'e');
  r.created = created;
  r.config = "{\"Cmd\":[\"sh\"]}";
  return r;
}

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-db-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    path_ = tmp_ + "/store/state.db";  // the parent is made by open()
    auto db = Db::open(path_);
    ASSERT_TRUE(db.ok()) << db.error().message();
    db_.emplace(std::move(db).value());
  }
  void TearDown() override {
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }
  Db& db() { return *db_; }

  std::string tmp_, path_;
  std::optional<Db> db_;
};

TEST_F(DbTest, FileIsPrivateAndWal) {
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(db().insert(row(hex_id(1), "a")).ok());
  ASSERT_EQ(::stat((path_ + "-wal").c_str(), &st), 0) << "WAL file missing";
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second open of an existing store keeps the data.
  auto again = Db::open(path_);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(again->get(hex_id(1)).ok());
}

// A deferred Db touches nothing until its first call, then works as an
// opened one; a path it cannot open fails that call with open()'s words.
TEST_F(DbTest, DeferredOpensAtFirstCall) {
  std::string path = tmp_ + "/later/state.db";
  Db db = Db::deferred(path);
  EXPECT_FALSE(db.is_open());
  EXPECT_FALSE(std::filesystem::exists(tmp_ + "/later"));
  ASSERT_TRUE(db.insert(row(hex_id(7), "seven")).ok());
  EXPECT_TRUE(db.is_open());
  Db moved = std::move(db);
  auto got = moved.get(hex_id(7));
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->name, "seven");

  {
    std::FILE* f = std::fopen((tmp_ + "/file").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  Db bad = Db::deferred(tmp_ + "/file/state.db");  // its parent is a file
  auto r = bad.list();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("open database"), std::string::npos) << r.error().message();
  EXPECT_FALSE(bad.is_open());
}

TEST_F(DbTest, StatusNames) {
  for (Status s : {Status::kCreated, Status::kRunning, Status::kPaused, Status::kRestarting, Status::kRemoving,
                   Status::kExited, Status::kDead}) {
    auto back = status_from_name(status_name(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_STREQ(status_name(Status::kRunning), "running");
  EXPECT_EQ(status_from_name("sleeping").error().code(), EINVAL);
}

TEST_F(DbTest, InsertGetFind) {
  std::string a = "abc" + std::string(61, '1'), b = "abd" + std::string(61, '2');
  ASSERT_TRUE(db().insert(row(a, "web")).ok());
  ASSERT_TRUE(db().insert(row(b, "db")).ok());

  auto got = db().get(a);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->name, "web");
  EXPECT_EQ(db().get("abc").error().code(), ENOENT);  // get() takes full ids only
  EXPECT_EQ(db().get(hex_id(9)).error().message(), "no such container: " + hex_id(9));

  EXPECT_EQ(db().find(a)->name, "web");
  EXPECT_EQ(db().find("web")->id, a);
  EXPECT_EQ(db().find("/web")->id, a);
  EXPECT_EQ(db().find("abc")->id, a);
  EXPECT_EQ(db().find("abd2")->id, b);

  auto amb = db().find("ab");
  ASSERT_FALSE(amb.ok());
  EXPECT_EQ(amb.error().code(), EINVAL);
  EXPECT_EQ(amb.error().message(), "multiple IDs found with provided prefix: ab");

  for (std::string missing : {"nope", "/nope", "abe", "ab*", "a?c", "ABC", ""}) {
    auto r = db().find(missing);
    ASSERT_FALSE(r.ok()) << missing;
    EXPECT_EQ(r.error().code(), ENOENT) << missing;
    EXPECT_EQ(r.error().message(), "no such container: " + missing);
  }
}

TEST_F(DbTest, NameBeatsPrefix) {
  // docker resolves an exact name before an id prefix.
  std::string a = "bee" + std::string(61, '1'), b = hex_id(2);
  ASSERT_TRUE(db().insert(row(a, "x")).ok());
  ASSERT_TRUE(db().insert(row(b, "bee")).ok());
  EXPECT_EQ(db().find("bee")->id, b);
  EXPECT_EQ(db().find("be")->id, a);
}

TEST_F(DbTest, NameConflict) {
  std::string a = hex_id(1);
  ASSERT_TRUE(db().insert(row(a, "web")).ok());
  auto r = db().insert(row(hex_id(2), "web"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EEXIST);
  EXPECT_EQ(r.error().message(), "the container name \"/web\" is already in use by container \"" + a +
                                     "\". You have to remove (or rename) that container to be able to reuse that name.");
  auto dup = db().insert(row(a, "other"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), EEXIST);
  EXPECT_EQ(db().list()->size(), 1u);
}

TEST_F(DbTest, UpdateRoundTripsEveryField) {
  std::string id = hex_id(7);
  ASSERT_TRUE(db().insert(row(id, "web")).ok());
  ContainerRow want;
  auto st = db().update(id, [&](ContainerRow& r) -> hutch::Status {
    r.name = "web2";
    r.image = "alpine:3";
    r.image_id = "sha256:" + std::string(64, 'a');
    r.created = 1700000000123456789;
    r.config = "{\"Env\":[\"A=\\u00e9\"],\"quote\":\"it's\"}";
    r.status = Status::kRestarting;
    r.pid = 4242;
    r.monitor_pid = 4241;
    r.monitor_start = 18446744073709551615ULL;  // beyond int64: stored bit for bit
    r.exit_code = 137;
    r.started_at = 1700000001000000000;
    r.finished_at = 1700000002000000000;
    r.restart_count = 3;
    r.stopped_by_user = true;
    r.oom_killed = true;
    r.error = "exec: \"nope\": executable file not found in $PATH";
    r.health = "unhealthy";
    r.health_failing_streak = 4;
    r.health_log = "[{\"Start\":\"x\",\"End\":\"y\",\"ExitCode\":1,\"Output\":\"bad\\n\"}]";
    r.log_dropped = 1ULL << 40;
    want = r;
    return Ok{};
  });
  ASSERT_TRUE(st.ok()) << st.error().message();
  auto got = db().get(id);
  ASSERT_TRUE(got.ok());
  const ContainerRow& g = *got;
  EXPECT_EQ(g.id, want.id);
  EXPECT_EQ(g.name, want.name);
  EXPECT_EQ(g.image, want.image);
  EXPECT_EQ(g.image_id, want.image_id);
  EXPECT_EQ(g.created, want.created);
  EXPECT_EQ(g.config, want.config);
  EXPECT_EQ(g.status, want.status);
  EXPECT_EQ(g.pid, want.pid);
  EXPECT_EQ(g.monitor_pid, want.monitor_pid);
  EXPECT_EQ(g.monitor_start, want.monitor_start);
  EXPECT_EQ(g.exit_code, want.exit_code);
  EXPECT_EQ(g.started_at, want.started_at);
  EXPECT_EQ(g.finished_at, want.finished_at);
  EXPECT_EQ(g.restart_count, want.restart_count);
  EXPECT_EQ(g.stopped_by_user, want.stopped_by_user);
  EXPECT_EQ(g.oom_killed, want.oom_killed);
  EXPECT_EQ(g.error, want.error);
  EXPECT_EQ(g.health, want.health);
  EXPECT_EQ(g.health_failing_streak, want.health_failing_streak);
  EXPECT_EQ(g.health_log, want.health_log);
  EXPECT_EQ(g.log_dropped, want.log_dropped);
  // And back to the defaults (false, 0, "").
  ASSERT_TRUE(db().update(id, [](ContainerRow& r) -> hutch::Status {
                    std::string keep = r.id;
                    r = ContainerRow();
                    r.id = keep;
                    return Ok{};
                  }).ok());
  EXPECT_FALSE(db().get(id)->oom_killed);
  EXPECT_EQ(db().get(id)->health_log, "[]");
  EXPECT_EQ(db().get(id)->status, Status::kCreated);
}

TEST_F(DbTest, UpdateAbortsAndGuards) {
  std::string a = hex_id(1), b = hex_id(2);
  ASSERT_TRUE(db().insert(row(a, "one")).ok());
  ASSERT_TRUE(db().insert(row(b, "two")).ok());
  auto aborted = db().update(a, [](ContainerRow& r) -> hutch::Status {
    r.restart_count = 99;
    return Error::plain(EAGAIN, "changed my mind");
  });
  ASSERT_FALSE(aborted.ok());
  EXPECT_EQ(aborted.error().message(), "changed my mind");
  EXPECT_EQ(db().get(a)->restart_count, 0);

  auto id_change = db().update(a, [](ContainerRow& r) -> hutch::Status {
    r.id = hex_id(3);
    return Ok{};
  });
  EXPECT_EQ(id_change.error().code(), EINVAL);
  auto name_clash = db().update(a, [](ContainerRow& r) -> hutch::Status {
    r.name = "two";
    return Ok{};
  });
  EXPECT_EQ(name_clash.error().code(), EEXIST);
  EXPECT_EQ(db().update(hex_id(9), [](ContainerRow&) -> hutch::Status { return Ok{}; }).error().code(), ENOENT);
  // The failed transactions left the connection usable.
  EXPECT_TRUE(db().update(a, [](ContainerRow& r) -> hutch::Status {
                    r.pid = 1;
                    return Ok{};
                  }).ok());
}

TEST_F(DbTest, Rename) {
  std::string a = hex_id(1), b = hex_id(2);
  ASSERT_TRUE(db().insert(row(a, "one")).ok());
  ASSERT_TRUE(db().insert(row(b, "two")).ok());
  auto clash = db().rename(a, "two");
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code(), EEXIST);
  EXPECT_NE(clash.error().message().find("\"/two\" is already in use by container \"" + b + "\""),
            std::string::npos);
  EXPECT_EQ(db().rename(a, "one").error().code(), EINVAL);
  EXPECT_EQ(db().rename(hex_id(3), "x").error().code(), ENOENT);
  ASSERT_TRUE(db().rename(a, "uno").ok());
  EXPECT_EQ(db().find("uno")->id, a);
  EXPECT_FALSE(db().find("one").ok());
  // The old name is free again.
  EXPECT_TRUE(db().insert(row(hex_id(4), "one")).ok());
}

TEST_F(DbTest, RemoveAndList) {
  ASSERT_TRUE(db().insert(row(hex_id(1), "old", 100)).ok());
  ASSERT_TRUE(db().insert(row(hex_id(2), "new", 300)).ok());
  ASSERT_TRUE(db().insert(row(hex_id(3), "mid", 200)).ok());
  auto all = db().list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "new");
  EXPECT_EQ((*all)[1].name, "mid");
  EXPECT_EQ((*all)[2].name, "old");
  ASSERT_TRUE(db().remove(hex_id(3)).ok());
  auto again = db().remove(hex_id(3));
  EXPECT_EQ(again.error().code(), ENOENT);
  EXPECT_EQ(again.error().message(), "no such container: " + hex_id(3));
  EXPECT_EQ(db().list()->size(), 2u);
  EXPECT_TRUE(db().insert(row(hex_id(3), "mid")).ok());
}

TEST_F(DbTest, BatchCommitsTogetherOrNotAtAll) {
  ASSERT_TRUE(db().insert(row(hex_id(1), "a")).ok());
  // A failing step rolls back the steps before it.
  auto failed = db().batch([&]() -> hutch::Status {
    TRY(db().add_event(EventRow{0, 5, "container", "destroy", hex_id(1), "{}"}));
    TRY(db().update(hex_id(1), [](ContainerRow& r) -> hutch::Status {
      r.exit_code = 9;
      return {};
    }));
    return db().insert(row(hex_id(2), "a"));  // the name is taken: EEXIST
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), EEXIST);
  EXPECT_EQ(db().get(hex_id(1))->exit_code, 0);
  EXPECT_TRUE(db().events(0, 0, 0)->empty());
  auto ok = db().batch([&]() -> hutch::Status {
    TRY(db().add_event(EventRow{0, 6, "container", "die", hex_id(3), "{}"}));
    return db().insert(row(hex_id(3), "c"));
  });
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_TRUE(db().get(hex_id(3)).ok());
  EXPECT_FALSE(db().events(0, 0, 0)->empty());
  // A step that fails on its own inside a batch is undone alone.
  auto partial = db().batch([&]() -> hutch::Status {
    EXPECT_FALSE(db().insert(row(hex_id(4), "c")).ok());  // "c" taken
    return db().insert(row(hex_id(5), "e"));
  });
  ASSERT_TRUE(partial.ok()) << partial.error().message();
  EXPECT_FALSE(db().get(hex_id(4)).ok());
  EXPECT_TRUE(db().get(hex_id(5)).ok());
}

TEST_F(DbTest, Volumes) {
  VolumeRow v;
  v.name = "data";
  v.created = 42;
  v.labels = "{\"a\":\"b\"}";
  v.options = "{}";
  ASSERT_TRUE(db().insert_volume(v).ok());
  VolumeRow anon;
  anon.name = std::string(64, 'f');
  anon.anonymous = true;
  ASSERT_TRUE(db().insert_volume(anon).ok());
  auto dup = db().insert_volume(v);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), EEXIST);

  auto got = db().get_volume("data");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->driver, "local");
  EXPECT_EQ(got->created, 42);
  EXPECT_EQ(got->labels, "{\"a\":\"b\"}");
  EXPECT_FALSE(got->anonymous);
  EXPECT_TRUE(db().get_volume(anon.name)->anonymous);

  auto all = db().list_volumes();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "data");  // by name

  ASSERT_TRUE(db().remove_volume("data").ok());
  EXPECT_EQ(db().get_volume("data").error().message(), "no such volume: data");
  EXPECT_EQ(db().remove_volume("data").error().code(), ENOENT);
  EXPECT_EQ(db().list_volumes()->size(), 1u);
}

EventRow event(const std::string& action, int64_t time) {
  EventRow e;
  e.time = time;
  e.type = "container";
  e.action = action;
  e.id = hex_id(1);
  e.attributes = "{\"name\":\"web\"}";
  return e;
}

TEST_F(DbTest, EventsOrderAndFilter) {
  ASSERT_TRUE(db().add_event(event("create", 100)).ok());
  ASSERT_TRUE(db().add_event(event("start", 200)).ok());
  ASSERT_TRUE(db().add_event(event("die", 150)).ok());  // out of time order: seq order wins
  ASSERT_TRUE(db().add_event(event("destroy", 0)).ok());  // time filled in

  auto all = db().events(0, 0, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].action, "create");
  EXPECT_EQ((*all)[1].action, "start");
  EXPECT_EQ((*all)[2].action, "die");
  EXPECT_EQ((*all)[3].action, "destroy");
  for (size_t i = 1; i < all->size(); ++i) EXPECT_GT((*all)[i].seq, (*all)[i - 1].seq);
  EXPECT_GT((*all)[3].time, 1'600'000'000'000'000'000);
  EXPECT_EQ((*all)[0].attributes, "{\"name\":\"web\"}");
  EXPECT_EQ((*all)[0].type, "container");
  EXPECT_EQ((*all)[0].id, hex_id(1));

  auto after = db().events((*all)[1].seq, 0, 0);
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].action, "die");

  auto window = db().events(0, 150, 200);
  ASSERT_EQ(window->size(), 2u);
  EXPECT_EQ((*window)[0].action, "start");
  EXPECT_EQ((*window)[1].action, "die");
  EXPECT_EQ(db().events(0, 0, 120)->size(), 1u);
  EXPECT_EQ(db().events(0, 201, 0)->size(), 1u);  // only "destroy" (now)
}

TEST_F(DbTest, EventsTrimmed) {
  const int64_t extra = 25;
  for (int64_t i = 1; i <= Db::kMaxEvents + extra; ++i) ASSERT_TRUE(db().add_event(event("start", i)).ok());
  auto all = db().events(0, 0, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(int64_t(all->size()), Db::kMaxEvents);
  EXPECT_EQ(all->front().time, extra + 1);
  EXPECT_EQ(all->back().time, Db::kMaxEvents + extra);
  // seq keeps counting after the trim.
  ASSERT_TRUE(db().add_event(event("stop", 1)).ok());
  auto last = db().events(all->back().seq, 0, 0);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ(last->front().seq, all->back().seq + 1);
}

// Many hutch processes on one store: every read-modify-write counts, and
// every insert lands.
TEST_F(DbTest, ManyProcesses) {
  const std::string shared = hex_id(0xfff);
  ASSERT_TRUE(db().insert(row(shared, "counter")).ok());
  db_.reset();  // a connection must not cross fork()
  constexpr int kProcs = 20, kUpdates = 50;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      auto db = Db::open(path_);
      if (!db.ok()) _exit(10);
      for (int i = 0; i < kUpdates && rc == 0; ++i) {
        auto st = db->update(shared, [](ContainerRow& r) -> hutch::Status {
          r.restart_count++;
          return Ok{};
        });
        if (!st.ok()) rc = 11;
        if (rc == 0 && !db->insert(row(hex_id(p * 1000 + i + 1), "p" + std::to_string(p) + "-" + std::to_string(i)))
                            .ok())
          rc = 12;
      }
      _exit(rc);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    ASSERT_EQ(waitpid(k, &status, 0), k);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->get(shared)->restart_count, kProcs * kUpdates);
  auto all = db->list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), size_t(kProcs * kUpdates + 1));
  std::set<std::string> names;
  for (const auto& r : *all) names.insert(r.name);
  for (int p = 0; p < kProcs; ++p)
    for (int i = 0; i < kUpdates; ++i) EXPECT_TRUE(names.count("p" + std::to_string(p) + "-" + std::to_string(i)));
}

// The first commands on a new store race to create the file and schema.
TEST_F(DbTest, ManyProcessesCreateTheStore) {
  const std::string fresh = tmp_ + "/fresh/state.db";
  constexpr int kProcs = 12;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto db = Db::open(fresh);
      if (!db.ok()) _exit(10);
      _exit(db->insert(row(hex_id(p + 1), "c" + std::to_string(p))).ok() ? 0 : 11);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    ASSERT_EQ(waitpid(k, &status, 0), k);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  auto db = Db::open(fresh);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->list()->size(), size_t(kProcs));
}

TEST(DbOpen, FailsClearly) {
  auto r = Db::open("/proc/self/nope/state.db");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("open database \"/proc/self/nope/state.db\""), std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace hutch::state
