#include "monitor/isolate.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
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

TEST(StartInChild, RunsWhileTheCallerGoesOn) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  // The child waits for a byte that the caller writes only after
  // start_in_child returned: the two run at once.
  auto c = start_in_child([&]() -> Result<std::string> {
    char b = 0;
    if (::read(p[0], &b, 1) != 1) return Error::plain(EIO, "no byte");
    return std::string(1, b);
  });
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->pending());
  ASSERT_EQ(::write(p[1], "x", 1), 1);
  auto r = c->join();
  EXPECT_FALSE(c->pending());
  ::close(p[0]);
  ::close(p[1]);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "x");
}

TEST(StartInChild, JoinsAfterSomeoneElseReaped) {
  // A subreaper's waitpid(-1) may reap the child first; the result still
  // arrives through the pipe.
  auto c = start_in_child([]() -> Result<std::string> { return std::string("done"); });
  ASSERT_TRUE(c.ok());
  int st = 0;
  while (::waitpid(-1, &st, 0) < 0 && errno == EINTR) {
  }
  auto r = c->join();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "done");
}

TEST(StartInChild, DestructorJoins) {
  {
    auto c = start_in_child([]() -> Result<std::string> { return std::string(); });
    ASSERT_TRUE(c.ok());
  }
  // Nothing left to reap.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace hutch::monitor
