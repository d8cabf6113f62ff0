// hutch volume create|ls|inspect|rm|prune: docker's named volumes
// (engine/volumes.h).
#include <cstdio>

#include "base/json.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/format.h"
#include "engine/volumes.h"

namespace hutch::cli {

namespace {

// Whether any container (in any state) mounts the named volume.
engine::Volumes::InUse in_use_check(engine::Containers& cs) {
  return [&cs](const std::string& name) {
    auto rows = cs.db().list();
    if (!rows.ok()) return true;  // unknown: keep the volume
    for (const auto& r : *rows) {
      auto doc = engine::Containers::config_of(r);
      if (!doc.ok()) continue;
      json_t* m;
      size_t i;
      json_array_foreach(json_object_get(doc->get(), "Mounts"), i, m) if (json::string_of(m, "Name") == name) return true;
    }
    return false;
  };
}

Result<std::map<std::string, std::string>> kv_list(const std::vector<std::string>& items, const char* flag) {
  std::map<std::string, std::string> out;
  for (const auto& s : items) {
    size_t eq = s.find('=');
    if (eq == 0) return Error::plain(EINVAL, std::string("invalid argument \"") + s + "\" for \"" + flag + "\" flag");
    out[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
  }
  return out;
}

int volume_create(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"driver", "d", true, false, "Specify volume driver name (only \"local\")"},
                               {"label", "", true, true, "Set metadata for a volume"},
                               {"opt", "o", true, true, "Set driver specific options (not supported yet: refused)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "volume create [OPTIONS] [VOLUME]", "Create a volume", &code);
  if (!p.ok()) return code;
  if (p->positional.size() > 1) return usage_error("volume create", "at most 1 argument");
  auto labels = kv_list(p->all("label"), "--label");
  if (!labels.ok()) return fail(labels.error(), 125);
  auto o = kv_list(p->all("opt"), "--opt");
  if (!o.ok()) return fail(o.error(), 125);
  engine::Volumes vols(g.root);
  auto v = vols.create(p->positional.empty() ? "" : p->positional[0], *labels, *o, false, p->get("driver", "local"));
  if (!v.ok()) return fail(v.error());
  print(v->name + "\n");
  return 0;
}

int volume_ls(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"quiet", "q", false, false, "Only display volume names"},
                               {"format", "", true, false, "Format output using a custom template"},
                               {"filter", "f", true, true, "Provide filter values (dangling=true|false, name=X, label=K[=V])"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "volume ls [OPTIONS]", "List volumes", &code);
  if (!p.ok()) return code;
  std::string format = p->get("format");
  if (format.empty() || format == "table") format = p->has("quiet") ? "{{.Name}}" : "table {{.Driver}}\\t{{.Name}}";
  auto fmt = Formatter::parse(format);
  if (!fmt.ok()) return fail(fmt.error());
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto in_use = in_use_check(*cs);
  engine::Volumes vols(g.root);
  auto list = vols.list();
  if (!list.ok()) return fail(list.error());
  for (const auto& v : *list) {
    auto labels = json::parse(v.labels);
    bool keep = true;
    for (const auto& f : p->all("filter")) {
      size_t eq = f.find('=');
      std::string k = f.substr(0, eq), val = eq == std::string::npos ? "" : f.substr(eq + 1);
      if (k == "dangling") keep &= in_use(v.name) == (val == "false" || val == "0");
      else if (k == "name") keep &= v.name.find(val) != std::string::npos;
      else if (k == "label") {
        size_t e2 = val.find('=');
        std::string lk = val.substr(0, e2);
        json_t* lv = labels.ok() ? json_object_get(labels->get(), lk.c_str()) : nullptr;
        keep &= lv && (e2 == std::string::npos || json::string_of(labels->get(), lk.c_str()) == val.substr(e2 + 1));
      } else if (k == "driver") keep &= v.driver == val;
      else return fail(Error::plain(EINVAL, "invalid filter '" + k + "'"));
    }
    if (!keep) continue;
    json::Ptr row(json_object());
    json_object_set_new(row.get(), "Driver", json::str(v.driver));
    json_object_set_new(row.get(), "Name", json::str(v.name));
    json_object_set_new(row.get(), "Mountpoint", json::str(vols.data_dir(v.name)));
    json_object_set_new(row.get(), "Scope", json::str("local"));
    json_object_set_new(row.get(), "Labels", json::str(v.labels == "{}" ? "" : v.labels));
    auto s = fmt->add(row.get());
    if (!s.ok()) return fail(s.error());
  }
  json::Ptr header(json_object());
  json_object_set_new(header.get(), "Driver", json::str("DRIVER"));
  json_object_set_new(header.get(), "Name", json::str("VOLUME NAME"));
  json_object_set_new(header.get(), "Mountpoint", json::str("MOUNTPOINT"));
  json_object_set_new(header.get(), "Scope", json::str("SCOPE"));
  json_object_set_new(header.get(), "Labels", json::str("LABELS"));
  print(fmt->finish(header.get()));
  return 0;
}

int volume_inspect(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"format", "f", true, false, "Format output using a custom template"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "volume inspect [OPTIONS] VOLUME [VOLUME...]",
                         "Display detailed information on one or more volumes", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("volume inspect", "at least 1 argument");
  Args b = {"hutch", "inspect", "--type", "volume"};
  if (p->has("format")) b.insert(b.end(), {"--format", p->get("format")});
  b.insert(b.end(), p->positional.begin(), p->positional.end());
  return cmd_inspect(g, b, 2);
}

int volume_rm(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"force", "f", false, false, "Force the removal of one or more volumes"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "volume rm [OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("volume rm", "at least 1 argument");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  engine::Volumes vols(g.root);
  int rc = 0;
  for (const auto& n : p->positional) {
    auto s = vols.remove(n, p->has("force"), in_use_check(*cs));
    if (!s.ok()) {
      std::fprintf(stderr, "Error response from daemon: %s\n", s.error().message().c_str());
      rc = 1;
      continue;
    }
    print(n + "\n");
  }
  return rc;
}

int volume_prune(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"all", "a", false, false, "Remove all unused volumes, not just anonymous ones"},
                               {"force", "f", false, false, "Do not prompt for confirmation"},
                               {"filter", "", true, true, "Provide filter values (not supported yet: refused)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "volume prune [OPTIONS]", "Remove unused local volumes", &code);
  if (!p.ok()) return code;
  if (p->has("filter")) return fail(Error::plain(ENOTSUP, "volume prune --filter is not supported yet"), 125);
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  engine::Volumes vols(g.root);
  uint64_t freed = 0;
  auto names = vols.prune(p->has("all"), in_use_check(*cs), &freed);
  if (!names.ok()) return fail(names.error());
  std::string out;
  if (!names->empty()) {
    out = "Deleted Volumes:\n";
    for (const auto& n : *names) out += n + "\n";
    out += "\n";
  }
  out += "Total reclaimed space: " + human_size(static_cast<double>(freed)) + "\n";
  print(out);
  return 0;
}

}  // namespace

int cmd_volume(const Global& g, const Args& a, size_t start) {
  static const std::vector<std::pair<const char*, CommandFn>> subs = {
      {"create", volume_create}, {"inspect", volume_inspect}, {"ls", volume_ls}, {"list", volume_ls},
      {"prune", volume_prune},   {"rm", volume_rm},           {"remove", volume_rm}};
  if (start >= a.size() || a[start] == "--help" || a[start] == "-h") {
    print("\nUsage:  hutch volume COMMAND\n\nManage volumes\n\nCommands:\n  create      Create a volume\n"
          "  inspect     Display detailed information on one or more volumes\n  ls          List volumes\n"
          "  prune       Remove unused local volumes\n  rm          Remove one or more volumes\n");
    return start >= a.size() ? 1 : 0;
  }
  for (const auto& [n, fn] : subs)
    if (a[start] == n) return fn(g, a, start + 1);
  std::fprintf(stderr, "hutch: 'volume %s' is not a hutch command.\nSee 'hutch volume --help'\n", a[start].c_str());
  return 1;
}

}  // namespace hutch::cli
