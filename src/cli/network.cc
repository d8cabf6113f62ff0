// hutch network create|ls|inspect|rm|prune|connect|disconnect: docker's
// networks as CNI conflists (network/store.h); which containers use them
// comes from the engine (engine/container_network.h).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "base/json.h"
#include "base/strings.h"
#include "base/template.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/format.h"
#include "engine/container_network.h"
#include "engine/events.h"
#include "network/store.h"

namespace hutch::cli {

namespace {

Result<network::Store> open_store(engine::Containers& cs) {
  return network::Store::open(cs.paths().networks_dir(), cs.paths().ipam_dir());
}

// "host" or "none" by name or id: docker's pseudo networks.
std::optional<network::Network> pseudo(const std::string& ref) {
  for (auto& n : network::pseudo_networks())
    if (n.name == ref || n.id == ref) return n;
  return std::nullopt;
}

// A stored network or a pseudo one, by name, id or id prefix.
Result<network::Network> find_any(network::Store& store, const std::string& ref) {
  if (auto p = pseudo(ref)) return *p;
  return store.find(ref);
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

void event(engine::Containers& cs, const char* action, const network::Network& n) {
  state::EventRow e;
  e.type = "network";
  e.action = action;
  e.id = n.id;
  json::Ptr attrs(json_object());
  json_object_set_new(attrs.get(), "name", json::str(n.name));
  json_object_set_new(attrs.get(), "type", json::str(n.driver));
  e.attributes = json::dump(attrs.get());
  (void)cs.db().add_event(std::move(e));  // the network exists either way
}

// Whether the container runs (and so holds an endpoint on its networks).
bool active(engine::Containers& cs, const std::string& id) {
  auto row = cs.find(id);
  if (!row.ok()) return false;
  auto s = row->status;
  return s == state::Status::kRunning || s == state::Status::kPaused || s == state::Status::kRestarting;
}

// Asks docker's question on a terminal (as container prune does); without
// one, and without -f, says why nothing was done.
bool confirmed(bool force, const char* warning, const char* what) {
  if (force) return true;
  if (!::isatty(0)) {
    std::fprintf(stderr,
                 "Error: %s requires confirmation and stdin is not a terminal; use -f (--force) to proceed "
                 "without it\n",
                 what);
    return false;
  }
  std::fputs((std::string(warning) + "Are you sure you want to continue? [y/N] ").c_str(), stdout);
  std::fflush(stdout);
  char answer[16] = {};
  return std::fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

// Whether the labels satisfy one "key" or "key=value" term.
bool label_matches(const std::map<std::string, std::string>& labels, const std::string& term) {
  size_t eq = term.find('=');
  auto it = labels.find(term.substr(0, eq));
  return it != labels.end() && (eq == std::string::npos || it->second == term.substr(eq + 1));
}

int network_create(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"driver", "d", true, false, "Driver to manage the Network: bridge, macvlan or ipvlan (default \"bridge\")"},
      {"gateway", "", true, true, "IPv4 Gateway for the master subnet"},
      {"internal", "", false, false, "Restrict external access to the network"},
      {"ip-range", "", true, true, "Allocate container ip from a sub-range"},
      {"label", "l", true, true, "Set metadata on a network"},
      {"opt", "o", true, true, "Set driver specific options (parent=IFACE for macvlan and ipvlan)"},
      {"subnet", "", true, true, "Subnet in CIDR format that represents a network segment"},
      {"ipv6", "", false, false, "Enable IPv6 networking (not supported yet: refused)"},
      {"attachable", "", false, false, "Enable manual container attachment (swarm only: refused)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "network create [OPTIONS] NETWORK", "Create a network", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) return usage_error("network create", "exactly 1 argument");
  if (p->has("ipv6")) return fail(Error::plain(ENOTSUP, "IPv6 networks are not supported yet"));
  if (p->has("attachable"))
    return fail(Error::plain(ENOTSUP, "--attachable is for swarm networks; every hutch network takes "
                                      "`hutch network connect` already"));
  network::CreateOptions o;
  o.name = p->positional[0];
  o.driver = p->get("driver", "bridge");
  o.subnets = p->all("subnet");
  o.gateways = p->all("gateway");
  o.ip_ranges = p->all("ip-range");
  o.internal = p->has("internal");
  auto labels = kv_list(p->all("label"), "--label");
  if (!labels.ok()) return fail(labels.error(), 125);
  auto options = kv_list(p->all("opt"), "--opt");
  if (!options.ok()) return fail(options.error(), 125);
  o.labels = *labels;
  o.options = *options;
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto store = open_store(*cs);
  if (!store.ok()) return fail(store.error());
  auto n = store->create(o);
  if (!n.ok()) return fail(n.error());
  event(*cs, "create", *n);
  print(n->id + "\n");
  return 0;
}

int network_ls(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"filter", "f", true, true,
       "Provide filter values (driver=X, id=X, label=K[=V], name=X, scope=local, type=custom|builtin, "
       "dangling=true|false)"},
      {"format", "", true, false, "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or TEMPLATE"},
      {"no-trunc", "", false, false, "Do not truncate the output"},
      {"quiet", "q", false, false, "Only display network IDs"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "network ls [OPTIONS]", "List networks", &code);
  if (!p.ok()) return code;
  std::map<std::string, std::vector<std::string>> filters;
  for (const auto& f : p->all("filter")) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(Error::plain(EINVAL, "bad format of filter (expected name=value)"), 125);
    std::string k = f.substr(0, eq), v = f.substr(eq + 1);
    if (k != "driver" && k != "id" && k != "label" && k != "name" && k != "scope" && k != "type" && k != "dangling")
      return fail(Error::plain(EINVAL, "invalid filter '" + k + "'"), 125);
    if (k == "dangling" && v != "true" && v != "false" && v != "1" && v != "0")
      return fail(Error::plain(EINVAL, "invalid filter 'dangling=" + v + "'"), 125);
    if (k == "type" && v != "custom" && v != "builtin")
      return fail(Error::plain(EINVAL, "invalid filter 'type=" + v + "'"), 125);
    filters[k].push_back(v);
  }
  bool no_trunc = p->has("no-trunc");
  std::string format = p->get("format");
  if (format.empty() || format == "table")
    format = p->has("quiet") ? "{{.ID}}" : "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}";
  auto fmt = Formatter::parse(format);
  if (!fmt.ok()) return fail(fmt.error());
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto store = open_store(*cs);
  if (!store.ok()) return fail(store.error());
  auto list = store->list();
  if (!list.ok()) return fail(list.error());
  std::vector<network::Network> all = std::move(list).value();
  for (auto& n : network::pseudo_networks()) all.push_back(std::move(n));
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  for (const auto& n : all) {
    bool keep = true;
    for (const auto& [k, values] : filters) {
      bool any = false;
      for (const auto& v : values) {
        if (k == "driver") any |= n.driver == v;
        else if (k == "id") any |= n.id.find(v) != std::string::npos;
        else if (k == "name") any |= n.name.find(v) != std::string::npos;
        else if (k == "label") any |= label_matches(n.labels, v);
        else if (k == "scope") any |= v == "local";
        else if (k == "type") any |= (v == "builtin") == n.builtin;
        else if (k == "dangling") {
          bool used = n.builtin;
          if (!used) {
            auto ids = engine::containers_on_network(*cs, n.name);
            used = !ids.ok() || !ids->empty();  // unknown: not dangling
          }
          any |= used == (v == "false" || v == "0");
        }
      }
      keep &= any;
    }
    if (!keep) continue;
    std::string labels;
    for (const auto& [k, v] : n.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
    json::Ptr row(json_object());
    json_object_set_new(row.get(), "ID", json::str(no_trunc ? n.id : truncate_id(n.id)));
    json_object_set_new(row.get(), "Name", json::str(n.name));
    json_object_set_new(row.get(), "Driver", json::str(n.driver));
    json_object_set_new(row.get(), "Scope", json::str("local"));
    json_object_set_new(row.get(), "IPv6", json::str("false"));
    json_object_set_new(row.get(), "Internal", json::str(n.internal ? "true" : "false"));
    json_object_set_new(row.get(), "Labels", json::str(labels));
    json_object_set_new(row.get(), "CreatedAt", json::str(n.created));
    auto s = fmt->add(row.get());
    if (!s.ok()) return fail(s.error());
  }
  json::Ptr header(json_object());
  json_object_set_new(header.get(), "ID", json::str("NETWORK ID"));
  json_object_set_new(header.get(), "Name", json::str("NAME"));
  json_object_set_new(header.get(), "Driver", json::str("DRIVER"));
  json_object_set_new(header.get(), "Scope", json::str("SCOPE"));
  json_object_set_new(header.get(), "IPv6", json::str("IPV6"));
  json_object_set_new(header.get(), "Internal", json::str("INTERNAL"));
  json_object_set_new(header.get(), "Labels", json::str("LABELS"));
  json_object_set_new(header.get(), "CreatedAt", json::str("CREATED AT"));
  print(fmt->finish(header.get()));
  return 0;
}

int network_inspect(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"format", "f", true, false, "Format output using a custom template: 'json' or a Go template"},
                               {"verbose", "v", false, false, "Verbose output for diagnostics (no extra detail locally)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "network inspect [OPTIONS] NETWORK [NETWORK...]",
                         "Display detailed information on one or more networks", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("network inspect", "at least 1 argument");
  std::string format = p->get("format");
  std::optional<tmpl::Template> t;
  if (!format.empty() && format != "json") {
    auto parsed = tmpl::Template::parse(format);
    if (!parsed.ok()) return fail(Error::plain(EINVAL, "template parsing error: " + parsed.error().innermost()), 64);
    t = std::move(parsed).value();
  }
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto store = open_store(*cs);
  if (!store.ok()) return fail(store.error());
  json::Ptr all(json_array());
  std::string out;
  std::vector<std::string> errors;
  for (const auto& ref : p->positional) {
    auto n = find_any(*store, ref);
    if (!n.ok()) {
      errors.push_back(n.error().code() == ENOENT ? "No such network: " + ref : n.error().message());
      continue;
    }
    auto obj = engine::inspect_network(*cs, *n);
    if (!obj.ok()) {
      errors.push_back(obj.error().message());
      continue;
    }
    if (!t) {
      json_array_append(all.get(), obj->get());
      continue;
    }
    auto r = t->execute(obj->get());
    if (!r.ok()) {
      errors.push_back("template parsing error: " + r.error().innermost());
      continue;
    }
    out += *r + "\n";
  }
  if (!t) out = json::dump(all.get(), format == "json" ? 0 : 4) + "\n";
  print(out);
  if (errors.empty()) return 0;
  std::string msg;
  for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
  return fail(Error::plain(0, msg));
}

int network_rm(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"force", "f", false, false, "Do not error if the network does not exist"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "network rm [OPTIONS] NETWORK [NETWORK...]", "Remove one or more networks", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("network rm", "at least 1 argument");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto store = open_store(*cs);
  if (!store.ok()) return fail(store.error());
  int rc = 0;
  auto report = [&rc](const std::string& text) {
    std::fprintf(stderr, "Error response from daemon: %s\n", text.c_str());
    rc = 1;
  };
  for (const auto& ref : p->positional) {
    auto n = find_any(*store, ref);
    if (!n.ok()) {
      if (!(p->has("force") && n.error().code() == ENOENT)) report(n.error().message());
      continue;
    }
    if (n->builtin) {
      report(n->name + " is a pre-defined network and cannot be removed");
      continue;
    }
    auto ids = engine::containers_on_network(*cs, n->name);
    if (!ids.ok()) {
      report(ids.error().message());
      continue;
    }
    bool busy = false;
    for (const auto& id : *ids) busy |= active(*cs, id);
    if (busy) {
      report("error while removing network: network " + n->name + " id " + n->id + " has active endpoints");
      continue;
    }
    auto s = store->remove(n->id);
    if (!s.ok()) {
      report(s.error().message());
      continue;
    }
    event(*cs, "destroy", *n);
    print(ref + "\n");
  }
  return rc;
}

int network_prune(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"filter", "", true, true, "Provide filter values (e.g. \"until=<timestamp>\", \"label=K[=V]\", \"label!=K[=V]\")"},
      {"force", "f", false, false, "Do not prompt for confirmation"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "network prune [OPTIONS]", "Remove all unused networks", &code);
  if (!p.ok()) return code;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  std::optional<int64_t> until;
  std::vector<std::pair<std::string, bool>> labels;  // term, wanted
  for (const auto& f : p->all("filter")) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(Error::plain(EINVAL, "bad format of filter (expected name=value)"), 125);
    std::string k = f.substr(0, eq), v = f.substr(eq + 1);
    if (k == "until") {
      auto t = engine::parse_timestamp(v, now);
      if (!t.ok()) return fail(t.error(), 125);
      until = *t;
    } else if (k == "label" || k == "label!") {
      labels.emplace_back(v, k == "label");
    } else {
      return fail(Error::plain(EINVAL, "invalid filter '" + k + "'"), 125);
    }
  }
  if (!confirmed(p->has("force"), "WARNING! This will remove all custom networks not used by at least one container.\n",
                 "network prune"))
    return 1;
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto store = open_store(*cs);
  if (!store.ok()) return fail(store.error());
  auto list = store->list();
  if (!list.ok()) return fail(list.error());
  std::vector<std::string> deleted;
  int rc = 0;
  for (const auto& n : *list) {
    if (n.builtin || !n.hutch_made) continue;  // users' own conflists are theirs to remove
    bool keep = false;
    for (const auto& [term, wanted] : labels) keep |= label_matches(n.labels, term) != wanted;
    if (until) {
      auto created = engine::parse_timestamp(n.created, now);
      keep |= !created.ok() || *created >= *until;
    }
    if (keep) continue;
    auto ids = engine::containers_on_network(*cs, n.name);
    if (!ids.ok() || !ids->empty()) continue;
    auto s = store->remove(n.id);
    if (!s.ok()) {
      std::fprintf(stderr, "Error: %s\n", s.error().message().c_str());
      rc = 1;
      continue;
    }
    event(*cs, "destroy", n);
    deleted.push_back(n.name);
  }
  if (!deleted.empty()) {
    std::string out = "Deleted Networks:\n";
    for (const auto& d : deleted) out += d + "\n";
    print(out + "\n");
  }
  return rc;
}

// docker's refusal for host and none.
Error pseudo_refusal(const network::Network& n) {
  return Error::plain(EPERM, "container cannot be disconnected from " + n.name + " network or connected to " + n.name +
                                 " network");
}

int network_connect(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"alias", "", true, true, "Add network-scoped alias for the container"},
                               {"ip", "", true, false, "IPv4 address (e.g., \"172.30.100.104\")"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "network connect [OPTIONS] NETWORK CONTAINER",
                         "Connect a container to a network", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 2) return usage_error("network connect", "exactly 2 arguments");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto store = open_store(*cs);
  if (!store.ok()) return fail(store.error());
  auto n = find_any(*store, p->positional[0]);
  if (!n.ok()) return fail(n.error());
  if (n->pseudo) return fail(pseudo_refusal(*n));
  engine::EndpointOptions o;
  o.aliases = p->all("alias");
  o.ip = p->get("ip");
  if (!o.ip.empty()) {
    auto s = network::check_static_ip(*n, o.ip);
    if (!s.ok()) return fail(s.error());
  }
  auto s = engine::connect_network(*cs, p->positional[1], n->name, o);
  if (!s.ok()) return fail(s.error());
  return 0;
}

int network_disconnect(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"force", "f", false, false, "Force the container to disconnect from a network"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "network disconnect [OPTIONS] NETWORK CONTAINER",
                         "Disconnect a container from a network", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 2) return usage_error("network disconnect", "exactly 2 arguments");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto store = open_store(*cs);
  if (!store.ok()) return fail(store.error());
  auto n = find_any(*store, p->positional[0]);
  // With -f a network already gone can still be dropped from the container.
  if (!n.ok() && !p->has("force")) return fail(n.error());
  if (n.ok() && n->pseudo) return fail(pseudo_refusal(*n));
  auto s = engine::disconnect_network(*cs, p->positional[1], n.ok() ? n->name : p->positional[0], p->has("force"));
  if (!s.ok()) return fail(s.error());
  return 0;
}

}  // namespace

int cmd_network(const Global& g, const Args& a, size_t start) {
  static const std::vector<std::pair<const char*, CommandFn>> subs = {
      {"connect", network_connect}, {"create", network_create}, {"disconnect", network_disconnect},
      {"inspect", network_inspect}, {"ls", network_ls},         {"list", network_ls},
      {"prune", network_prune},     {"rm", network_rm},         {"remove", network_rm}};
  if (start >= a.size() || a[start] == "--help" || a[start] == "-h") {
    print("\nUsage:  hutch network COMMAND\n\nManage networks\n\nCommands:\n"
          "  connect     Connect a container to a network\n"
          "  create      Create a network\n"
          "  disconnect  Disconnect a container from a network\n"
          "  inspect     Display detailed information on one or more networks\n"
          "  ls          List networks\n"
          "  prune       Remove all unused networks\n"
          "  rm          Remove one or more networks\n\n"
          "Run 'hutch network COMMAND --help' for more information on a command.\n");
    return start >= a.size() ? 1 : 0;
  }
  for (const auto& [n, fn] : subs)
    if (a[start] == n) return fn(g, a, start + 1);
  std::fprintf(stderr, "hutch: 'network %s' is not a hutch command.\nSee 'hutch network --help'\n", a[start].c_str());
  return 1;
}

}  // namespace hutch::cli
