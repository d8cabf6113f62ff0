#include "base/args.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/json.h"

namespace hutch {
namespace {

const std::vector<OptSpec> kSpecs = {
    {"bundle", "b", true, false, "path to the root of the bundle directory"},
    {"console-socket", "", true, false, "path to an AF_UNIX socket"},
    {"pid-file", "", true, false, "file to write the process id to"},
    {"detach", "d", false, false, "detach from the container's process"},
    {"env", "e", true, true, "set environment variables"},
    {"no-pivot", "", false, false, "do not use pivot root"},
};

Parsed parse(const std::vector<std::string>& argv, size_t start = 2, bool stop = true) {
  auto r = parse_args(argv, start, kSpecs, stop);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : Parsed{};
}

std::string parse_error(const std::vector<std::string>& argv) {
  auto r = parse_args(argv, 2, kSpecs);
  return r.ok() ? "no error" : r.error().innermost();
}

TEST(ParseArgs, ValueForms) {
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"hutchrt", "create", "--bundle=/b", "c1"},
           {"hutchrt", "create", "--bundle", "/b", "c1"},
           {"hutchrt", "create", "-bundle", "/b", "c1"},
           {"hutchrt", "create", "-bundle=/b", "c1"},
           {"hutchrt", "create", "-b", "/b", "c1"},
           {"hutchrt", "create", "-b=/b", "c1"},
           {"hutchrt", "create", "--b", "/b", "c1"}}) {
    Parsed p = parse(argv);
    EXPECT_EQ(p.get("bundle"), "/b") << argv[2];
    EXPECT_EQ(p.positional, std::vector<std::string>{"c1"}) << argv[2];
  }
}

TEST(ParseArgs, ValueMayBeEmptyOrContainEqualsOrLookLikeAFlag) {
  Parsed p = parse({"x", "run", "--bundle=", "--pid-file=a=b", "--console-socket", "--detach", "id"});
  EXPECT_TRUE(p.has("bundle"));
  EXPECT_EQ(p.get("bundle", "default"), "");
  EXPECT_EQ(p.get("pid-file"), "a=b");
  EXPECT_EQ(p.get("console-socket"), "--detach");  // the next word is the value
  EXPECT_FALSE(p.has("detach"));
  EXPECT_EQ(p.positional, std::vector<std::string>{"id"});
}

TEST(ParseArgs, BoolFlags) {
  Parsed p = parse({"x", "run", "-d", "--no-pivot", "id"});
  EXPECT_TRUE(p.has("detach"));
  EXPECT_EQ(p.get("detach"), "true");
  EXPECT_TRUE(p.has("no-pivot"));
  Parsed t = parse({"x", "run", "--detach=true", "id"});
  EXPECT_TRUE(t.has("detach"));
  Parsed f = parse({"x", "run", "--detach=false", "id"});
  EXPECT_FALSE(f.has("detach"));
  // A bool flag never takes the next word.
  Parsed n = parse({"x", "run", "--detach", "false"});
  EXPECT_TRUE(n.has("detach"));
  EXPECT_EQ(n.positional, std::vector<std::string>{"false"});
  EXPECT_EQ(parse_error({"x", "run", "--detach=yes", "id"}), "invalid boolean value \"yes\" for -detach");
}

TEST(ParseArgs, RepeatedValuesAreKeptInOrder) {
  Parsed p = parse({"x", "exec", "-e", "A=1", "--env", "B=2", "--env=C=3", "id", "sh"});
  EXPECT_EQ(p.all("env"), (std::vector<std::string>{"A=1", "B=2", "C=3"}));
  EXPECT_EQ(p.get("env"), "C=3");
  EXPECT_TRUE(p.all("bundle").empty());
  EXPECT_EQ(p.get("bundle", "."), ".");
  EXPECT_FALSE(p.has("bundle"));
}

TEST(ParseArgs, UnknownFlag) {
  EXPECT_EQ(parse_error({"x", "run", "--nope", "id"}), "flag provided but not defined: -nope");
  EXPECT_EQ(parse_error({"x", "run", "-z", "id"}), "flag provided but not defined: -z");
  EXPECT_EQ(parse_error({"x", "run", "--nope=1", "id"}), "flag provided but not defined: -nope");
  auto r = parse_args({"x", "run", "--nope"}, 2, kSpecs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(ParseArgs, MissingValue) {
  EXPECT_EQ(parse_error({"x", "create", "--bundle"}), "flag needs an argument: -bundle");
  EXPECT_EQ(parse_error({"x", "create", "-b"}), "flag needs an argument: -b");
}

TEST(ParseArgs, StopsAtTheFirstPositional) {
  // Everything after the container id belongs to the process.
  Parsed p = parse({"x", "exec", "--detach", "c1", "ls", "-l", "--bundle", "/b"});
  EXPECT_TRUE(p.has("detach"));
  EXPECT_FALSE(p.has("bundle"));
  EXPECT_EQ(p.positional, (std::vector<std::string>{"c1", "ls", "-l", "--bundle", "/b"}));
  // "-" alone is a positional, not a flag.
  Parsed dash = parse({"x", "run", "-"});
  EXPECT_EQ(dash.positional, std::vector<std::string>{"-"});
}

TEST(ParseArgs, WithoutStoppingFlagsMayFollowPositionals) {
  Parsed p = parse({"x", "delete", "c1", "--detach", "c2", "-b", "/b"}, 2, false);
  EXPECT_TRUE(p.has("detach"));
  EXPECT_EQ(p.get("bundle"), "/b");
  EXPECT_EQ(p.positional, (std::vector<std::string>{"c1", "c2"}));
}

TEST(ParseArgs, DoubleDashEndsFlags) {
  Parsed p = parse({"x", "exec", "-d", "--", "--bundle", "c1"});
  EXPECT_TRUE(p.has("detach"));
  EXPECT_FALSE(p.has("bundle"));
  EXPECT_EQ(p.positional, (std::vector<std::string>{"--bundle", "c1"}));
  Parsed q = parse({"x", "delete", "c1", "--", "-d"}, 2, false);
  EXPECT_FALSE(q.has("detach"));
  EXPECT_EQ(q.positional, (std::vector<std::string>{"c1", "-d"}));
  Parsed empty = parse({"x", "list", "--"});
  EXPECT_TRUE(empty.positional.empty());
}

TEST(ParseArgs, HelpAndStart) {
  for (const char* h : {"-h", "--help", "-help"}) {
    Parsed p = parse({"x", "run", h});
    EXPECT_TRUE(p.has("help")) << h;
  }
  Parsed none = parse({"x"}, 1);
  EXPECT_TRUE(none.values.empty());
  EXPECT_TRUE(none.positional.empty());
  Parsed past = parse({"x", "run"}, 5);  // start past the end
  EXPECT_TRUE(past.positional.empty());
}

TEST(ParseArgs, DeclaredDashHIsNotHelp) {
  // docker run's -h is --hostname.
  std::vector<OptSpec> specs = {{"hostname", "h", true, false, ""}};
  auto p = parse_args({"x", "run", "-h", "box", "img"}, 2, specs);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->has("help"));
  EXPECT_EQ(p->get("hostname"), "box");
  EXPECT_EQ(p->positional, (std::vector<std::string>{"img"}));
  EXPECT_TRUE(parse_args({"x", "run", "--help"}, 2, specs)->has("help"));
}

TEST(Json, DumpWritesBigUnsignedAsNumbers) {
  json::Ptr o(json_object());
  json_object_set_new(o.get(), "hard", json::str("#u64:18446744073709551615"));
  json_object_set_new(o.get(), "text", json::str("\"#u64:5\" stays"));
  json_object_set_new(o.get(), "list", json_pack("[s]", "#u64:9223372036854775808"));
  std::string text = json::dump(o.get());
  EXPECT_EQ(text, R"({"hard":18446744073709551615,"text":"\"#u64:5\" stays","list":[9223372036854775808]})");
  auto back = json::parse(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(json::dump(back->get()), text);
}

TEST(UsageOptions, ListsEveryOption) {
  std::string u = usage_options(kSpecs);
  EXPECT_EQ(u.rfind("OPTIONS:\n", 0), 0u);
  EXPECT_NE(u.find("   --bundle, -b value"), std::string::npos) << u;
  EXPECT_NE(u.find("   --detach, -d"), std::string::npos);
  EXPECT_EQ(u.find("--detach, -d value"), std::string::npos);
  EXPECT_NE(u.find("path to the root of the bundle directory\n"), std::string::npos);
  EXPECT_EQ(std::count(u.begin(), u.end(), '\n'), static_cast<long>(kSpecs.size()) + 1);
}

}  // namespace
}  // namespace hutch

namespace hutch {
namespace {

TEST(ArgsCombined, DockerStyleShortBooleans) {
  std::vector<OptSpec> specs = {{"interactive", "i", false, false, ""}, {"tty", "t", false, false, ""},
                                {"name", "n", true, false, ""}};
  auto p = parse_args({"x", "-it", "img"}, 1, specs);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(p->has("interactive"));
  EXPECT_TRUE(p->has("tty"));
  EXPECT_EQ(p->positional, std::vector<std::string>{"img"});
  auto bad = parse_args({"x", "-in", "v"}, 1, specs);
  EXPECT_FALSE(bad.ok());
}

}  // namespace
TEST(Args, BooleanFalseIsRecorded) {
  std::vector<OptSpec> specs = {{"sig-proxy", "", false, false, ""}, {"rm", "", false, false, ""}};
  auto p = parse_args({"run", "--sig-proxy=false", "--rm=true", "img"}, 1, specs);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->has("sig-proxy"));
  EXPECT_TRUE(p->is_false("sig-proxy"));
  EXPECT_TRUE(p->has("rm"));
  EXPECT_FALSE(p->is_false("rm"));
  auto q = parse_args({"run", "--rm=false", "--rm", "img"}, 1, specs);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->has("rm"));
  EXPECT_FALSE(q->is_false("rm"));
}

}  // namespace hutch
