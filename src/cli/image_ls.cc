// hutch images / hutch image ls: docker's image list, its filters and its
// --format (docker/cli's formatter/image.go).
#include <time.h>

#include <cstdio>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/image_rows.h"
#include "engine/image_list.h"

namespace hutch::cli {

namespace {

const char* kDefaultTable =
    "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\\t{{.Size}}";
const char* kDefaultTableDigest =
    "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}"
    "\\t{{.Size}}";

// docker's NewImageFormat.
std::string image_format(std::string source, bool quiet, bool digests) {
  if (source.empty()) source = "table";
  if (source == "table") return quiet ? "{{.ID}}" : digests ? kDefaultTableDigest : kDefaultTable;
  if (source == "raw") {
    if (quiet) return "image_id: {{.ID}}";
    return std::string("repository: {{ .Repository }}\ntag: {{.Tag}}\n") + (digests ? "digest: {{.Digest}}\n" : "") +
           "image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";
  }
  if (source.rfind("table", 0) == 0 && digests && source.find("{{.Digest}}") == std::string::npos)
    source += "\\t{{.Digest}}";
  return source;
}

}  // namespace

int cmd_images(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"all", "a", false, false, "Show all images (default hides intermediate images; hutch has none)"},
      {"digests", "", false, false, "Show digests"},
      {"filter", "f", true, true,
       "Filter output based on conditions provided: dangling=true|false, reference=PATTERN, before=IMAGE, "
       "since=IMAGE, label=KEY[=VALUE], until=TIMESTAMP|DURATION"},
      {"format", "", true, false,
       "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template"},
      {"no-trunc", "", false, false, "Don't truncate output"},
      {"quiet", "q", false, false, "Only show image IDs"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "images [OPTIONS] [REPOSITORY[:TAG]]", "List images", &code);
  if (!p.ok()) return code;
  if (p->positional.size() > 1) {
    std::fprintf(stderr, "\"hutch images\" requires at most 1 argument.\nSee 'hutch images --help'.\n");
    return 125;
  }
  std::vector<std::string> filters = p->all("filter");
  for (const auto& f : filters)
    if (f.find('=') == std::string::npos) {
      std::fprintf(stderr,
                   "invalid argument \"%s\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\n"
                   "See 'hutch images --help'.\n",
                   f.c_str());
      return 125;
    }
  // docker turns the REPOSITORY[:TAG] argument into a reference filter.
  if (!p->positional.empty()) filters.push_back("reference=" + p->positional[0]);
  int64_t now = static_cast<int64_t>(::time(nullptr));
  auto parsed = engine::parse_image_filters(filters, now);
  if (!parsed.ok()) return fail(parsed.error());

  std::string format = image_format(p->get("format"), p->has("quiet"), p->has("digests"));
  auto fmt = Formatter::parse(format);
  if (!fmt.ok()) return fail(fmt.error());
  auto list = engine::list_images(g.root, *parsed);
  if (!list.ok()) return fail(list.error());

  RowOptions ro;
  ro.trunc = !p->has("no-trunc");
  ro.digests = p->has("digests");
  ro.need_digest = ro.digests || format.find("{{.Digest}}") != std::string::npos;
  ro.now = now;
  for (const auto& s : *list)
    for (const auto& row : image_rows(s, ro)) {
      auto st = fmt->add(row.get());
      if (!st.ok()) return fail(st.error());
    }
  json::Ptr header = image_header();
  print(fmt->finish(header.get()));
  return 0;
}

}  // namespace hutch::cli
