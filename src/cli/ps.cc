// hutch ps: docker's container list, its columns, --filter and --format
// (docker/cli's formatter/container.go).
#include <time.h>

#include <cstdio>

#include "base/json.h"
#include "base/strings.h"
#include "engine/container_network.h"
#include "network/ports.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/format.h"
#include "engine/volumes.h"

namespace hutch::cli {

namespace {

const char* kTable =
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}";

int64_t now_s() { return static_cast<int64_t>(::time(nullptr)); }

std::string status_text(const state::ContainerRow& r) {
  int64_t now = now_s();
  auto since = [&](int64_t ns) { return human_duration(ns ? now - ns / 1'000'000'000 : 0); };
  std::string health;
  if (!r.health.empty() && (r.status == state::Status::kRunning || r.status == state::Status::kPaused))
    health = r.health == "starting" ? " (health: starting)" : " (" + r.health + ")";
  switch (r.status) {
    case state::Status::kCreated:
      return "Created";
    case state::Status::kRunning:
      return "Up " + since(r.started_at) + health;
    case state::Status::kPaused:
      return "Up " + since(r.started_at) + " (Paused)";
    case state::Status::kRestarting:
      return "Restarting (" + std::to_string(r.exit_code) + ") " + since(r.finished_at) + " ago";
    case state::Status::kRemoving:
      return "Removal In Progress";
    case state::Status::kExited:
      return "Exited (" + std::to_string(r.exit_code) + ") " + since(r.finished_at) + " ago";
    case state::Status::kDead:
      return "Dead";
  }
  return "";
}

std::string command_text(const json_t* doc, bool trunc) {
  std::vector<std::string> parts = {json::string_of(doc, "Path")};
  for (const auto& s : json::strings_of(json_object_get(doc, "Args"))) parts.push_back(s);
  std::string cmd = join(parts, " ");
  if (trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
  return "\"" + cmd + "\"";
}

struct Filter {
  std::string key, value;
};

Result<bool> matches(const state::ContainerRow& r, const json_t* doc, const std::vector<Filter>& fs) {
  // docker: the same key ORs, different keys AND.
  std::map<std::string, bool> by_key;
  for (const auto& f : fs) {
    bool ok = false;
    if (f.key == "id") ok = starts_with(r.id, f.value);
    else if (f.key == "name") ok = r.name.find(f.value) != std::string::npos;
    else if (f.key == "status") ok = state::status_name(r.status) == f.value;
    else if (f.key == "exited") ok = r.status == state::Status::kExited && std::to_string(r.exit_code) == f.value;
    else if (f.key == "health") ok = (r.health.empty() ? "none" : r.health) == f.value;
    else if (f.key == "ancestor") ok = r.image == f.value || starts_with(r.image_id, f.value) ||
                                       starts_with(r.image_id, "sha256:" + f.value);
    else if (f.key == "label") {
      json_t* labels = json_object_get(json_object_get(doc, "Config"), "Labels");
      size_t eq = f.value.find('=');
      std::string k = f.value.substr(0, eq);
      json_t* v = json_object_get(labels, k.c_str());
      ok = v && (eq == std::string::npos || json::string_of(labels, k.c_str()) == f.value.substr(eq + 1));
    } else {
      return Error::plain(EINVAL, "invalid filter '" + f.key + "' (hutch ps filters: id, name, label, status, "
                                                                "exited, health, ancestor)");
    }
    by_key[f.key] = by_key[f.key] || ok;
  }
  for (const auto& [k, v] : by_key)
    if (!v) return false;
  return true;
}

}  // namespace

int cmd_ps(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"all", "a", false, false, "Show all containers (default shows just running)"},
      {"quiet", "q", false, false, "Only display container IDs"},
      {"last", "n", true, false, "Show n last created containers (includes all states)"},
      {"latest", "l", false, false, "Show the latest created container (includes all states)"},
      {"size", "s", false, false, "Display total file sizes"},
      {"filter", "f", true, true, "Filter output based on conditions provided (id, name, label, status, exited, health, ancestor)"},
      {"format", "", true, false, "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'"},
      {"no-trunc", "", false, false, "Don't truncate output"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "ps [OPTIONS]", "List containers", &code);
  if (!p.ok()) return code;
  if (!p->positional.empty()) return usage_error("ps", "no arguments");
  std::vector<Filter> filters;
  for (const auto& f : p->all("filter")) {
    size_t eq = f.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "invalid argument \"%s\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\n",
                   f.c_str());
      return 125;
    }
    filters.push_back({f.substr(0, eq), f.substr(eq + 1)});
  }
  int64_t last = -1;
  if (p->has("last")) {
    auto v = parse_int(p->get("last"));
    if (!v) return fail(Error::plain(EINVAL, "invalid argument \"" + p->get("last") + "\" for \"-n, --last\" flag"), 125);
    last = *v;
  }
  if (p->has("latest")) last = 1;
  bool all = p->has("all") || last >= 0;
  bool trunc = !p->has("no-trunc");
  std::string format = p->get("format");
  if (format.empty() || format == "table") format = p->has("quiet") ? "{{.ID}}" : kTable;
  if (p->has("size") && format == kTable) format += "\\t{{.Size}}";
  auto fmt = Formatter::parse(format);
  if (!fmt.ok()) return fail(fmt.error());

  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto rows = cs->list();
  if (!rows.ok()) return fail(rows.error());
  int64_t shown = 0;
  for (const auto& r : *rows) {
    if (last >= 0 && shown >= last) break;
    bool active = r.status == state::Status::kRunning || r.status == state::Status::kPaused ||
                  r.status == state::Status::kRestarting;
    auto doc = engine::Containers::config_of(r);
    if (!doc.ok()) continue;
    if (!all && !active && filters.empty()) continue;
    auto m = matches(r, doc->get(), filters);
    if (!m.ok()) return fail(m.error(), 1);
    if (!*m) continue;
    if (!all && !active) {
      bool status_filter = false;
      for (const auto& f : filters) status_filter |= f.key == "status" || f.key == "exited";
      if (!status_filter) continue;
    }
    ++shown;
    json::Ptr row(json_object());
    json_object_set_new(row.get(), "ID", json::str(trunc ? r.id.substr(0, 12) : r.id));
    json_object_set_new(row.get(), "Image", json::str(r.image));
    json_object_set_new(row.get(), "Command", json::str(command_text(doc->get(), trunc)));
    json_object_set_new(row.get(), "CreatedAt", json::str(go_time(r.created / 1'000'000'000)));
    json_object_set_new(row.get(), "RunningFor", json::str(human_duration(now_s() - r.created / 1'000'000'000) + " ago"));
    std::string ports;
    if (active) {
      auto exposed = network::exposed_ports_from_json(
          json_object_get(json_object_get(doc->get(), "Config"), "ExposedPorts"));
      ports = network::format_ports(engine::published_ports(cs->paths(), r.id),
                                    exposed.ok() ? *exposed : std::set<std::string>{});
    }
    json_object_set_new(row.get(), "Ports", json::str(ports));
    json_object_set_new(row.get(), "State", json::str(state::status_name(r.status)));
    json_object_set_new(row.get(), "Status", json::str(status_text(r)));
    json_object_set_new(row.get(), "Names", json::str(r.name));
    json_t* labels = json_object_get(json_object_get(doc->get(), "Config"), "Labels");
    std::vector<std::string> lv;
    const char* k;
    json_t* v;
    json_object_foreach(labels, k, v) lv.push_back(std::string(k) + "=" + (json_is_string(v) ? json_string_value(v) : ""));
    json_object_set_new(row.get(), "Labels", json::str(join(lv, ",")));
    std::vector<std::string> mv;
    json_t* mo;
    size_t i;
    json_array_foreach(json_object_get(doc->get(), "Mounts"), i, mo) {
      std::string name = json::string_of(mo, "Name");
      mv.push_back(name.empty() ? json::string_of(mo, "Source") : name);
    }
    json_object_set_new(row.get(), "Mounts", json::str(join(mv, ",")));
    json_object_set_new(row.get(), "Networks", json::str(json::string_of(json_object_get(doc->get(), "HostConfig"), "NetworkMode")));
    json_object_set_new(row.get(), "Size", json::str("0B"));
    if (p->has("size") || format.find(".Size") != std::string::npos) {
      // The container's writable layer.
      auto bytes = engine::tree_size(cs->paths().upper(r.id));
      json_object_set_new(row.get(), "Size", json::str(human_size(static_cast<double>(bytes.ok() ? *bytes : 0), 3)));
    }
    auto s = fmt->add(row.get());
    if (!s.ok()) return fail(s.error());
  }
  json::Ptr header(json_object());
  for (const auto& [key, title] : std::vector<std::pair<const char*, const char*>>{
           {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Command", "COMMAND"}, {"CreatedAt", "CREATED AT"},
           {"RunningFor", "CREATED"}, {"Ports", "PORTS"}, {"State", "STATE"}, {"Status", "STATUS"},
           {"Names", "NAMES"}, {"Labels", "LABELS"}, {"Mounts", "MOUNTS"}, {"Networks", "NETWORKS"},
           {"Size", "SIZE"}})
    json_object_set_new(header.get(), key, json::str(title));
  print(fmt->finish(header.get()));
  return 0;
}

}  // namespace hutch::cli
