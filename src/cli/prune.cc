// hutch container prune and system prune: docker's removal of what is not
// in use (stopped containers; with system prune also unused networks, dangling or, with -a,
// unused images, and with --volumes unused anonymous volumes). Without -f
// docker's confirmation is asked on a terminal; without a terminal the
// command refuses, since nobody can answer.
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "base/json.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/format.h"
#include "engine/container_network.h"
#include "engine/events.h"
#include "engine/images.h"
#include "engine/system_df.h"
#include "engine/volumes.h"

namespace hutch::cli {

namespace {

uint64_t g_tree_bytes = 0;
int add_size(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_F) g_tree_bytes += static_cast<uint64_t>(st->st_size);
  return 0;
}

// The bytes of a container's writable layer (docker's SizeRw).
uint64_t tree_size(const std::string& dir) {
  g_tree_bytes = 0;
  ::nftw(dir.c_str(), add_size, 16, FTW_PHYS | FTW_MOUNT);
  return g_tree_bytes;
}

// Asks docker's question on a terminal. Without one, and without -f,
// says why nothing was done.
bool confirmed(bool force, const std::string& warning, const char* what) {
  if (force) return true;
  if (!::isatty(0)) {
    std::fprintf(stderr,
                 "Error: %s requires confirmation and stdin is not a terminal; use -f (--force) to proceed "
                 "without it\n",
                 what);
    return false;
  }
  std::fputs((warning + "Are you sure you want to continue? [y/N] ").c_str(), stdout);
  std::fflush(stdout);
  char answer[16] = {};
  return std::fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

struct PruneFilter {
  int64_t until = 0;  // created before (ns), 0 = any
  std::vector<std::pair<std::string, bool>> labels;  // "key[=value]", wanted
};

Result<PruneFilter> parse_filters(const std::vector<std::string>& terms) {
  PruneFilter f;
  int64_t now = static_cast<int64_t>(::time(nullptr)) * 1'000'000'000;
  for (const auto& t : terms) {
    size_t eq = t.find('=');
    if (eq == std::string::npos)
      return Error::plain(EINVAL, "bad format of filter (expected name=value): \"" + t + "\"");
    std::string key = t.substr(0, eq), value = t.substr(eq + 1);
    if (key == "until") {
      ASSIGN_OR_RETURN(f.until, engine::parse_timestamp(value, now));
    } else if (key == "label" || key == "label!") {
      f.labels.push_back({value, key == "label"});
    } else {
      return Error::plain(EINVAL, "invalid filter '" + key + "' (prune filters: until, label, label!)");
    }
  }
  return f;
}

bool filter_keeps(const PruneFilter& f, const state::ContainerRow& r) {
  if (f.until && r.created > f.until) return false;
  if (f.labels.empty()) return true;
  auto doc = engine::Containers::config_of(r);
  json_t* labels = doc.ok() ? json_object_get(json_object_get(doc->get(), "Config"), "Labels") : nullptr;
  for (const auto& [term, wanted] : f.labels) {
    size_t eq = term.find('=');
    std::string k = term.substr(0, eq);
    bool has = json_object_get(labels, k.c_str()) &&
               (eq == std::string::npos || json::string_of(labels, k.c_str()) == term.substr(eq + 1));
    if (has != wanted) return false;
  }
  return true;
}

bool stopped(const state::ContainerRow& r) {
  return r.status == state::Status::kCreated || r.status == state::Status::kExited ||
         r.status == state::Status::kDead;
}

// Removes the stopped containers the filter keeps; their ids and bytes.
std::vector<std::string> prune_containers(engine::Containers& cs, const PruneFilter& f, uint64_t* freed, int* rc) {
  std::vector<std::string> ids;
  auto rows = cs.list();
  if (!rows.ok()) {
    fail(rows.error());
    *rc = 1;
    return ids;
  }
  for (const auto& r : *rows) {
    if (!stopped(r) || !filter_keeps(f, r)) continue;
    uint64_t size = tree_size(cs.paths().upper(r.id));
    auto s = cs.remove(r.id, false, false);
    if (!s.ok()) {
      std::fprintf(stderr, "Error response from daemon: %s\n", s.error().message().c_str());
      *rc = 1;
      continue;
    }
    ids.push_back(r.id);
    *freed += size;
  }
  return ids;
}

std::string section(const char* title, const std::vector<std::string>& lines) {
  if (lines.empty()) return "";
  std::string out = std::string(title) + "\n";
  for (const auto& l : lines) out += l + "\n";
  return out + "\n";
}

}  // namespace

int cmd_container_prune(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"filter", "", true, true, "Provide filter values (e.g. \"until=<timestamp>\")"},
                               {"force", "f", false, false, "Do not prompt for confirmation"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "container prune [OPTIONS]", "Remove all stopped containers", &code);
  if (!p.ok()) return code;
  auto f = parse_filters(p->all("filter"));
  if (!f.ok()) return fail(f.error(), 125);
  if (!confirmed(p->has("force"), "WARNING! This will remove all stopped containers.\n", "container prune")) return 1;
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  uint64_t freed = 0;
  int rc = 0;
  auto ids = prune_containers(*cs, *f, &freed, &rc);
  print(section("Deleted Containers:", ids) + "Total reclaimed space: " + human_size(static_cast<double>(freed)) + "\n");
  return rc;
}

int cmd_system_prune(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"all", "a", false, false, "Remove all unused images not just dangling ones"},
                               {"filter", "", true, true, "Provide filter values (e.g. \"label=<key>=<value>\")"},
                               {"force", "f", false, false, "Do not prompt for confirmation"},
                               {"volumes", "", false, false, "Prune anonymous volumes"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "system prune [OPTIONS]", "Remove unused data", &code);
  if (!p.ok()) return code;
  auto f = parse_filters(p->all("filter"));
  if (!f.ok()) return fail(f.error(), 125);
  bool all = p->has("all"), volumes = p->has("volumes");
  std::string warning = "WARNING! This will remove:\n  - all stopped containers\n";
  warning += "  - all networks not used by at least one container\n";
  if (volumes) warning += "  - all anonymous volumes not used by at least one container\n";
  warning += all ? "  - all images without at least one container associated to them\n" : "  - all dangling images\n";
  warning += "\n";
  if (!confirmed(p->has("force"), warning, "system prune")) return 1;
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  uint64_t freed = 0;
  int rc = 0;
  std::string out = section("Deleted Containers:", prune_containers(*cs, *f, &freed, &rc));

  if (auto nets = engine::prune_networks(*cs); nets.ok()) {
    out += section("Deleted Networks:", *nets);
  } else {
    std::fprintf(stderr, "Error: %s\n", nets.error().message().c_str());
    rc = 1;
  }
  // What the remaining containers use stays: their images and volumes.
  std::set<std::string> used_images, used_volumes;
  if (auto rows = cs->list(); rows.ok()) {
    for (const auto& r : *rows) {
      used_images.insert(r.image_id);
      auto doc = engine::Containers::config_of(r);
      if (!doc.ok()) continue;
      json_t* m;
      size_t i;
      json_array_foreach(json_object_get(doc->get(), "Mounts"), i, m) used_volumes.insert(json::string_of(m, "Name"));
    }
  } else {
    return fail(rows.error());
  }
  if (volumes) {
    engine::Volumes vols(g.root);
    uint64_t vfreed = 0;
    auto names = vols.prune(false, [&](const std::string& n) { return used_volumes.count(n) > 0; }, &vfreed);
    if (names.ok()) {
      out += section("Deleted Volumes:", *names);
      freed += vfreed;
    } else {
      std::fprintf(stderr, "Error: %s\n", names.error().message().c_str());
      rc = 1;
    }
  }
  // Images one by one, so that an image a container still uses stays
  // (Images::prune knows nothing of containers).
  engine::Images images(g.root);
  std::vector<std::string> lines;
  // Removing an image collects its layers at once; the space it gave back
  // is what the store's image size lost.
  auto before = engine::disk_usage(g.root);
  if (auto list = images.list(); list.ok()) {
    for (const auto& rec : *list) {
      if (used_images.count(rec.config) || (!all && !rec.names.empty())) continue;
      auto removed = images.remove(rec.config, true);
      if (!removed.ok()) {
        std::fprintf(stderr, "Error: %s\n", removed.error().message().c_str());
        rc = 1;
        continue;
      }
      for (auto l : *removed) {
        if (!l.empty()) l[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(l[0])));
        lines.push_back(l);
      }
    }
    auto after = engine::disk_usage(g.root);
    if (before.ok() && after.ok() && before->images_size > after->images_size)
      freed += before->images_size - after->images_size;
  } else {
    std::fprintf(stderr, "Error: %s\n", list.error().message().c_str());
    rc = 1;
  }
  out += section("Deleted Images:", lines);
  print(out + "Total reclaimed space: " + human_size(static_cast<double>(freed)) + "\n");
  return rc;
}

}  // namespace hutch::cli
