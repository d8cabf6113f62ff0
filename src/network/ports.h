// Published ports: docker's -p/-P/--expose syntax, the stored form docker
// keeps in HostConfig.PortBindings and Config.ExposedPorts, the concrete
// host ports chosen when a container starts (PortMapping, the portmap
// plugin's entry), and the text `ps` and `port` print.
//
// Compute, then apply: parsing, the JSON forms and formatting are pure;
// allocate() alone touches the kernel, binding a throwaway socket per port
// to learn whether it is free (the portmap plugin itself binds nothing, so
// the ports other hutch containers publish come in as `taken`).
// Thread-safety: pure functions, except allocate(), which only opens and
// closes its own sockets.
#pragma once

#include <jansson.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "network/types.h"

namespace hutch::network {

// One host side of a published port, as docker stores it.
struct PortBinding {
  std::string host_ip;    // "" = every address; "127.0.0.1", "::1" (no brackets)
  std::string host_port;  // "" = random; "8080"; "8000-8010" = first free port of the range

  bool operator==(const PortBinding&) const = default;
};

// docker's PortMap: container port "80/tcp" -> its host bindings (one
// container port may be published several times). Keys sort as Go sorts
// map keys when it writes JSON.
using PortBindings = std::map<std::string, std::vector<PortBinding>>;

// One -p value: [ip:][hostPort:]containerPort[/tcp|udp|sctp], ranges
// "8000-8010:80-90", "127.0.0.1::80" (random host port), "[::1]:8080:80",
// "8000-8010:80" (a host range for one container port), or docker's long
// form "target=80,published=8080,protocol=udp,host_ip=127.0.0.1". Errors
// are EINVAL with go-connections' texts: "invalid containerPort: x",
// "invalid hostPort: x", "invalid proto: x", "invalid IP address: x",
// "invalid ranges specified for container and host Ports: 80-90 and 8000-8001".
Result<PortBindings> parse_publish(const std::string& spec);
// Every -p in order, merged: bindings of one container port accumulate.
Result<PortBindings> parse_publish(const std::vector<std::string>& specs);

// One --expose value ("80", "80/udp", "8000-8010/tcp"), expanded to single
// ports {"8000/tcp", ..., "8010/tcp"}. EINVAL "invalid port format for
// --expose: 80:80", "invalid range format for --expose: x, error: ...".
Result<std::set<std::string>> parse_expose(const std::string& spec);

// -P: every exposed port that has no binding yet gets a random host port.
PortBindings publish_all(const std::set<std::string>& exposed, PortBindings bindings = {});

// HostConfig.PortBindings: {"80/tcp":[{"HostIp":"","HostPort":"8080"}]}.
json::Ptr port_bindings_json(const PortBindings& b);
// The reverse; null or a missing member gives an empty map. Keys without a
// protocol ("80") are read as tcp; EINVAL names the bad key or member.
Result<PortBindings> port_bindings_from_json(const json_t* j);
// Config.ExposedPorts: {"80/tcp":{}}.
json::Ptr exposed_ports_json(const std::set<std::string>& ports);
// The reverse, keys normalised as parse_expose does ("80" -> "80/tcp").
Result<std::set<std::string>> exposed_ports_from_json(const json_t* j);

// Concrete host ports for a container's bindings, in key order. Random
// ports come from the kernel (bind port 0 on that protocol and address,
// read it back, close); explicit ones must pass a bind test and not be in
// `taken` (what other running hutch containers published) nor asked twice
// here. A host range takes its first port that passes. A busy port is
// Error(EADDRINUSE, "port 8080/tcp is already in use on 0.0.0.0"). Host
// IPs "0.0.0.0" and "" both come out as "" (every address).
Result<std::vector<PortMapping>> allocate(const PortBindings& bindings, const std::vector<PortMapping>& taken);

// docker ps's PORTS column: "0.0.0.0:8080->80/tcp, 53/udp". Exposed ports
// without a mapping show bare; mappings whose host and container ports are
// equal merge into ranges ("0.0.0.0:80-82->80-82/tcp"), others are listed
// one by one after them, as docker's DisplayablePorts does.
std::string format_ports(const std::vector<PortMapping>& mappings, const std::set<std::string>& exposed);
// "0.0.0.0:8080", "[::1]:8080": the host side as `hutch port` prints it.
std::string host_address(const PortMapping& m);
// `hutch port CONTAINER`: "80/tcp -> 0.0.0.0:8080", sorted by container
// port, protocol, host address.
std::vector<std::string> port_lines(const std::vector<PortMapping>& mappings);

}  // namespace hutch::network
