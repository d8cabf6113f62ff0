// hutch port CONTAINER [PRIVATE_PORT[/PROTO]]: docker's list of a
// container's published ports, "80/tcp -> 0.0.0.0:8080", read from the
// row's HostConfig.PortBindings (docker's {"80/tcp": [{"HostIp", "HostPort"}]});
// containers without published ports print nothing.
#include <cstdio>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/container_common.h"

namespace hutch::cli {

int cmd_port(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "port CONTAINER [PRIVATE_PORT[/PROTO]]",
                         "List port mappings or a specific mapping for the container", &code);
  if (!p.ok()) return code;
  if (p->positional.empty() || p->positional.size() > 2)
    return usage_error("port", p->positional.empty() ? "at least 1 argument" : "at most 2 arguments");
  const std::string& ref = p->positional[0];
  std::string want;
  if (p->positional.size() == 2) {
    want = p->positional[1];
    if (want.find('/') == std::string::npos) want += "/tcp";
  }
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto row = cs->find(ref);
  if (!row.ok()) return fail(row.error());
  auto doc = engine::Containers::config_of(*row);
  if (!doc.ok()) return fail(doc.error());
  json_t* bindings = json_object_get(json_object_get(doc->get(), "HostConfig"), "PortBindings");
  std::string out;
  bool found = false;
  const char* port;
  json_t* list;
  json_object_foreach(bindings, port, list) {
    if (!want.empty() && want != port) continue;
    size_t i;
    json_t* b;
    json_array_foreach(list, i, b) {
      std::string ip = json::string_of(b, "HostIp");
      if (ip.empty()) ip = "0.0.0.0";
      std::string host = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + json::string_of(b, "HostPort");
      out += want.empty() ? std::string(port) + " -> " + host + "\n" : host + "\n";
      found = true;
    }
  }
  if (!want.empty() && !found)
    return fail(Error::plain(ENOENT, "no public port '" + want + "' published for " + ref));
  print(out);
  return 0;
}

}  // namespace hutch::cli
