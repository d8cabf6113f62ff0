// hutch inspect: containers, images and volumes in docker's JSON, or a Go
// template per object (--format), with --type to pick the kind.
#include <cstdio>
#include <optional>

#include "base/json.h"
#include "base/template.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "engine/container_network.h"
#include "engine/images.h"
#include "engine/volumes.h"
#include "network/store.h"

namespace hutch::cli {

int cmd_inspect(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"format", "f", true, false, "Format output using a custom template: 'json' or a Go template"},
      {"type", "", true, false, "Only inspect objects of the given type: container, image, volume or network"},
      {"size", "s", false, false, "Display total file sizes if the type is container"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "inspect [OPTIONS] NAME|ID [NAME|ID...]",
                         "Return low-level information on containers, images, volumes or networks", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("inspect", "at least 1 argument");
  std::string type = p->get("type");
  if (!type.empty() && type != "container" && type != "image" && type != "volume" && type != "network")
    return fail(
        Error::plain(EINVAL, "\"" + type + "\" is not a valid value for --type (container, image, volume, network)"));
  std::string format = p->get("format");
  std::optional<tmpl::Template> t;
  if (!format.empty() && format != "json") {
    auto parsed = tmpl::Template::parse(format);
    if (!parsed.ok()) return fail(Error::plain(EINVAL, "template parsing error: " + parsed.error().innermost()), 64);
    t = std::move(parsed).value();
  }
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  engine::Images images(g.root);
  engine::Volumes volumes(g.root);
  json::Ptr all(json_array());
  std::string out;
  std::vector<std::string> errors;
  for (const auto& name : p->positional) {
    json::Ptr obj;
    if (type.empty() || type == "container") {
      auto row = cs->find(name);
      if (row.ok()) obj = engine::inspect_container(cs->paths(), *row);
    }
    if (!obj && (type.empty() || type == "image")) {
      auto text = images.inspect_json(name);
      if (text.ok()) {
        auto parsed = json::parse(*text);
        if (parsed.ok()) obj = std::move(parsed).value();
      }
    }
    if (!obj && (type.empty() || type == "volume")) {
      auto v = volumes.inspect(name);
      if (v.ok()) {
        auto parsed = json::parse(volumes.inspect_json(*v));
        if (parsed.ok()) obj = std::move(parsed).value();
      }
    }
    if (!obj && (type.empty() || type == "network")) {
      auto store = network::Store::open(cs->paths().networks_dir(), cs->paths().ipam_dir());
      std::optional<network::Network> n;
      if (store.ok())
        if (auto found = store->find(name); found.ok()) n = std::move(*found);
      for (auto& pseudo : network::pseudo_networks())
        if (!n && pseudo.name == name) n = pseudo;
      if (n)
        if (auto j = engine::inspect_network(*cs, *n); j.ok()) obj = std::move(*j);
    }
    if (!obj) {
      errors.push_back("no such object: " + name);
      continue;
    }
    if (!t) {
      json_array_append(all.get(), obj.get());
      continue;
    }
    auto r = t->execute(obj.get());
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

}  // namespace hutch::cli
