// hutch system: the command group: df here; prune (prune.cc), info
// (info.cc) and events (events.cc) dispatched from it. system df prints
// docker's disk usage table (docker/cli's formatter/disk_usage.go) from
// engine::disk_usage().
#include <time.h>

#include <cstdio>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/image_rows.h"
#include "engine/system_df.h"

namespace hutch::cli {

namespace {

const char* kDfTable = "table {{.Type}}\\t{{.TotalCount}}\\t{{.Active}}\\t{{.Size}}\\t{{.Reclaimable}}";
const char* kDfRaw = "type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n";
const char* kDfImages =
    "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}\\t{{.SharedSize}}\\t{{.UniqueSize}}\\t"
    "{{.Containers}}";
const char* kDfContainers =
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.LocalVolumes}}\\t{{.Size}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Names}}";
const char* kDfVolumes = "table {{.Name}}\\t{{.Links}}\\t{{.Size}}";
const char* kDfBuildCache =
    "table {{.ID}}\\t{{.CacheType}}\\t{{.Size}}\\t{{.CreatedSince}}\\t{{.LastUsedSince}}\\t{{.UsageCount}}\\t{{.Shared}}";

json::Ptr object(std::initializer_list<std::pair<const char*, std::string>> fields) {
  json::Ptr o(json_object());
  for (const auto& [k, v] : fields) json_object_set_new(o.get(), k, json::str(v));
  return o;
}

// "4.26MB (100%)" as docker's Reclaimable() prints it.
std::string reclaimable(uint64_t reclaim, uint64_t total, bool percent = true) {
  std::string s = human_size(static_cast<double>(reclaim));
  if (percent && total > 0) s += " (" + std::to_string(reclaim * 100 / total) + "%)";
  return s;
}

json::Ptr summary_row(const char* type, int64_t total, int64_t active, uint64_t size, uint64_t reclaim,
                      bool percent = true) {
  return object({{"Active", std::to_string(active)},
                 {"Reclaimable", reclaimable(reclaim, size, percent)},
                 {"Size", human_size(static_cast<double>(size))},
                 {"TotalCount", std::to_string(total)},
                 {"Type", type}});
}

// docker's verbose image rows: the first tag only.
std::vector<json::Ptr> df_image_rows(const engine::DiskUsage& du, bool trunc, int64_t now) {
  RowOptions ro;
  ro.trunc = trunc;
  ro.now = now;
  std::vector<json::Ptr> rows;
  for (const auto& s : du.images) {
    std::string repo = "<none>", tag = "<none>";
    if (!s.tags.empty()) {
      repo = engine::familiar_repository(s.tags[0]);
      tag = s.tags[0].substr(std::min(repo.size() + 1, s.tags[0].size()));
    }
    rows.push_back(image_row(s, repo, tag, "", ro));
  }
  return rows;
}

// One "... space usage:" table of the verbose output.
Result<std::string> section(const char* format, const std::vector<json::Ptr>& rows, const json_t* header) {
  ASSIGN_OR_RETURN(Formatter f, Formatter::parse(format));
  for (const auto& r : rows) TRY(f.add(r.get()));
  return f.finish(header);
}

Result<std::string> df_verbose(const engine::DiskUsage& du, const std::string& format, int64_t now) {
  if (format == "table") {
    std::string out = "Images space usage:\n\n";
    json::Ptr ih = image_header();
    ASSIGN_OR_RETURN(std::string images, section(kDfImages, df_image_rows(du, true, now), ih.get()));
    // hutch has no containers, volumes or build cache yet: empty tables.
    json::Ptr ch = object({{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Command", "COMMAND"},
                           {"LocalVolumes", "LOCAL VOLUMES"}, {"Size", "SIZE"}, {"RunningFor", "CREATED"},
                           {"Status", "STATUS"}, {"Names", "NAMES"}});
    ASSIGN_OR_RETURN(std::string containers, section(kDfContainers, {}, ch.get()));
    json::Ptr vh = object({{"Name", "VOLUME NAME"}, {"Links", "LINKS"}, {"Size", "SIZE"}});
    ASSIGN_OR_RETURN(std::string volumes, section(kDfVolumes, {}, vh.get()));
    json::Ptr bh = object({{"ID", "CACHE ID"}, {"CacheType", "CACHE TYPE"}, {"Size", "SIZE"},
                           {"CreatedSince", "CREATED"}, {"LastUsedSince", "LAST USED"}, {"UsageCount", "USAGE"},
                           {"Shared", "SHARED"}});
    ASSIGN_OR_RETURN(std::string cache, section(kDfBuildCache, {}, bh.get()));
    return out + images + "\nContainers space usage:\n\n" + containers + "\nLocal Volumes space usage:\n\n" + volumes +
           "\nBuild cache usage: " + human_size(static_cast<double>(du.build_cache_size)) + "\n\n" + cache;
  }
  // A custom format runs once over all four lists, as docker does.
  ASSIGN_OR_RETURN(Formatter f, Formatter::parse(format));
  json::Ptr data(json_object());
  json_t* images = json_array();
  for (auto& r : df_image_rows(du, f.is_table(), now)) json_array_append(images, r.get());
  json_object_set_new(data.get(), "Images", images);
  json_object_set_new(data.get(), "Containers", json_array());
  json_object_set_new(data.get(), "Volumes", json_array());
  json_object_set_new(data.get(), "BuildCache", json_array());
  return f.execute(data.get());
}

int cmd_system_df(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"format", "", true, false, "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template"},
      {"verbose", "v", false, false, "Show detailed information on space usage"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "system df [OPTIONS]", "Show hutch disk usage", &code);
  if (!p.ok()) return code;
  if (!p->positional.empty()) {
    std::fprintf(stderr, "\"hutch system df\" accepts no arguments.\nSee 'hutch system df --help'.\n");
    return 125;
  }
  auto du = engine::disk_usage(g.root);
  if (!du.ok()) return fail(du.error());
  int64_t now = static_cast<int64_t>(::time(nullptr));
  std::string format = p->get("format", "table");
  if (p->has("verbose")) {
    auto out = df_verbose(*du, format, now);
    if (!out.ok()) return fail(out.error());
    print(*out);
    return 0;
  }
  if (format == "table") format = kDfTable;
  else if (format == "raw") format = kDfRaw;
  auto f = Formatter::parse(format);
  if (!f.ok()) return fail(f.error());
  std::vector<json::Ptr> rows;
  rows.push_back(summary_row("Images", static_cast<int64_t>(du->images.size()), du->images_active, du->images_size,
                             du->images_reclaimable));
  rows.push_back(summary_row("Containers", du->containers_total, du->containers_active, du->containers_size,
                             du->containers_reclaimable));
  rows.push_back(summary_row("Local Volumes", du->volumes_total, du->volumes_active, du->volumes_size,
                             du->volumes_reclaimable));
  rows.push_back(summary_row("Build Cache", du->build_cache_total, du->build_cache_active, du->build_cache_size,
                             du->build_cache_reclaimable, false));
  for (const auto& r : rows) {
    auto st = f->add(r.get());
    if (!st.ok()) return fail(st.error());
  }
  json::Ptr header = object(
      {{"Type", "TYPE"}, {"TotalCount", "TOTAL"}, {"Active", "ACTIVE"}, {"Size", "SIZE"}, {"Reclaimable", "RECLAIMABLE"}});
  print(f->finish(header.get()));
  return 0;
}

}  // namespace

int cmd_system(const Global& g, const Args& a, size_t start) {
  if (start < a.size()) {
    const std::string& sub = a[start];
    if (sub == "df") return cmd_system_df(g, a, start + 1);
    if (sub == "prune") return cmd_system_prune(g, a, start + 1);
    if (sub == "info") return cmd_info(g, a, start + 1);
    if (sub == "events") return cmd_events(g, a, start + 1);
    if (sub != "--help" && sub != "-h") {
      std::fprintf(stderr, "hutch: 'system %s' is not a hutch command.\nSee 'hutch system --help'\n", sub.c_str());
      return 1;
    }
  }
  print("\nUsage:  hutch system COMMAND\n\nManage hutch\n\nCommands:\n  df          Show hutch disk usage\n"
        "  events      Get real time events from the server\n  info        Display system-wide information\n"
        "  prune       Remove unused data\n\n"
        "Run 'hutch system COMMAND --help' for more information on a command.\n");
  return 0;
}

}  // namespace hutch::cli
