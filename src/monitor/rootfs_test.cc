#include "monitor/rootfs.h"

#include <gtest/gtest.h>

#include "monitor/health.h"

namespace hutch::monitor {
namespace {

TEST(Rootfs, OverlayOptions) {
  OverlayRootfs r;
  r.lower = {"/s/top", "/s/a:b", "/s/c,d"};
  r.upper = "/u";
  r.work = "/w";
  EXPECT_EQ(overlay_options(r), "lowerdir=/s/top:/s/a\\:b:/s/c\\,d,upperdir=/u,workdir=/w");
  r.volatile_upper = true;
  EXPECT_EQ(overlay_options(r), "lowerdir=/s/top:/s/a\\:b:/s/c\\,d,upperdir=/u,workdir=/w,volatile");
}

TEST(Rootfs, MountPoint) {
  EXPECT_TRUE(is_mount_point("/"));
  EXPECT_TRUE(is_mount_point("/proc"));
  EXPECT_FALSE(is_mount_point("/proc/self"));
  EXPECT_FALSE(is_mount_point("/nonexistent-hutch-test"));
}

TEST(Health, GoDuration) {
  EXPECT_EQ(go_duration(30'000'000'000), "30s");
  EXPECT_EQ(go_duration(90'000'000'000), "1m30s");
  EXPECT_EQ(go_duration(500'000'000), "500ms");
  EXPECT_EQ(go_duration(1'500'000'000), "1.5s");
}

}  // namespace
}  // namespace hutch::monitor
