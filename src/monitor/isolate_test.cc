#include "monitor/isolate.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace hutch::monitor {
namespace {

TEST(InChild, ReturnsValueFromAnotherProcess) {
  pid_t self = ::getpid();
  auto r = in_child([&]() -> Result<std::string> { return std::to_string(::getpid() != self); });
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "1");
  std::string big(100000, 'z');
  r = in_child([&]() -> Result<std::string> { return big; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, big);
}

TEST(InChild, CarriesErrors) {
  auto r = in_child([]() -> Result<std::string> { return Error::plain(ENOENT, "no such container: x"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "no such container: x");
}

TEST(InChild, ChangesStayInTheChild) {
  int x = 1;
  auto r = in_child([&]() -> Result<std::string> {
    x = 2;
    return std::string();
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(x, 1);
}

}  // namespace
}  // namespace hutch::monitor
