#include "cli/format.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace hutch::cli {
namespace {

TEST(Tabwrite, DockerColumns) {
  // docker images with its default table (minimum width 10, padding 3).
  EXPECT_EQ(tabwrite("REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n"
                     "busybox\tlatest\t0123456789ab\t2 weeks ago\t4.26MB\n"
                     "<none>\t<none>\tba9876543210\t3 months ago\t1.2GB\n"),
            "REPOSITORY   TAG       IMAGE ID       CREATED        SIZE\n"
            "busybox      latest    0123456789ab   2 weeks ago    4.26MB\n"
            "<none>       <none>    ba9876543210   3 months ago   1.2GB\n");
  // The last cell of a line is not a column; empty cells still pad.
  EXPECT_EQ(tabwrite("a\tb\n\tlonger-than-ten\tc\n"), "a         b\n          longer-than-ten   c\n");
  // A line without tabs ends the column block.
  EXPECT_EQ(tabwrite("aaaaaaaaaaaaaaaa\tb\nplain\nc\td\n"), "aaaaaaaaaaaaaaaa   b\nplain\nc         d\n");
  // Wide characters count twice.
  EXPECT_EQ(tabwrite("\xe4\xb8\xad\xe6\x96\x87\tx\nab\ty\n"), "\xe4\xb8\xad\xe6\x96\x87      x\nab        y\n");
  EXPECT_EQ(tabwrite(""), "");
  EXPECT_EQ(tabwrite("no newline"), "no newline");
  // A trailing tab without text after it leaves a lone, unaligned cell.
  EXPECT_EQ(tabwrite("x\t"), "x");
  // Many columns in one line do not recurse.
  std::string wide(200000, '\t');
  EXPECT_EQ(tabwrite(wide + "\n").size(), 200000u * 10 + 1);
}

TEST(Units, Sizes) {
  EXPECT_EQ(human_size(0, 3), "0B");
  EXPECT_EQ(human_size(999, 3), "999B");
  EXPECT_EQ(human_size(4261000, 3), "4.26MB");
  EXPECT_EQ(human_size(4261000), "4.261MB");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(1234567890123), "1.235TB");
  EXPECT_EQ(human_size(999999, 3), "1e+03kB");  // as go-units prints it
}

TEST(Units, Durations) {
  EXPECT_EQ(human_duration(0), "Less than a second");
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(59), "59 seconds");
  EXPECT_EQ(human_duration(60), "About a minute");
  EXPECT_EQ(human_duration(119), "About a minute");
  EXPECT_EQ(human_duration(3599), "59 minutes");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(5399), "About an hour");
  EXPECT_EQ(human_duration(5400), "2 hours");
  EXPECT_EQ(human_duration(47 * 3600), "47 hours");
  EXPECT_EQ(human_duration(48 * 3600), "2 days");
  EXPECT_EQ(human_duration(14 * 86400), "2 weeks");
  EXPECT_EQ(human_duration(60 * 86400), "2 months");
  EXPECT_EQ(human_duration(800 * 86400), "2 years");
  EXPECT_EQ(truncate_id("sha256:0123456789abcdef"), "0123456789ab");
  EXPECT_EQ(truncate_id("0123"), "0123");
}

std::string render(const std::string& format, std::vector<const char*> rows, const char* header) {
  auto f = Formatter::parse(format);
  if (!f.ok()) return "ERR " + f.error().message();
  for (const char* r : rows) {
    auto j = json::parse(r);
    auto st = f->add(j->get());
    if (!st.ok()) return "ERR " + st.error().message();
  }
  auto h = json::parse(header);
  return f->finish(h->get());
}

const char* kHeader = R"({"Repository":"REPOSITORY","Tag":"TAG","ID":"IMAGE ID","CreatedSince":"CREATED","Size":"SIZE"})";
const char* kRow1 = R"({"Repository":"busybox","Tag":"test","ID":"0123456789ab","CreatedSince":"2 minutes ago","Size":"4.26MB"})";
const char* kRow2 = R"({"Repository":"registry.example.com/team/app","Tag":"v1","ID":"ba9876543210","CreatedSince":"","Size":"1GB"})";

TEST(Formatter, Table) {
  EXPECT_EQ(render("table {{.Repository}}\\t{{.Tag}}", {kRow1, kRow2}, kHeader),
            "REPOSITORY                      TAG\n"
            "busybox                         test\n"
            "registry.example.com/team/app   v1\n");
  EXPECT_EQ(render("table {{.Repository}}\t{{.ID}}\t{{if .CreatedSince}}{{.CreatedSince}}{{else}}N/A{{end}}", {kRow1, kRow2},
                   kHeader),
            "REPOSITORY                      IMAGE ID       CREATED\n"
            "busybox                         0123456789ab   2 minutes ago\n"
            "registry.example.com/team/app   ba9876543210   N/A\n");
  EXPECT_EQ(render("table", {}, kHeader), "\n");
  EXPECT_EQ(render("table {{.Repository}}", {}, kHeader), "REPOSITORY\n");
  EXPECT_EQ(render("table {{upper .Tag}} x", {kRow1}, kHeader), "TAG x\nTEST x\n");
}

TEST(Formatter, PlainAndJson) {
  EXPECT_EQ(render("{{.Repository}}:{{.Tag}}", {kRow1, kRow2}, kHeader),
            "busybox:test\nregistry.example.com/team/app:v1\n");
  EXPECT_EQ(render("  {{.Tag}}\\n{{.Size}}  ", {kRow1}, kHeader), "test\n4.26MB\n");
  EXPECT_EQ(render("json", {kRow1}, kHeader), std::string(kRow1) + "\n");
  EXPECT_EQ(render("{{json .}}", {kRow1}, kHeader), std::string(kRow1) + "\n");
}

TEST(Formatter, Errors) {
  EXPECT_EQ(render("{{.Repository", {kRow1}, kHeader), "ERR template parsing error: template: :1: unclosed action");
  EXPECT_EQ(render("{{.Nope}}", {kRow1}, kHeader),
            "ERR template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"");
  EXPECT_EQ(render("{{nope}}", {kRow1}, kHeader), "ERR template parsing error: template: :1: function \"nope\" not defined");
}

}  // namespace
}  // namespace hutch::cli
