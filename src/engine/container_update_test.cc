#include "engine/container_update.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace hutch::engine {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

json::Ptr parse(const char* text) {
  auto r = json::parse(text);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(*r) : json::Ptr(json_object());
}

std::string dump(json_t* j) {
  json::Ptr p(j);
  return json::dump(p.get());
}

TEST(UpdateLimits, FromHostConfigWithDockersSwapDefault) {
  auto hc = parse(R"({"Memory": 67108864, "MemorySwap": 0, "NanoCpus": 1500000000, "CpuShares": 512,
                      "CpusetCpus": "0", "PidsLimit": 50, "BlkioWeight": 300})");
  Limits l = limits_of(hc.get());
  EXPECT_EQ(l.memory, 64 * kMiB);
  EXPECT_EQ(l.memory_swap, 128 * kMiB);
  EXPECT_EQ(l.nano_cpus, 1'500'000'000);
  EXPECT_EQ(l.cpu_shares, 512u);
  EXPECT_EQ(l.cpuset_cpus, "0");
  EXPECT_EQ(l.pids_limit, 50);
  EXPECT_EQ(l.blkio_weight, 300);
  EXPECT_EQ(limits_of(nullptr).memory_swap, 0);
}

TEST(UpdateLimits, DockersMemoryRules) {
  Limits cur;
  cur.memory = 64 * kMiB;
  cur.memory_swap = 128 * kMiB;
  UpdateOptions o;
  o.memory = 128 * kMiB;
  auto m = merge_limits(cur, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->memory, 128 * kMiB);
  EXPECT_EQ(m->memory_swap, 128 * kMiB);

  o.memory = 256 * kMiB;  // above the set memory+swap
  auto bad = merge_limits(cur, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("update the memoryswap at the same time"), std::string::npos);
  o.memory_swap = -1;
  m = merge_limits(cur, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->memory_swap, -1);

  UpdateOptions tiny;
  tiny.memory = 1024;
  EXPECT_EQ(merge_limits(cur, tiny).error().message(), "Minimum memory limit allowed is 6MB");
  UpdateOptions low_swap;
  low_swap.memory_swap = 32 * kMiB;
  EXPECT_FALSE(merge_limits(cur, low_swap).ok());
  UpdateOptions res;
  res.memory_reservation = 100 * kMiB;
  EXPECT_NE(merge_limits(cur, res).error().message().find("memory reservation"), std::string::npos);
  UpdateOptions swap_only;
  swap_only.memory_swap = 64 * kMiB;
  EXPECT_FALSE(merge_limits(Limits{}, swap_only).ok());  // swap needs a memory limit

  Limits none;  // no limit before: no swap default to trip over
  UpdateOptions big;
  big.memory = 1024 * kMiB;
  m = merge_limits(none, big);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->memory_swap, 0);
}

TEST(UpdateLimits, CpuPidsBlkio) {
  UpdateOptions o;
  o.cpus = std::pair<int64_t, int64_t>{50000, 100000};
  o.pids_limit = -1;
  o.blkio_weight = 5;
  EXPECT_EQ(merge_limits(Limits{}, o).error().message(), "Range of blkio weight is from 10 to 1000");
  o.blkio_weight = 500;
  auto m = merge_limits(Limits{}, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->nano_cpus, 500'000'000);
  EXPECT_EQ(m->pids_limit, 0);
  EXPECT_EQ(m->blkio_weight, 500);
}

TEST(UpdateResources, OnlyTheTouchedCategories) {
  Limits m;
  m.memory = 128 * kMiB;
  m.memory_swap = 256 * kMiB;
  m.cpu_shares = 512;
  m.nano_cpus = 1'500'000'000;
  m.cpuset_cpus = "0-1";
  m.pids_limit = 20;
  UpdateOptions o;
  o.memory = m.memory;
  EXPECT_EQ(dump(update_resources(m, o)), R"({"memory":{"limit":134217728,"swap":268435456}})");
  UpdateOptions c;
  c.cpus = std::pair<int64_t, int64_t>{150000, 100000};
  c.cpu_shares = 512;
  EXPECT_EQ(dump(update_resources(m, c)), R"({"cpu":{"shares":512,"quota":150000,"period":100000}})");
  UpdateOptions off;
  off.cpus = std::pair<int64_t, int64_t>{0, 0};
  off.pids_limit = 0;
  Limits unl;
  EXPECT_EQ(dump(update_resources(unl, off)), R"({"cpu":{"quota":-1,"period":100000},"pids":{"limit":-1}})");
  UpdateOptions p;
  p.pids_limit = 20;
  p.cpuset_cpus = "0-1";
  EXPECT_EQ(dump(update_resources(m, p)), R"({"cpu":{"cpus":"0-1"},"pids":{"limit":20}})");
  UpdateOptions r;
  r.restart = std::pair<std::string, int>{"always", 0};
  EXPECT_FALSE(r.has_resources());
  EXPECT_EQ(dump(update_resources(m, r)), "{}");
}

TEST(UpdateStore, SpecAndHostConfig) {
  auto spec = parse(R"({"linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}],
                        "memory": {"limit": 67108864, "swap": 134217728}, "pids": {"limit": 10}}}})");
  Limits m;
  m.memory = 128 * kMiB;
  m.memory_swap = -1;
  m.nano_cpus = 0;
  UpdateOptions o;
  o.memory = m.memory;
  o.memory_swap = -1;
  o.pids_limit = 0;
  o.cpus = std::pair<int64_t, int64_t>{0, 0};
  store_in_spec(spec.get(), m, o);
  EXPECT_EQ(json::dump(json_object_get(json_object_get(spec.get(), "linux"), "resources")),
            R"({"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":134217728,"swap":-1},"cpu":{}})");
  auto hc = parse(R"({"Memory": 67108864, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}})");
  o.restart = std::pair<std::string, int>{"on-failure", 3};
  store_in_host_config(hc.get(), m, o);
  EXPECT_EQ(json::dump(hc.get()),
            R"({"Memory":134217728,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},"MemorySwap":-1,)"
            R"("MemoryReservation":0,"NanoCpus":0,"PidsLimit":0})");
  auto bare = parse("{}");
  UpdateOptions s;
  s.cpu_shares = 256;
  m.cpu_shares = 256;
  store_in_spec(bare.get(), m, s);
  EXPECT_EQ(json::dump(bare.get()), R"({"linux":{"resources":{"cpu":{"shares":256}}}})");
}

}  // namespace
}  // namespace hutch::engine
