#include "cgroup/internal/convert.h"

#include <gtest/gtest.h>

namespace hutch::cgroup {
namespace {

TEST(Convert, PidsMax) {
  EXPECT_EQ(pids_max(-1), "max");
  EXPECT_EQ(pids_max(0), "max");
  EXPECT_EQ(pids_max(64), "64");
}

TEST(Convert, SharesToWeightMatchesRunc) {
  EXPECT_EQ(shares_to_weight(0), 0u);
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(1024), 39u);
  EXPECT_EQ(shares_to_weight(262144), 10000u);
}

TEST(Convert, BlkioToIoWeight) {
  EXPECT_EQ(blkio_to_io_weight(0), 0u);
  EXPECT_EQ(blkio_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_to_io_weight(500), 4950u);
  EXPECT_EQ(blkio_to_io_weight(1000), 10000u);
}

TEST(Convert, SwapToV2) {
  using O = std::optional<int64_t>;
  EXPECT_EQ(*swap_to_v2(O(), O()), O());
  EXPECT_EQ(*swap_to_v2(O(), O(1000)), O());
  EXPECT_EQ(*swap_to_v2(O(), O(-1)), O(-1));
  EXPECT_EQ(*swap_to_v2(O(-1), O(1000)), O(-1));
  EXPECT_EQ(*swap_to_v2(O(3000), O(1000)), O(2000));
  EXPECT_EQ(*swap_to_v2(O(1000), O(1000)), O(0));
  EXPECT_FALSE(swap_to_v2(O(500), O(1000)).ok());
  EXPECT_FALSE(swap_to_v2(O(500), O()).ok());
  EXPECT_FALSE(swap_to_v2(O(500), O(-1)).ok());
}

TEST(Convert, V2Limit) {
  EXPECT_EQ(v2_limit(-1), "max");
  EXPECT_EQ(v2_limit(4096), "4096");
}

TEST(Convert, RdmaLine) {
  EXPECT_EQ(rdma_line("mlx4_0", {2, 2000}), "mlx4_0 hca_handle=2 hca_object=2000");
  EXPECT_EQ(rdma_line("mlx4_0", {std::nullopt, 10}), "mlx4_0 hca_object=10");
}

TEST(Convert, PageSize) {
  EXPECT_TRUE(check_page_size("2MB").ok());
  EXPECT_FALSE(check_page_size("../x").ok());
  EXPECT_FALSE(check_page_size("").ok());
}

TEST(Convert, DeviceRules) {
  oci::DeviceCgroup r;
  EXPECT_TRUE(check_device_rule(r, 0).ok());
  EXPECT_EQ(device_type(r), 'a');
  EXPECT_EQ(device_access(r), "rwm");
  EXPECT_EQ(device_major(r), -1);
  r.type = "x";
  auto st = check_device_rule(r, 3);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("devices[3].type"), std::string::npos);
  r.type = "c";
  r.access = "rwx";
  EXPECT_FALSE(check_device_rule(r, 0).ok());
  r.access = "rw";
  r.major = -2;
  EXPECT_FALSE(check_device_rule(r, 0).ok());
}

}  // namespace
}  // namespace hutch::cgroup
