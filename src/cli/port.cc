// hutch port CONTAINER [PRIVATE_PORT[/PROTO]]: docker's list of a
// container's published ports, "80/tcp -> 0.0.0.0:8080": the host ports
// its networking chose at start (random ones included), while it runs;
// containers without published ports print nothing.
#include <cstdio>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "engine/container_network.h"
#include "network/ports.h"

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
  // The concrete ports (random ones chosen) while it runs; none otherwise.
  std::vector<network::PortMapping> ports;
  for (const auto& m : engine::published_ports(cs->paths(), row->id))
    if (want.empty() || want == std::to_string(m.container_port) + "/" + m.protocol) ports.push_back(m);
  std::string out;
  if (want.empty()) {
    for (const auto& line : network::port_lines(ports)) out += line + "\n";
  } else {
    for (const auto& m : ports) out += network::host_address(m) + "\n";
    if (ports.empty()) return fail(Error::plain(ENOENT, "no public port '" + want + "' published for " + ref));
  }
  print(out);
  return 0;
}

}  // namespace hutch::cli
