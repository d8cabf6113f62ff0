#include "engine/host_devices.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace hutch::engine {
namespace {

TEST(HostDevices, Stat) {
  auto d = stat_host_device("/dev/null");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->type, "c");
  EXPECT_EQ(d->major, 1);
  EXPECT_EQ(d->minor, 3);
  EXPECT_EQ(d->file_mode, 0666u);
  EXPECT_EQ(stat_host_device("/etc/passwd").error().code(), EINVAL);
  EXPECT_EQ(stat_host_device("/dev/hutch-no-such-device").error().code(), ENOENT);
}

TEST(HostDevices, List) {
  auto all = host_devices();
  auto has = [&](const std::string& p) {
    return std::any_of(all.begin(), all.end(), [&](const auto& d) { return d.first == p; });
  };
  EXPECT_TRUE(has("/dev/null"));
  EXPECT_TRUE(has("/dev/zero"));
  EXPECT_FALSE(has("/dev/console"));
  for (const auto& [path, info] : all) {
    EXPECT_NE(path.rfind("/dev/pts/", 0), 0u) << path;
    EXPECT_TRUE(info.type == "c" || info.type == "b") << path;
  }
  EXPECT_TRUE(host_devices("/nonexistent").empty());
}

TEST(HostDevices, DefaultNofile) {
  auto [soft, hard] = default_nofile();
  EXPECT_EQ(soft, hard);
  EXPECT_GE(hard, 1024u);
  EXPECT_LE(hard, 1048576u);
}

}  // namespace
}  // namespace hutch::engine
