#include "engine/events.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include "base/json.h"

namespace hutch::engine {
namespace {

constexpr int64_t kS = 1'000'000'000;

// Runs the test body in a fixed zone and puts TZ back after.
class InZone {
 public:
  explicit InZone(const char* tz) {
    const char* old = ::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~InZone() {
    if (had_) ::setenv("TZ", old_.c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(EventTime, DockersForms) {
  InZone z("UTC");
  const int64_t now = 1'700'000'000 * kS;
  EXPECT_EQ(*parse_timestamp("10m", now), now - 600 * kS);
  EXPECT_EQ(*parse_timestamp("1h30m", now), now - 5400 * kS);
  EXPECT_EQ(*parse_timestamp("-5s", now), now + 5 * kS);
  EXPECT_EQ(*parse_timestamp("1700000000", now), 1'700'000'000 * kS);
  EXPECT_EQ(*parse_timestamp("1700000000.5", now), 1'700'000'000 * kS + 500'000'000);
  EXPECT_EQ(*parse_timestamp("0", now), 0);
  EXPECT_EQ(*parse_timestamp("2023-11-14T22:13:20Z", now), 1'700'000'000 * kS);
  EXPECT_EQ(*parse_timestamp("2023-11-14T23:13:20+01:00", now), 1'700'000'000 * kS);
  EXPECT_EQ(*parse_timestamp("2023-11-14T22:13:20.123456789Z", now), 1'700'000'000 * kS + 123'456'789);
  EXPECT_EQ(*parse_timestamp("2023-11-14", now), 1'699'920'000 * kS);
  EXPECT_EQ(*parse_timestamp("2023-11-14T22", now), (1'699'920'000 + 22 * 3600) * kS);
  EXPECT_EQ(*parse_timestamp("2023-11-14T22:13", now), (1'700'000'000 - 20) * kS);
  for (const char* bad : {"", "yesterday", "10x", "2023-13-01", "2023-11-14T", "2023-11-14 22:13", "12.x"})
    EXPECT_FALSE(parse_timestamp(bad, now).ok()) << bad;
}

TEST(EventTime, LocalWithoutZone) {
  InZone z("CET-1");
  EXPECT_EQ(*parse_timestamp("2023-11-14T23:13:20", 0), 1'700'000'000 * kS);
  EXPECT_EQ(*parse_timestamp("2023-11-14T22:13:20Z", 0), 1'700'000'000 * kS);
}

state::EventRow ev(const char* type, const char* action, const char* id, const char* attrs) {
  state::EventRow e;
  e.seq = 1;
  e.time = 1'700'000'000 * kS + 123'456'789;
  e.type = type;
  e.action = action;
  e.id = id;
  e.attributes = attrs;
  return e;
}

TEST(EventFilter, KeysAndOr) {
  auto start = ev("container", "start", "abcdef0123", R"({"name":"web","image":"busybox","tier":"front"})");
  auto health = ev("container", "health_status: healthy", "abcdef0123", R"({"name":"web","image":"busybox"})");
  auto vol = ev("volume", "create", "data", R"({"driver":"local"})");
  auto f = [](std::vector<std::string> terms) {
    auto r = EventFilter::parse(terms);
    EXPECT_TRUE(r.ok());
    return *r;
  };
  EXPECT_TRUE(f({}).matches(vol));
  EXPECT_TRUE(f({"container=web"}).matches(start));
  EXPECT_TRUE(f({"container=abcdef"}).matches(start));
  EXPECT_FALSE(f({"container=db"}).matches(start));
  EXPECT_TRUE(f({"container=db", "container=web"}).matches(start));   // same key: or
  EXPECT_FALSE(f({"container=web", "event=stop"}).matches(start));    // keys: and
  EXPECT_TRUE(f({"event=health_status"}).matches(health));
  EXPECT_FALSE(f({"event=health"}).matches(health));
  EXPECT_TRUE(f({"type=volume"}).matches(vol));
  EXPECT_FALSE(f({"type=volume"}).matches(start));
  EXPECT_TRUE(f({"volume=data"}).matches(vol));
  EXPECT_TRUE(f({"image=busybox"}).matches(start));
  EXPECT_TRUE(f({"label=tier"}).matches(start));
  EXPECT_TRUE(f({"label=tier=front"}).matches(start));
  EXPECT_FALSE(f({"label=tier=back"}).matches(start));
  EXPECT_FALSE(EventFilter::parse({"nope=1"}).ok());
  EXPECT_FALSE(EventFilter::parse({"container"}).ok());
}

TEST(EventObject, DockersShape) {
  json::Ptr o(event_object(ev("container", "start", "abc", R"({"name":"web","image":"busybox"})")));
  EXPECT_EQ(json::dump(o.get()),
            R"({"status":"start","id":"abc","from":"busybox","Type":"container","Action":"start",)"
            R"("Actor":{"ID":"abc","Attributes":{"name":"web","image":"busybox"}},"scope":"local",)"
            R"("time":1700000000,"timeNano":1700000000123456789})");
  json::Ptr v(event_object(ev("volume", "create", "data", "{}")));
  EXPECT_EQ(json_object_get(v.get(), "status"), nullptr);
}

TEST(EventLine, DockersDefault) {
  {
    InZone z("UTC");
    EXPECT_EQ(event_line(ev("container", "start", "abc", R"({"name":"web","image":"busybox"})")),
              "2023-11-14T22:13:20.123456789Z container start abc (image=busybox, name=web)");
    EXPECT_EQ(event_line(ev("volume", "create", "data", "{}")), "2023-11-14T22:13:20.123456789Z volume create data");
  }
  InZone z("CET-1");
  EXPECT_EQ(event_line(ev("container", "die", "abc", R"({"exitCode":"0"})")),
            "2023-11-14T23:13:20.123456789+01:00 container die abc (exitCode=0)");
}

}  // namespace
}  // namespace hutch::engine
