// parse_signal from lifecycle.cc (the rest of the lifecycle needs root and
// runs in the root and e2e suites).
#include <gtest/gtest.h>
#include <signal.h>

#include "runtime/container.h"

namespace hutch::runtime {
namespace {

TEST(SavedSpec, MayHaveHooks) {
  EXPECT_FALSE(spec_text_may_have_hooks(R"({"ociVersion":"1.0.2","process":{"args":["true"]}})"));
  EXPECT_TRUE(spec_text_may_have_hooks(R"({"hooks":{"poststart":[{"path":"/bin/true"}]}})"));
  // The same key spelled with an escape.
  EXPECT_TRUE(spec_text_may_have_hooks(R"({"\u0068ooks":{}})"));
  // A key elsewhere named "hooks" is a "maybe" too (the spec is parsed then).
  EXPECT_TRUE(spec_text_may_have_hooks(R"({"annotations":{"hooks":"x"}})"));
}

TEST(ParseSignal, Names) {
  EXPECT_EQ(parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(parse_signal("SIGKILL"), SIGKILL);
  EXPECT_EQ(parse_signal("sigterm"), SIGTERM);
  EXPECT_EQ(parse_signal("term"), SIGTERM);
  EXPECT_EQ(parse_signal("HUP"), SIGHUP);
  EXPECT_EQ(parse_signal("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(parse_signal("WINCH"), SIGWINCH);
  EXPECT_EQ(parse_signal("SIGCHLD"), SIGCHLD);
  EXPECT_EQ(parse_signal("SIGSYS"), SIGSYS);
  EXPECT_EQ(parse_signal("IOT"), SIGABRT);
  EXPECT_EQ(parse_signal("ABRT"), SIGABRT);
}

TEST(ParseSignal, Numbers) {
  EXPECT_EQ(parse_signal("9"), 9);
  EXPECT_EQ(parse_signal("1"), 1);
  EXPECT_EQ(parse_signal("64"), 64);
  EXPECT_EQ(parse_signal("0"), std::nullopt);
  EXPECT_EQ(parse_signal("65"), std::nullopt);
  EXPECT_EQ(parse_signal("-9"), std::nullopt);
  EXPECT_EQ(parse_signal("99999999999999999999"), std::nullopt);
}

TEST(ParseSignal, RealTime) {
  EXPECT_EQ(parse_signal("RTMIN"), SIGRTMIN);
  EXPECT_EQ(parse_signal("SIGRTMAX"), SIGRTMAX);
  EXPECT_EQ(parse_signal("RTMAX-2"), SIGRTMAX - 2);
  EXPECT_EQ(parse_signal("SIGRTMAX-0"), SIGRTMAX);
  EXPECT_EQ(parse_signal("RTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(parse_signal("rtmin+1"), SIGRTMIN + 1);
  EXPECT_EQ(parse_signal("RTMIN-1"), std::nullopt);
  EXPECT_EQ(parse_signal("RTMAX+1"), std::nullopt);
  EXPECT_EQ(parse_signal("RTMIN+x"), std::nullopt);
  EXPECT_EQ(parse_signal("RTMIN+100"), std::nullopt);
  EXPECT_EQ(parse_signal("RTMIN+"), std::nullopt);
  EXPECT_EQ(parse_signal("RTMIN+-1"), std::nullopt);
}

TEST(ParseSignal, Invalid) {
  for (const char* s : {"", "SIG", "FOO", "SIGFOO", "KILL9", " KILL", "9x", "SIG9"})
    EXPECT_EQ(parse_signal(s), std::nullopt) << '"' << s << '"';
}

}  // namespace
}  // namespace hutch::runtime
