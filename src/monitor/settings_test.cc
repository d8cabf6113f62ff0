#include "monitor/settings.h"

#include <gtest/gtest.h>

namespace hutch::monitor {
namespace {

Settings sample() {
  Settings s;
  s.id = "abc123";
  s.name = "web";
  s.image = "busybox:latest";
  s.db = "/var/lib/hutch/state.db";
  s.bundle = "/var/lib/hutch/containers/abc123";
  s.rundir = "/run/hutch/abc123";
  s.runtime = "/usr/bin/hutchrt";
  s.runtime_root = "/run/hutchrt";
  s.runtime_args = {"--systemd-cgroup"};
  s.rootfs.lower = {"/l/2", "/l/1"};
  s.rootfs.upper = "/u";
  s.rootfs.work = "/w";
  s.rootfs.target = "/var/lib/hutch/containers/abc123/rootfs";
  s.rootfs.volatile_upper = true;
  s.terminal = true;
  s.stdin_open = true;
  s.log_path = "/var/lib/hutch/containers/abc123/ctr.log";
  s.log_max_size = 1 << 20;
  s.log_max_file = 3;
  s.log_rate = 4096;
  s.restart = "on-failure";
  s.restart_max = 2;
  s.has_healthcheck = true;
  s.health.test = {"/bin/sh", "-c", "true"};
  s.health.interval_ns = 1'000'000'000;
  s.health.timeout_ns = 2'000'000'000;
  s.health.start_period_ns = 3'000'000'000;
  s.health.retries = 4;
  s.health.on_failure = "restart";
  s.auto_remove = true;
  s.remove_dirs = {"/v/1", "/v/2"};
  s.stop_signal = "SIGQUIT";
  s.stop_timeout = 7;
  return s;
}

TEST(Settings, RoundTrip) {
  Settings s = sample();
  auto back = parse_settings(to_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(to_json(*back), to_json(s));
  EXPECT_EQ(back->rootfs.lower, s.rootfs.lower);
  EXPECT_TRUE(back->rootfs.volatile_upper);
  EXPECT_EQ(back->health.test, s.health.test);
  EXPECT_EQ(back->health.start_period_ns, 3'000'000'000);
  EXPECT_EQ(back->log_max_size, 1u << 20);
  EXPECT_TRUE(back->terminal);
  EXPECT_EQ(back->remove_dirs.size(), 2u);
  EXPECT_EQ(back->stop_timeout, 7);
}

TEST(Settings, DefaultsForMissingMembers) {
  auto s = parse_settings(R"({"id":"x","bundle":"/b","rundir":"/r","runtime":"/rt"})");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->restart, "no");
  EXPECT_EQ(s->log_max_file, 1);
  EXPECT_FALSE(s->has_healthcheck);
  EXPECT_EQ(s->health.interval_ns, 30'000'000'000);
  EXPECT_EQ(s->stop_signal, "SIGTERM");
}

TEST(Settings, Errors) {
  EXPECT_FALSE(parse_settings("[]").ok());
  EXPECT_FALSE(parse_settings("{").ok());
  EXPECT_FALSE(parse_settings(R"({"bundle":"/b","rundir":"/r","runtime":"/rt"})").ok());
  auto bad = parse_settings(R"({"id":"x","bundle":"/b","rundir":"/r","runtime":"/rt","terminal":"yes"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("\"terminal\" must be a boolean"), std::string::npos);
  bad = parse_settings(R"({"id":"x","bundle":"/b","rundir":"/r","runtime":"/rt","restart":"sometimes"})");
  ASSERT_FALSE(bad.ok());
  bad = parse_settings(R"({"id":"x","bundle":"/b","rundir":"/r","runtime":"/rt","health":{"retries":"3"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("health.retries"), std::string::npos);
  bad = parse_settings(R"({"id":"x","bundle":"/b","rundir":"/r","runtime":"/rt","has_healthcheck":true})");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace hutch::monitor
