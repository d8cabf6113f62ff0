#include "image/internal/layer_path.h"

#include <gtest/gtest.h>
#include <limits.h>

namespace hutch::image::internal {
namespace {

std::vector<std::string> parts(std::string_view name) {
  auto r = normalise_entry_path(name);
  EXPECT_TRUE(r.ok()) << name << ": " << r.error().message();
  return r.ok() ? *r : std::vector<std::string>{"<error>"};
}

using V = std::vector<std::string>;

TEST(LayerPath, PlainAndDirNames) {
  EXPECT_EQ(parts("a/b/c"), (V{"a", "b", "c"}));
  EXPECT_EQ(parts("a/b/"), (V{"a", "b"}));
  EXPECT_EQ(parts("./a//b/./c"), (V{"a", "b", "c"}));
}

TEST(LayerPath, RootNames) {
  EXPECT_EQ(parts("./"), V{});
  EXPECT_EQ(parts("."), V{});
  EXPECT_EQ(parts("/"), V{});
  EXPECT_EQ(parts(""), V{});
}

TEST(LayerPath, AbsoluteNamesStayInside) {
  EXPECT_EQ(parts("/abs/evil"), (V{"abs", "evil"}));
  EXPECT_EQ(parts("///etc/passwd"), (V{"etc", "passwd"}));
}

TEST(LayerPath, DotDotWithinTheRoot) {
  EXPECT_EQ(parts("a/../b"), V{"b"});
  EXPECT_EQ(parts("a/b/../../c"), V{"c"});
  EXPECT_EQ(parts("a/.."), V{});
}

TEST(LayerPath, DotDotAboveTheRootIsRefused) {
  for (const char* n : {"..", "../evil", "a/../../evil", "/../evil", "./../x", "a/b/../../../c"}) {
    auto r = normalise_entry_path(n);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code(), EINVAL);
  }
}

TEST(LayerPath, NamesLikeDotDotAreOrdinary) {
  EXPECT_EQ(parts("...").size(), 1u);
  EXPECT_EQ(parts("..a/b.."), (V{"..a", "b.."}));
}

TEST(LayerPath, LongerThanPathMaxIsRefused) {
  std::string deep;
  while (deep.size() < PATH_MAX) deep += "abcdefgh/";
  auto r = normalise_entry_path(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENAMETOOLONG);
  // Long only before normalisation: fine.
  std::string churn;
  while (churn.size() < 2 * PATH_MAX) churn += "x/../";
  EXPECT_EQ(parts(churn + "ok"), V{"ok"});
}

TEST(LayerPath, Join) {
  V p{"a", "b", "c"};
  EXPECT_EQ(join_components(p, 0), "");
  EXPECT_EQ(join_components(p, 2), "a/b");
  EXPECT_EQ(join_components(p, 3), "a/b/c");
}

TEST(LayerPath, Whiteouts) {
  auto ordinary = classify_whiteout("file");
  ASSERT_TRUE(ordinary.ok());
  EXPECT_EQ(ordinary->kind, WhiteoutKind::kNone);

  auto wh = classify_whiteout(".wh.file");
  ASSERT_TRUE(wh.ok());
  EXPECT_EQ(wh->kind, WhiteoutKind::kFile);
  EXPECT_EQ(wh->name, "file");

  auto hidden = classify_whiteout(".wh..hidden");
  ASSERT_TRUE(hidden.ok());
  EXPECT_EQ(hidden->kind, WhiteoutKind::kFile);
  EXPECT_EQ(hidden->name, ".hidden");

  auto opq = classify_whiteout(".wh..wh..opq");
  ASSERT_TRUE(opq.ok());
  EXPECT_EQ(opq->kind, WhiteoutKind::kOpaque);

  auto plnk = classify_whiteout(".wh..wh.plnk");
  ASSERT_TRUE(plnk.ok());
  EXPECT_EQ(plnk->kind, WhiteoutKind::kIgnored);

  EXPECT_EQ(classify_whiteout(".wh")->kind, WhiteoutKind::kNone);
  EXPECT_EQ(classify_whiteout("x.wh.y")->kind, WhiteoutKind::kNone);
}

TEST(LayerPath, WhiteoutsOfNothingAreRefused) {
  for (const char* n : {".wh.", ".wh..", ".wh..."}) {
    auto r = classify_whiteout(n);
    EXPECT_FALSE(r.ok()) << n;
  }
}

}  // namespace
}  // namespace hutch::image::internal
