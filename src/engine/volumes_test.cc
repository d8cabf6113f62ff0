#include "engine/volumes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/fs.h"
#include "base/json.h"

namespace hutch::engine {
namespace {

class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-volumes-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string root_;
};

const Volumes::InUse kUnused = [](const std::string&) { return false; };

TEST(VolumeName, DockersRule) {
  for (const char* ok : {"ab", "data", "my-vol_1.x", "0abc", "A.b-c_d"}) EXPECT_TRUE(valid_volume_name(ok)) << ok;
  for (const char* bad : {"", "a", "-ab", "_ab", ".ab", "a/b", "a b", "a@b", "../x", "/abs"})
    EXPECT_FALSE(valid_volume_name(bad)) << bad;
}

TEST_F(VolumesTest, CreateInspectList) {
  Volumes vols(root_);
  auto v = vols.create("data", {{"app", "web"}}, {});
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->name, "data");
  EXPECT_EQ(v->driver, "local");
  EXPECT_FALSE(v->anonymous);
  EXPECT_GT(v->created, 0);
  struct stat st;
  ASSERT_EQ(::stat(vols.data_dir("data").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(vols.data_dir("data"), root_ + "/volumes/data/_data");

  // Creating it again returns the existing one, labels untouched.
  auto again = vols.create("data", {{"other", "x"}}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->labels, "{\"app\":\"web\"}");
  EXPECT_EQ(again->created, v->created);

  // Another instance (another process) sees it.
  Volumes other(root_);
  auto got = other.inspect("data");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->labels, "{\"app\":\"web\"}");
  auto missing = other.inspect("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_EQ(missing.error().message(), "get nope: no such volume");

  ASSERT_TRUE(vols.create("another", {}, {}).ok());
  auto all = vols.list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "another");
  EXPECT_EQ((*all)[1].name, "data");
}

TEST_F(VolumesTest, AnonymousGetsRandomName) {
  Volumes vols(root_);
  auto a = vols.create("", {}, {});
  auto b = vols.create("", {}, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->name.size(), 64u);
  EXPECT_EQ(a->name.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a->name, b->name);
  EXPECT_TRUE(a->anonymous);
  EXPECT_EQ(a->labels, "{\"com.docker.volume.anonymous\":\"\"}");
  // A container's anonymous volume may be given a name by the engine.
  auto c = vols.create("ctr-anon", {}, {}, true);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->anonymous);
}

TEST_F(VolumesTest, Refusals) {
  Volumes vols(root_);
  auto bad = vols.create("a/b", {}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), EINVAL);
  EXPECT_NE(bad.error().message().find("\"a/b\" includes invalid characters for a local volume name"),
            std::string::npos);
  auto driver = vols.create("x1", {}, {}, false, "nfs");
  ASSERT_FALSE(driver.ok());
  EXPECT_NE(driver.error().message().find("plugin \"nfs\" not found"), std::string::npos);
  EXPECT_TRUE(vols.create("x2", {}, {}, false, "local").ok());

  auto opt = vols.create("x3", {}, {{"type", "tmpfs"}, {"device", "tmpfs"}});
  ASSERT_FALSE(opt.ok());
  EXPECT_EQ(opt.error().code(), ENOTSUP);
  EXPECT_NE(opt.error().message().find("not supported"), std::string::npos);
  auto unknown = vols.create("x4", {}, {{"size", "1g"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(), "create x4: invalid option: \"size\"");
  // Nothing was left behind by the refusals.
  EXPECT_EQ(vols.list()->size(), 1u);
  EXPECT_FALSE(fs::exists(root_ + "/volumes/x3"));
}

TEST_F(VolumesTest, Remove) {
  Volumes vols(root_);
  ASSERT_TRUE(vols.create("data", {}, {}).ok());
  ASSERT_TRUE(fs::write_file(vols.data_dir("data") + "/f", "hello").ok());

  auto busy = vols.remove("data", true, [](const std::string& n) { return n == "data"; });
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code(), EBUSY);
  EXPECT_EQ(busy.error().message(), "remove data: volume is in use");
  EXPECT_TRUE(fs::exists(vols.data_dir("data") + "/f"));

  ASSERT_TRUE(vols.remove("data", false, kUnused).ok());
  EXPECT_FALSE(fs::exists(root_ + "/volumes/data"));
  EXPECT_EQ(vols.inspect("data").error().code(), ENOENT);

  auto missing = vols.remove("data", false, kUnused);
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_EQ(missing.error().message(), "get data: no such volume");
  EXPECT_TRUE(vols.remove("data", true, kUnused).ok());  // -f: missing is fine

  // The store's events record the volume's life.
  auto db = state::Db::open(root_ + "/state.db");
  ASSERT_TRUE(db.ok());
  auto events = db->events(0, 0, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, "volume");
  EXPECT_EQ((*events)[0].action, "create");
  EXPECT_EQ((*events)[0].id, "data");
  EXPECT_EQ((*events)[0].attributes, "{\"driver\":\"local\"}");
  EXPECT_EQ((*events)[1].action, "destroy");
}

TEST_F(VolumesTest, Prune) {
  Volumes vols(root_);
  ASSERT_TRUE(vols.create("named", {}, {}).ok());
  ASSERT_TRUE(vols.create("named-used", {}, {}).ok());
  auto anon = vols.create("", {}, {});
  auto anon_used = vols.create("", {}, {});
  ASSERT_TRUE(anon.ok() && anon_used.ok());
  ASSERT_TRUE(fs::write_file(vols.data_dir(anon->name) + "/a", std::string(1000, 'x')).ok());
  ASSERT_TRUE(fs::mkdir_p(vols.data_dir(anon->name) + "/sub").ok());
  ASSERT_TRUE(fs::write_file(vols.data_dir(anon->name) + "/sub/b", std::string(234, 'y')).ok());
  ASSERT_EQ(::link((vols.data_dir(anon->name) + "/a").c_str(), (vols.data_dir(anon->name) + "/sub/a2").c_str()), 0);
  auto sz = vols.size(anon->name);
  ASSERT_TRUE(sz.ok());
  EXPECT_EQ(*sz, 1234u);  // the hard link counts once

  std::string used_anon = anon_used->name;
  Volumes::InUse in_use = [&](const std::string& n) { return n == used_anon || n == "named-used"; };
  uint64_t freed = 0;
  // Without --all: only unused anonymous volumes.
  auto pruned = vols.prune(false, in_use, &freed);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message();
  EXPECT_EQ(*pruned, std::vector<std::string>{anon->name});
  EXPECT_EQ(freed, 1234u);
  EXPECT_FALSE(fs::exists(root_ + "/volumes/" + anon->name));

  freed = 0;
  pruned = vols.prune(true, in_use, &freed);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, std::vector<std::string>{"named"});
  EXPECT_EQ(freed, 0u);
  auto left = vols.list();
  ASSERT_EQ(left->size(), 2u);
  EXPECT_TRUE(vols.inspect("named-used").ok());
  EXPECT_TRUE(vols.inspect(used_anon).ok());
}

TEST_F(VolumesTest, InspectJson) {
  Volumes vols(root_);
  auto v = vols.create("data", {{"b", "2"}, {"a", "1"}}, {});
  ASSERT_TRUE(v.ok());
  std::string text = vols.inspect_json(*v);
  auto j = json::parse(text);
  ASSERT_TRUE(j.ok()) << text;
  std::vector<std::string> keys;
  const char* k;
  json_t* val;
  json_object_foreach(j->get(), k, val) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options",
                                            "Scope"}));
  EXPECT_EQ(json::string_of(j->get(), "Driver"), "local");
  EXPECT_EQ(json::string_of(j->get(), "Name"), "data");
  EXPECT_EQ(json::string_of(j->get(), "Scope"), "local");
  EXPECT_EQ(json::string_of(j->get(), "Mountpoint"), root_ + "/volumes/data/_data");
  EXPECT_EQ(json::dump(json_object_get(j->get(), "Labels")), "{\"a\":\"1\",\"b\":\"2\"}");
  EXPECT_EQ(json::dump(json_object_get(j->get(), "Options")), "{}");
  std::string created = json::string_of(j->get(), "CreatedAt");
  ASSERT_GE(created.size(), 20u) << created;
  EXPECT_EQ(created[4], '-');
  EXPECT_EQ(created[10], 'T');
  EXPECT_EQ(created.find('.'), std::string::npos);  // seconds, as Go's RFC3339

  state::VolumeRow fixed;
  fixed.name = "x";
  fixed.created = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z
  setenv("TZ", "UTC", 1);
  tzset();
  auto fj = json::parse(vols.inspect_json(fixed));
  EXPECT_EQ(json::string_of(fj->get(), "CreatedAt"), "2023-11-14T22:13:20Z");
  setenv("TZ", "UTC-2", 1);  // POSIX: two hours east
  tzset();
  fj = json::parse(vols.inspect_json(fixed));
  EXPECT_EQ(json::string_of(fj->get(), "CreatedAt"), "2023-11-15T00:13:20+02:00");
  unsetenv("TZ");
  tzset();
}

}  // namespace
}  // namespace hutch::engine
