#include "engine/pull.h"

#include <gtest/gtest.h>

namespace hutch::engine {
namespace {

TEST(ParsePlatform, OsArchVariant) {
  auto p = parse_platform("linux/arm64/v8");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->os, "linux");
  EXPECT_EQ(p->architecture, "arm64");
  EXPECT_EQ(p->variant, "v8");
  auto q = parse_platform("linux/amd64");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->variant, "");
}

TEST(ParsePlatform, RefusesMalformed) {
  for (const char* bad : {"", "linux", "/amd64", "linux/", "a/b/c/d"}) {
    auto p = parse_platform(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error().message().find("os/arch"), std::string::npos);
  }
}

}  // namespace
}  // namespace hutch::engine
