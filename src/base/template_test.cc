#include "base/template.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace hutch::tmpl {
namespace {

const char* kData = R"({
  "ID": "sha256:0123", "Repository": "busybox", "Tag": "latest", "Empty": "", "Zero": 0, "Size": 4261,
  "Ratio": 0.5, "Big": 1234567.0, "Yes": true, "No": false, "Nil": null,
  "Labels": {"b": "2", "a": "1", "org.label": "x"},
  "Config": {"Cmd": ["/bin/sh", "-c", "echo hi"], "Env": [], "Labels": {}, "User": ""},
  "RepoTags": ["busybox:latest", "busybox:1"],
  "Nested": [[1, 2], {"k": null}]
})";

std::string run(std::string_view tmpl, const char* data = kData, Options o = {}) {
  auto d = json::parse(data);
  EXPECT_TRUE(d.ok());
  auto t = Template::parse(tmpl);
  if (!t.ok()) return "PARSE: " + t.error().message();
  auto r = t->execute(d->get(), o);
  if (!r.ok()) return "EXEC: " + r.error().message();
  return *r;
}

TEST(Template, TextAndFields) {
  EXPECT_EQ(run(""), "");
  EXPECT_EQ(run("plain text"), "plain text");
  EXPECT_EQ(run("{{.Repository}}:{{.Tag}}"), "busybox:latest");
  EXPECT_EQ(run("{{ .Repository }}"), "busybox");
  EXPECT_EQ(run("{{.Config.Cmd}}"), "[/bin/sh -c echo hi]");
  EXPECT_EQ(run("{{.Config.Env}}"), "[]");
  EXPECT_EQ(run("{{.Labels}}"), "map[a:1 b:2 org.label:x]");
  EXPECT_EQ(run("{{.Config.Labels}}"), "map[]");
  EXPECT_EQ(run("{{.Size}} {{.Ratio}} {{.Big}} {{.Yes}} {{.Zero}}"), "4261 0.5 1.234567e+06 true 0");
  EXPECT_EQ(run("{{.Nil}}"), "<no value>");
  EXPECT_EQ(run("{{.Nested}}"), "[[1 2] map[k:<nil>]]");
  EXPECT_EQ(run("{{.}}", R"({"b":1,"a":"x"})"), "map[a:x b:1]");
  EXPECT_EQ(run("{{$.Tag}}"), "latest");
  EXPECT_EQ(run("{{(.Config).Cmd}}"), "[/bin/sh -c echo hi]");
}

TEST(Template, Json) {
  EXPECT_EQ(run("{{json .Config}}"), R"({"Cmd":["/bin/sh","-c","echo hi"],"Env":[],"Labels":{},"User":""})");
  EXPECT_EQ(run("{{json .Tag}}"), R"("latest")");
  EXPECT_EQ(run("{{json .Nil}}"), "null");
  EXPECT_EQ(run("{{json .}}", R"({"Repository":"<none>","x":"a&b"})"), R"({"Repository":"<none>","x":"a&b"})");
  EXPECT_EQ(run("{{.Config | json}}"), R"({"Cmd":["/bin/sh","-c","echo hi"],"Env":[],"Labels":{},"User":""})");
}

TEST(Template, Functions) {
  EXPECT_EQ(run(R"({{index .Labels "a"}})"), "1");
  EXPECT_EQ(run(R"({{index .Labels "org.label"}})"), "x");
  EXPECT_EQ(run(R"({{index .Labels "missing"}})"), "");
  EXPECT_EQ(run("{{index .RepoTags 1}}"), "busybox:1");
  EXPECT_EQ(run("{{index .Nested 0 1}}"), "2");
  EXPECT_EQ(run(R"({{join .RepoTags ","}})"), "busybox:latest,busybox:1");
  EXPECT_EQ(run(R"({{join .Config.Env ","}})"), "");
  EXPECT_EQ(run(R"({{split "a,b,c" ","}})"), "[a b c]");
  EXPECT_EQ(run(R"({{index (split .ID ":") 1}})"), "0123");
  EXPECT_EQ(run("{{upper .Repository}} {{.Tag | upper}} {{lower \"ABC\"}} {{title \"hello wide-world\"}}"),
            "BUSYBOX LATEST abc Hello Wide-World");
  EXPECT_EQ(run("[{{pad .Tag 1 2}}][{{pad .Empty 1 2}}]"), "[ latest  ][]");
  EXPECT_EQ(run("{{truncate .Repository 4}} {{truncate .Tag 10}}"), "busy latest");
  EXPECT_EQ(run("{{len .RepoTags}} {{len .Repository}} {{len .Labels}}"), "2 7 3");
  EXPECT_EQ(run("{{slice .Repository 1 3}} {{slice .RepoTags 1}}"), "us [busybox:1]");
  EXPECT_EQ(run("a{{println}}b"), "a\nb");
  EXPECT_EQ(run("{{println .Tag .Size}}"), "latest 4261\n");
  EXPECT_EQ(run("{{print .Tag .Size}}|{{print 1 2}}|{{print .Nil}}"), "latest4261|1 2|<nil>");
  EXPECT_EQ(run(R"({{printf "%s=%d %5s|%-4s|%q %v %.1f %x %05d" .Tag .Size "ab" "c" "q" .RepoTags .Ratio 255 42}})"),
            "latest=4261    ab|c   |\"q\" [busybox:latest busybox:1] 0.5 ff 00042");
  EXPECT_EQ(run(R"({{printf "%d %s" "x"}})"), "%!d(string=x) %!s(MISSING)");
  EXPECT_EQ(run(R"({{printf "%s" "a" 1}})"), "a%!(EXTRA int=1)");
  EXPECT_EQ(run("{{not .Yes}} {{and .Yes .Tag}} {{or .Empty .Tag}} {{and .Zero .Tag}} {{or .Empty}}"),
            "false latest latest 0 ");
  EXPECT_EQ(run(R"({{eq .Tag "latest"}} {{eq .Tag "x" "latest"}} {{ne .Size 1}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}})"),
            "true true true true true true false");
  EXPECT_EQ(run("{{eq .Nil .Nil}} {{eq .Tag .Nil}}"), "true false");
}

TEST(Template, Control) {
  EXPECT_EQ(run("{{if .Tag}}yes{{else}}no{{end}}"), "yes");
  EXPECT_EQ(run("{{if .Empty}}yes{{else}}no{{end}}"), "no");
  EXPECT_EQ(run("{{if .Config.Env}}a{{else if .Zero}}b{{else if .Size}}c{{else}}d{{end}}"), "c");
  EXPECT_EQ(run("{{if and .Yes (not .No)}}ok{{end}}"), "ok");
  EXPECT_EQ(run("{{with .Config}}{{.Cmd}}{{end}}"), "[/bin/sh -c echo hi]");
  EXPECT_EQ(run("{{with .Empty}}x{{else with .Tag}}{{.}}{{end}}"), "latest");
  EXPECT_EQ(run("{{range .RepoTags}}[{{.}}]{{end}}"), "[busybox:latest][busybox:1]");
  EXPECT_EQ(run("{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}"), "0=busybox:latest 1=busybox:1 ");
  EXPECT_EQ(run("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}"), "a=1;b=2;org.label=x;");
  EXPECT_EQ(run("{{range .Labels}}{{.}}{{end}}"), "12x");
  EXPECT_EQ(run("{{range .Config.Env}}x{{else}}empty{{end}}"), "empty");
  EXPECT_EQ(run("{{range .Nil}}x{{else}}nil{{end}}"), "nil");
  EXPECT_EQ(run("{{range 3}}{{.}}{{end}}"), "012");
  EXPECT_EQ(run("{{range .RepoTags}}{{if eq . \"busybox:1\"}}{{break}}{{end}}{{.}}{{end}}"), "busybox:latest");
  EXPECT_EQ(run("{{range .RepoTags}}{{if eq . \"busybox:latest\"}}{{continue}}{{end}}{{.}}{{end}}"), "busybox:1");
  EXPECT_EQ(run("{{range .RepoTags}}{{$.Repository}} {{end}}"), "busybox busybox ");
  EXPECT_EQ(run("{{$x := .Tag}}{{$x}}{{$x = \"v\"}}{{$x}}"), "latestv");
  EXPECT_EQ(run("{{if $t := .Tag}}{{$t}}{{end}}"), "latest");
  EXPECT_EQ(run("{{/* a comment */}}x{{- /* trimmed */ -}} y"), "xy");
}

TEST(Template, TrimMarkers) {
  EXPECT_EQ(run("a  {{- .Tag -}}  b"), "alatestb");
  EXPECT_EQ(run("a \n {{- .Tag}} b"), "alatest b");
  EXPECT_EQ(run("{{.Tag -}}\n\n  x"), "latestx");
  EXPECT_EQ(run("{{-3}}"), "-3");
  EXPECT_EQ(run("{{range .RepoTags -}}\n  {{.}}\n{{end -}}"), "busybox:latest\nbusybox:1\n");
}

TEST(Template, Literals) {
  EXPECT_EQ(run(R"({{"a\tb\n\u00e9\x41"}})"), "a\tb\n\xc3\xa9" "A");
  EXPECT_EQ(run("{{`raw\\n`}}"), "raw\\n");
  EXPECT_EQ(run("{{'a'}} {{0x10}} {{1e3}} {{1.5}} {{true}} {{-7}}"), "97 16 1000 1.5 true -7");
}

TEST(Template, ParseErrors) {
  EXPECT_EQ(run("{{.Tag"), "PARSE: template: :1: unclosed action");
  EXPECT_EQ(run("{{foo .Tag}}"), "PARSE: template: :1: function \"foo\" not defined");
  EXPECT_EQ(run("{{if .Tag}}x"), "PARSE: template: :1: unexpected EOF");
  EXPECT_EQ(run("x{{end}}"), "PARSE: template: :1: unexpected {{end}}");
  EXPECT_EQ(run("{{else}}"), "PARSE: template: :1: unexpected {{else}}");
  EXPECT_EQ(run("{{}}"), "PARSE: template: :1: missing value for command");
  EXPECT_EQ(run("{{range}}{{end}}"), "PARSE: template: :1: missing value for range");
  EXPECT_EQ(run("{{$x}}"), "PARSE: template: :1: undefined variable \"$x\"");
  EXPECT_EQ(run("{{break}}"), "PARSE: template: :1: {{break}} outside {{range}}");
  EXPECT_EQ(run("{{.Tag | 1}}"), "PARSE: template: :1: non executable command in pipeline stage 2");
  // Go accepts a trailing pipe.
  EXPECT_EQ(run("{{.Tag |}}"), "latest");
  EXPECT_EQ(run("{{| .Tag}}"), "PARSE: template: :1: unexpected \"|\" in command");
  EXPECT_EQ(run("{{\"abc}}"), "PARSE: template: :1: unterminated quoted string");
  EXPECT_EQ(run("{{(.Tag}}"), "PARSE: template: :1: unclosed left paren");
  EXPECT_EQ(run("{{.Tag)}}"), "PARSE: template: :1: unexpected right paren");
  EXPECT_EQ(run("{{/* x }}"), "PARSE: template: :1: unclosed comment");
  EXPECT_EQ(run("{{#}}"), "PARSE: template: :1: unexpected \"#\" in command");
  EXPECT_EQ(run("{{3x}}"), "PARSE: template: :1: bad number syntax: \"3x\"");
  EXPECT_EQ(run("{{\"a\".B}}"), "PARSE: template: :1: unexpected . after term \"\\\"a\\\"\"");
  EXPECT_EQ(run("a\n{{if}}"), "PARSE: template: :2: missing value for if");
  EXPECT_EQ(run("{{define \"x\"}}{{end}}"), "PARSE: template: :1: {{define}} is not supported in --format templates");
  EXPECT_EQ(run("{{if .A}}{{else}}{{else}}{{end}}"), "PARSE: template: :1: expected end; found {{else}}");
}

TEST(Template, ExecErrors) {
  EXPECT_EQ(run("{{.Foo}}"), "EXEC: template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\"");
  EXPECT_EQ(run("x\n  {{.Config.Foo}}"),
            "EXEC: template: :2:4: executing \"\" at <.Config.Foo>: map has no entry for key \"Foo\"");
  EXPECT_EQ(run("{{.Tag.X}}"), "EXEC: template: :1:2: executing \"\" at <.Tag.X>: can't evaluate field X in type string");
  EXPECT_EQ(run("{{index .RepoTags 5}}"),
            "EXEC: template: :1:2: executing \"\" at <index>: error calling index: index out of range: 5");
  EXPECT_EQ(run("{{upper .Size}}"),
            "EXEC: template: :1:2: executing \"\" at <upper>: wrong type for value; expected string; got int");
  EXPECT_EQ(run("{{join .Tag \",\"}}"),
            "EXEC: template: :1:2: executing \"\" at <join>: wrong type for value; expected []string; got string");
  EXPECT_EQ(run("{{len}}"), "EXEC: template: :1:2: executing \"\" at <len>: wrong number of args for len: want 1 got 0");
  EXPECT_EQ(run("{{.Tag .Size}}"), "EXEC: template: :1:2: executing \"\" at <.Tag>: Tag is not a method but has arguments");
  EXPECT_EQ(run("{{range .Tag}}{{end}}"), "EXEC: template: :1:2: executing \"\" at <.Tag>: range can't iterate over latest");
  EXPECT_EQ(run("{{eq .Tag 1}}"),
            "EXEC: template: :1:2: executing \"\" at <eq>: error calling eq: incompatible types for comparison");
  EXPECT_EQ(run("{{.Nil.X}}"), "EXEC: template: :1:2: executing \"\" at <.Nil.X>: nil pointer evaluating interface {}.X");
  // Without missing_key_error (docker's table headers) a missing key is no value.
  Options lax;
  lax.missing_key_error = false;
  EXPECT_EQ(run("{{.Foo}}|{{.Foo.Bar}}", kData, lax), "<no value>|<no value>");
}

TEST(Template, HeaderFunctions) {
  Options h;
  h.header = true;
  const char* header = R"({"Repository":"REPOSITORY","ID":"IMAGE ID"})";
  EXPECT_EQ(run("{{.Repository}}\t{{upper .ID}}\t{{json .ID}}\t{{truncate .ID 2}}\t{{pad .ID 1 1}}", header, h),
            "REPOSITORY\tIMAGE ID\tIMAGE ID\tIMAGE ID\t IMAGE ID ");
  EXPECT_EQ(run("{{json .}}", header, h).substr(0, 5), "EXEC:");
  std::string partial;
  h.partial = &partial;
  auto d = json::parse(header);
  auto t = Template::parse("{{.Repository}}\t{{json .}}\tx");
  EXPECT_FALSE(t->execute(d->get(), h).ok());
  EXPECT_EQ(partial, "REPOSITORY\t");
}

TEST(Template, HostileInput) {
  // Deep nesting is refused at parse time, not by exhausting the stack.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "{{if .Yes}}";
  EXPECT_NE(run(deep).find("max expression depth exceeded"), std::string::npos);
  std::string parens(100000, '(');
  EXPECT_NE(run("{{" + parens).find("PARSE:"), std::string::npos);
  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "{{if .Yes}}";
  ok += "x";
  for (int i = 0; i < 50; ++i) ok += "{{end}}";
  EXPECT_EQ(run(ok), "x");
  // Exponential work is cut by the step budget, huge output by its limit.
  Options small;
  small.max_steps = 100000;
  small.max_output = 1 << 16;
  EXPECT_NE(run("{{range 100000}}{{range 100000}}{{end}}{{end}}", kData, small).find("ran too long"),
            std::string::npos);
  EXPECT_NE(run("{{range 100000}}{{$.Repository}}{{end}}", kData, small).find("output larger"), std::string::npos);
  // Malformed input of every kind parses or fails cleanly.
  const char* junk[] = {"{{",      "}}",   "{{{{}}}}", "{{.}", "{{..}}",  "{{$}}",    "{{$x :=}}", "{{range $a, $b, $c := .}}{{end}}",
                        "{{'}}",   "{{'ab'}}", "{{`}}", "{{\"\\z\"}}", "{{- -}}", "{{else if}}", "{{(1)(2)}}", "{{nil}}",
                        "{{.A | .B}}", "{{1 2}}", "{{with}}{{end}}", "{{range .RepoTags}}{{break 1}}{{end}}", "\xff{{\xff}}"};
  for (const char* j : junk) (void)run(j);
}

TEST(Template, NoData) {
  auto t = Template::parse("{{.}}|{{len \"ab\"}}");
  ASSERT_TRUE(t.ok());
  auto r = t->execute(nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "<no value>|2");
}

}  // namespace
}  // namespace hutch::tmpl
