#include "cli/image_rows.h"

#include <gtest/gtest.h>

#include "cli/format.h"

namespace hutch::cli {
namespace {

engine::ImageSummary summary(std::vector<std::string> tags, std::vector<std::string> digests) {
  engine::ImageSummary s;
  s.record.config = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  s.record.size = 4261000;
  s.created = 1000;
  s.tags = std::move(tags);
  s.digests = std::move(digests);
  return s;
}

std::string field(const json::Ptr& row, const char* k) { return json_string_value(json_object_get(row.get(), k)); }

std::vector<std::string> cells(const std::vector<json::Ptr>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(field(r, "Repository") + " " + field(r, "Tag") + " " + field(r, "Digest"));
  return out;
}

TEST(ImageRows, Fields) {
  RowOptions o;
  o.now = 1000 + 14 * 86400;
  auto rows = image_rows(summary({"busybox:latest"}, {"busybox@sha256:aa"}), o);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(json::dump(rows[0].get()),
            "{\"Containers\":\"N/A\",\"CreatedAt\":\"" + go_time(1000) +
                "\",\"CreatedSince\":\"2 weeks ago\",\"Digest\":\"<none>\",\"ID\":\"0123456789ab\","
                "\"Repository\":\"busybox\",\"SharedSize\":\"N/A\",\"Size\":\"4.26MB\",\"Tag\":\"latest\","
                "\"UniqueSize\":\"N/A\",\"VirtualSize\":\"4.261MB\"}");
  o.trunc = false;
  auto s = summary({}, {});
  s.shared_size = 1000000;
  s.containers = 0;
  rows = image_rows(s, o);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(field(rows[0], "ID"), s.record.config);
  EXPECT_EQ(field(rows[0], "Repository"), "<none>");
  EXPECT_EQ(field(rows[0], "Containers"), "0");
  EXPECT_EQ(field(rows[0], "SharedSize"), "1MB");
  EXPECT_EQ(field(rows[0], "UniqueSize"), "3.261MB");
}

TEST(ImageRows, TagsAndDigests) {
  auto s = summary({"busybox:latest", "busybox:1.36", "localhost:5000/bb:v1"},
                   {"busybox@sha256:aa", "busybox@sha256:bb", "mirror.example/bb@sha256:cc"});
  RowOptions o;
  using V = std::vector<std::string>;
  EXPECT_EQ(cells(image_rows(s, o)),
            (V{"busybox latest <none>", "busybox 1.36 <none>", "localhost:5000/bb v1 <none>", "mirror.example/bb <none> "}));
  o.need_digest = true;
  o.digests = true;
  EXPECT_EQ(cells(image_rows(s, o)),
            (V{"busybox latest sha256:aa", "busybox latest sha256:bb", "busybox 1.36 sha256:aa", "busybox 1.36 sha256:bb",
               "localhost:5000/bb v1 <none>", "mirror.example/bb <none> sha256:cc"}));
}

TEST(ImageRows, DefaultTable) {
  auto f = Formatter::parse("table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}");
  ASSERT_TRUE(f.ok());
  for (const auto& r : image_rows(summary({"busybox:test"}, {}), RowOptions{})) ASSERT_TRUE(f->add(r.get()).ok());
  auto h = image_header();
  EXPECT_EQ(f->finish(h.get()),
            "REPOSITORY   TAG       IMAGE ID       SIZE\n"
            "busybox      test      0123456789ab   4.26MB\n");
}

}  // namespace
}  // namespace hutch::cli
