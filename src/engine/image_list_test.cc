#include "engine/image_list.h"

#include <gtest/gtest.h>

namespace hutch::engine {
namespace {

bool match(const char* pattern, const char* name) {
  auto r = path_match(pattern, name);
  EXPECT_TRUE(r.ok()) << pattern;
  return r.ok() && *r;
}

TEST(PathMatch, GoCases) {
  // From Go's path/match_test.go.
  EXPECT_TRUE(match("abc", "abc"));
  EXPECT_TRUE(match("*", "abc"));
  EXPECT_TRUE(match("*c", "abc"));
  EXPECT_FALSE(match("a*", "ab/c"));
  EXPECT_TRUE(match("a*/b", "abc/b"));
  EXPECT_FALSE(match("a*/b", "a/c/b"));
  EXPECT_TRUE(match("a*b*c*d*e*/f", "axbxcxdxe/f"));
  EXPECT_TRUE(match("a*b*c*d*e*/f", "axbxcxdxexxx/f"));
  EXPECT_FALSE(match("a*b*c*d*e*/f", "axbxcxdxe/xxx/f"));
  EXPECT_FALSE(match("a*b*c*d*e*/f", "axbxcxdxexxx/fff"));
  EXPECT_TRUE(match("a*b?c*x", "abxbbxdbxebxczzx"));
  EXPECT_FALSE(match("a*b?c*x", "abxbbxdbxebxczzy"));
  EXPECT_TRUE(match("ab[c]", "abc"));
  EXPECT_TRUE(match("ab[b-d]", "abc"));
  EXPECT_FALSE(match("ab[e-g]", "abc"));
  EXPECT_FALSE(match("ab[^c]", "abc"));
  EXPECT_FALSE(match("ab[^b-d]", "abc"));
  EXPECT_TRUE(match("ab[^e-g]", "abc"));
  EXPECT_TRUE(match("a\\*b", "a*b"));
  EXPECT_FALSE(match("a\\*b", "ab"));
  EXPECT_TRUE(match("a?b", "a☺b") == false);  // bytes, not runes: a rare difference from Go
  EXPECT_TRUE(match("[\\-]", "-"));
  EXPECT_TRUE(match("[x\\-]", "x"));
  EXPECT_FALSE(match("[x\\-]", "z"));
  EXPECT_TRUE(match("*x", "xxx"));
  for (const char* bad : {"[]", "[-]", "[x-]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "ab["}) {
    auto r = path_match(bad, "a");
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_TRUE(path_match("a[", "x").error().message() == "syntax error in pattern");
}

TEST(ImageFilters, Parse) {
  auto f = parse_image_filters({"dangling=true", " Label = a=b ", "label=c", "reference=busy*", "reference=alp*",
                                "before=x", "since=y", "until=1h"},
                               10000);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->dangling, true);
  ASSERT_EQ(f->labels.size(), 2u);
  EXPECT_EQ(f->labels[0].first, "a");
  EXPECT_EQ(f->labels[0].second, "b");
  EXPECT_FALSE(f->labels[1].second.has_value());
  EXPECT_EQ(f->references, (std::vector<std::string>{"busy*", "alp*"}));
  EXPECT_EQ(f->before, "x");
  EXPECT_EQ(f->since, "y");
  EXPECT_EQ(f->until, 10000 - 3600);
  EXPECT_EQ(parse_image_filters({"dangling=0"}, 0)->dangling, false);
  EXPECT_EQ(parse_image_filters({"until=2024-01-02T03:04:05Z"}, 0)->until, 1704164645);
  EXPECT_EQ(parse_image_filters({"until=1700000000"}, 0)->until, 1700000000);
  EXPECT_EQ(parse_image_filters({"until=1h30m"}, 10000)->until, 10000 - 5400);
  EXPECT_EQ(parse_image_filters({"dangling"}, 0).error().message(), "bad format of filter (expected name=value)");
  EXPECT_EQ(parse_image_filters({"foo=bar"}, 0).error().message(), "invalid filter 'foo'");
  EXPECT_EQ(parse_image_filters({"dangling=maybe"}, 0).error().message(), "invalid filter 'dangling=maybe'");
  EXPECT_EQ(parse_image_filters({"dangling=true", "dangling=false"}, 0).error().message(),
            "invalid filter 'dangling=true,false'");
  EXPECT_FALSE(parse_image_filters({"until=yesterday"}, 0).ok());
}

TEST(ImageFilters, Rfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2024-01-02T03:04:05.123456789Z"), 1704164645);
  EXPECT_EQ(parse_rfc3339("2024-01-02T05:04:05+02:00"), 1704164645);
  EXPECT_EQ(parse_rfc3339("2024-01-02T00:04:05-03:00"), 1704164645);
  EXPECT_FALSE(parse_rfc3339("").has_value());
  EXPECT_FALSE(parse_rfc3339("2024-01-02T03:04:05").has_value());
  EXPECT_FALSE(parse_rfc3339("2024-13-02T03:04:05Z").has_value());
  EXPECT_FALSE(parse_rfc3339("yesterday").has_value());
}

ImageSummary img(const char* id, int64_t created, std::vector<std::string> tags,
                 std::map<std::string, std::string> labels = {}) {
  ImageSummary s;
  s.record.config = id;
  s.record.manifest = std::string("m-") + id;
  s.created = created;
  s.tags = tags;
  for (const auto& t : tags) s.digests.push_back(familiar_repository(t) + "@sha256:" + id);
  s.labels = std::move(labels);
  return s;
}

std::vector<std::string> ids(const Result<std::vector<ImageSummary>>& r) {
  std::vector<std::string> out;
  EXPECT_TRUE(r.ok()) << r.error().message();
  if (r.ok())
    for (const auto& s : *r) out.push_back(s.record.config);
  return out;
}

std::vector<ImageSummary> sample() {
  return {img("a", 100, {"busybox:latest", "busybox:1.36"}, {{"maintainer", "me"}, {"tier", "base"}}),
          img("b", 300, {"alpine:3"}, {{"tier", "base"}}), img("c", 200, {}),
          img("d", 400, {"localhost:5000/team/app:v1"})};
}

TEST(ImageFilters, Select) {
  auto run = [](std::vector<std::string> filters, std::optional<int64_t> before = {},
                std::optional<int64_t> since = {}) {
    auto f = parse_image_filters(filters, 1000);
    EXPECT_TRUE(f.ok());
    return ids(filter_images(sample(), *f, before, since));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(run({}), (V{"d", "b", "c", "a"}));  // newest first
  EXPECT_EQ(run({"dangling=true"}), (V{"c"}));
  EXPECT_EQ(run({"dangling=false"}), (V{"d", "b", "a"}));
  EXPECT_EQ(run({"reference=busybox"}), (V{"a"}));
  EXPECT_EQ(run({"reference=busy*"}), (V{"a"}));
  EXPECT_EQ(run({"reference=*:3"}), (V{"b"}));
  EXPECT_EQ(run({"reference=*"}), (V{"b", "a"}));  // '*' does not cross '/'
  EXPECT_EQ(run({"reference=*/*/*"}), (V{"d"}));
  EXPECT_EQ(run({"reference=localhost:5000/team/app"}), (V{"d"}));
  EXPECT_EQ(run({"reference=alpine", "reference=busybox:1.36"}), (V{"b", "a"}));
  EXPECT_EQ(run({"label=tier"}), (V{"b", "a"}));
  EXPECT_EQ(run({"label=tier=base", "label=maintainer"}), (V{"a"}));
  EXPECT_EQ(run({"label=tier=other"}), (V{}));
  EXPECT_EQ(run({}, 300), (V{"c", "a"}));
  EXPECT_EQ(run({}, std::nullopt, 200), (V{"d", "b"}));
  EXPECT_EQ(run({"until=250"}), (V{"c", "a"}));
  // Only the matching tags stay.
  auto f = parse_image_filters({"reference=busybox:1*"}, 0);
  auto r = filter_images(sample(), *f, {}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].tags, (std::vector<std::string>{"busybox:1.36"}));
  auto bad = parse_image_filters({"reference=[x"}, 0);
  EXPECT_EQ(filter_images(sample(), *bad, {}, {}).error().message(), "syntax error in pattern");
}

TEST(ImageFilters, FamiliarRepository) {
  EXPECT_EQ(familiar_repository("busybox:latest"), "busybox");
  EXPECT_EQ(familiar_repository("localhost:5000/app:v1"), "localhost:5000/app");
  EXPECT_EQ(familiar_repository("localhost:5000/app"), "localhost:5000/app");
  EXPECT_EQ(familiar_repository("busybox@sha256:abc"), "busybox");
}

}  // namespace
}  // namespace hutch::engine
