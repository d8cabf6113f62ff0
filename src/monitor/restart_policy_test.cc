#include "monitor/restart_policy.h"

#include <gtest/gtest.h>

namespace hutch::monitor {
namespace {

TEST(RestartPolicy, Docker) {
  EXPECT_FALSE(should_restart("no", 0, 1, 0, false));
  EXPECT_TRUE(should_restart("always", 0, 0, 100, false));
  EXPECT_FALSE(should_restart("always", 0, 1, 0, true));
  EXPECT_TRUE(should_restart("unless-stopped", 0, 0, 0, false));
  EXPECT_FALSE(should_restart("unless-stopped", 0, 0, 0, true));
  EXPECT_FALSE(should_restart("on-failure", 0, 0, 0, false));
  EXPECT_TRUE(should_restart("on-failure", 0, 1, 1000, false));
  // on-failure:2 restarts twice.
  EXPECT_TRUE(should_restart("on-failure", 2, 1, 0, false));
  EXPECT_TRUE(should_restart("on-failure", 2, 1, 1, false));
  EXPECT_FALSE(should_restart("on-failure", 2, 1, 2, false));
  EXPECT_FALSE(should_restart("on-failure", 2, 137, 0, true));
}

TEST(RestartPolicy, Backoff) {
  EXPECT_EQ(next_backoff_ns(0, 0), 100'000'000);
  EXPECT_EQ(next_backoff_ns(100'000'000, 1'000'000'000), 200'000'000);
  EXPECT_EQ(next_backoff_ns(200'000'000, 0), 400'000'000);
  int64_t d = 0;
  for (int i = 0; i < 20; ++i) d = next_backoff_ns(d, 0);
  EXPECT_EQ(d, kMaxBackoffNs);
  EXPECT_EQ(next_backoff_ns(kMaxBackoffNs, 10'000'000'000), 100'000'000);
}

}  // namespace
}  // namespace hutch::monitor
