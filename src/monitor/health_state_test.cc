#include "monitor/health_state.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace hutch::monitor {
namespace {

constexpr int64_t kSec = 1'000'000'000;

ProbeResult probe(int64_t at, int code, std::string out = "") {
  ProbeResult r;
  r.start_ns = at;
  r.end_ns = at + 1000;
  r.exit_code = code;
  r.output = std::move(out);
  return r;
}

TEST(Health, SuccessMakesHealthy) {
  HealthState h;
  h = apply_probe(h, probe(100 * kSec, 0, "ok\n"), 99 * kSec, 0, 3);
  EXPECT_EQ(h.status, "healthy");
  EXPECT_EQ(h.failing_streak, 0);
}

TEST(Health, RetriesFailuresMakeUnhealthy) {
  HealthState h;
  for (int i = 0; i < 2; ++i) h = apply_probe(h, probe((10 + i) * kSec, 1), 0, 0, 3);
  EXPECT_EQ(h.status, "starting");
  EXPECT_EQ(h.failing_streak, 2);
  h = apply_probe(h, probe(12 * kSec, 1), 0, 0, 3);
  EXPECT_EQ(h.status, "unhealthy");
  h = apply_probe(h, probe(13 * kSec, 0), 0, 0, 3);
  EXPECT_EQ(h.status, "healthy");
  EXPECT_EQ(h.failing_streak, 0);
}

TEST(Health, StartPeriodFailuresDoNotCount) {
  HealthState h;
  h = apply_probe(h, probe(5 * kSec, 1), 0, 10 * kSec, 1);
  EXPECT_EQ(h.status, "starting");
  EXPECT_EQ(h.failing_streak, 0);
  h = apply_probe(h, probe(11 * kSec, 1), 0, 10 * kSec, 1);
  EXPECT_EQ(h.status, "unhealthy");
  // Once healthy, failures count even within the start period.
  HealthState g;
  g = apply_probe(g, probe(1 * kSec, 0), 0, 10 * kSec, 1);
  g = apply_probe(g, probe(2 * kSec, 1), 0, 10 * kSec, 1);
  EXPECT_EQ(g.status, "unhealthy");
}

TEST(Health, LogKeepsFiveDockerShaped) {
  std::string log = "[]";
  for (int i = 0; i < 7; ++i) log = append_health_log(log, probe((i + 1) * kSec, i, "out" + std::to_string(i)));
  auto j = json::parse(log);
  ASSERT_TRUE(j.ok());
  ASSERT_EQ(json_array_size(j->get()), 5u);
  json_t* first = json_array_get(j->get(), 0);
  EXPECT_EQ(json::string_of(first, "Output"), "out2");
  EXPECT_EQ(json_integer_value(json_object_get(first, "ExitCode")), 2);
  EXPECT_EQ(json::string_of(first, "Start"), "1970-01-01T00:00:03.000000000Z");
  EXPECT_FALSE(json::string_of(first, "End").empty());
}

TEST(Health, OutputCappedAndMadeUtf8) {
  std::string big(10000, 'a');
  auto j = json::parse(append_health_log("[]", probe(kSec, 0, big)));
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(json::string_of(json_array_get(j->get(), 0), "Output").size(), kHealthOutputMax);
  j = json::parse(append_health_log("garbage", probe(kSec, 0, "a\xff" "b\xc3\xa9")));
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(json::string_of(json_array_get(j->get(), 0), "Output"), "a\xEF\xBF\xBD" "b\xc3\xa9");
}

}  // namespace
}  // namespace hutch::monitor
