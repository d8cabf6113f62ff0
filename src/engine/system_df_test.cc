#include "engine/system_df.h"

#include <gtest/gtest.h>

namespace hutch::engine {
namespace {

TEST(SystemDf, SharedLayersCountOnce) {
  std::map<std::string, uint64_t> sizes = {{"base", 1000}, {"app", 200}, {"other", 30}, {"solo", 5}};
  auto s = layer_sharing({{"base", "app"}, {"base", "other"}, {"solo"}, {"base", "app"}}, sizes);
  EXPECT_EQ(s.total, 1235u);
  EXPECT_EQ(s.shared, (std::vector<uint64_t>{1200, 1000, 0, 1200}));
}

TEST(SystemDf, Empty) {
  auto s = layer_sharing({}, {});
  EXPECT_EQ(s.total, 0u);
  EXPECT_TRUE(s.shared.empty());
  s = layer_sharing({{"missing", "missing"}}, {});
  EXPECT_EQ(s.shared, (std::vector<uint64_t>{0}));
}

}  // namespace
}  // namespace hutch::engine
