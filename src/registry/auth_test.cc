#include "registry/auth.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"

namespace hutch::registry {
namespace {

TEST(Challenges, BearerWithQuotedParams) {
  auto c = parse_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(c[0].params["service"], "registry.docker.io");
  EXPECT_EQ(c[0].params["scope"], "repository:library/busybox:pull");
}

TEST(Challenges, BasicAndSeveralSchemes) {
  auto c = parse_challenges(R"(Basic realm="Registry Realm", Bearer realm="https://x/t", error="invalid_token")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].params["realm"], "Registry Realm");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].params["error"], "invalid_token");
}

TEST(Challenges, EscapesAndGarbage) {
  auto c = parse_challenges(R"(Bearer realm="a\"b", x=unquoted)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].params["realm"], "a\"b");
  EXPECT_EQ(c[0].params["x"], "unquoted");
  // Unterminated quotes and stray punctuation never crash or loop.
  EXPECT_LE(parse_challenges(R"(Bearer realm="open)").size(), 1u);
  EXPECT_TRUE(parse_challenges(",,, ;;").empty());
  EXPECT_TRUE(parse_challenges("").empty());
}

TEST(Base64, RoundTrips) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", "user:p@ss:word", std::string("\0\xff\x10", 3)}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_FALSE(base64_decode("a$b").ok());
}

TEST(AuthFile, PutGetRemoveKeepsOtherKeys) {
  char tmpl[] = "/tmp/hutch-auth-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string path = dir + "/cfg/config.json";
  ASSERT_TRUE(fs::mkdir_p(dir + "/cfg").ok());
  ASSERT_TRUE(fs::write_file(path, R"({"auths":{"other:1":{"auth":"eDp5"}},"credsStore":"none"})").ok());
  AuthFile f(path);
  ASSERT_TRUE(f.put("127.0.0.1:5000", {"user", "pa:ss"}).ok());
  auto got = f.get("127.0.0.1:5000");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->username, "user");
  EXPECT_EQ((*got)->password, "pa:ss");
  auto other = f.get("other:1");
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_EQ((*other)->username, "x");
  auto text = fs::read_file(path);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("credsStore"), std::string::npos);
  auto removed = f.remove("127.0.0.1:5000");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
  auto again = f.remove("127.0.0.1:5000");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto none = f.get("127.0.0.1:5000");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(auth_key("docker.io"), "https://index.docker.io/v1/");
  ASSERT_TRUE(fs::remove_all(dir).ok());
}

TEST(AuthFile, SchemeKeysAndBadEntries) {
  char tmpl[] = "/tmp/hutch-auth-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/config.json";
  ASSERT_TRUE(fs::write_file(path, R"({"auths":{"https://reg:5000/v1/":{"auth":"dTpw"},"bad:1":{"auth":"bm9jb2xvbg=="}}})").ok());
  AuthFile f(path);
  auto got = f.get("reg:5000");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->username, "u");
  auto bad = f.get("bad:1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("user:password"), std::string::npos);
  ASSERT_TRUE(fs::write_file(path, "[1]").ok());
  EXPECT_FALSE(f.get("x").ok());
  ASSERT_TRUE(fs::remove_all(tmpl).ok());
}

}  // namespace
}  // namespace hutch::registry
