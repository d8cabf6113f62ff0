// Network definitions: what a hutch network is (a CNI conflist plus a
// top-level "hutch" object CNI ignores), the pure IPv4 subnet arithmetic
// behind docker's --subnet/--gateway/--ip-range and its address pools, the
// conflist hutch generates for each driver, and the reading of any conflist
// (hutch's or one a user dropped in the directory) back into a Network.
// No I/O here: store.h reads and writes the files.
// Thread-safety: pure functions and plain values.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::network {

// An IPv4 address in host byte order.
using Ipv4 = uint32_t;

std::optional<Ipv4> parse_ipv4(std::string_view s);
std::string format_ipv4(Ipv4 a);

// An IPv4 prefix: "10.1.0.0/16".
struct Cidr {
  Ipv4 addr = 0;
  int prefix = 32;

  Ipv4 mask() const { return prefix == 0 ? 0 : ~Ipv4{0} << (32 - prefix); }
  Ipv4 first() const { return addr & mask(); }   // the network address
  Ipv4 last() const { return first() | ~mask(); }  // the broadcast address
  std::string str() const { return format_ipv4(addr) + "/" + std::to_string(prefix); }
  bool operator==(const Cidr&) const = default;
};

// Parses "A.B.C.D/N" with the host bits zero (docker's rule: "10.1.0.5/16"
// is refused, naming 10.1.0.0/16). An IPv6 prefix is ENOTSUP.
Result<Cidr> parse_cidr(std::string_view s);
bool overlaps(const Cidr& a, const Cidr& b);
bool contains(const Cidr& c, Ipv4 ip);
bool contains(const Cidr& outer, const Cidr& inner);
// The first usable host: .1 of a /24; the address itself for /31 and /32.
Ipv4 first_host(const Cidr& c);

// docker's rule for network names: ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$
bool valid_network_name(std::string_view name);

// docker's pools for networks made without --subnet, in the order tried:
// 172.18.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/20 ... 192.168.240.0/20.
std::vector<Cidr> default_pools();
// The first pool that overlaps nothing in `taken`; ENOSPC (docker's
// message) when every pool does.
Result<Cidr> pick_subnet(const std::vector<Cidr>& taken);
// The destinations of /proc/net/route's text, default routes left out.
std::vector<Cidr> parse_proc_routes(std::string_view text);

// One IPAM range: the subnet, its gateway, and the --ip-range containers'
// addresses come from ("" = the whole subnet).
struct Subnet {
  std::string subnet, gateway, ip_range;
  bool operator==(const Subnet&) const = default;
};

// The names docker gives its built-in networks; "bridge" is stored (the
// default network), "host" and "none" exist only as pseudo networks.
inline constexpr const char* kDefaultNetwork = "bridge";
inline constexpr const char* kDefaultBridge = "hutch0";
inline constexpr const char* kDefaultSubnet = "172.17.0.0/16";
inline constexpr const char* kDefaultGateway = "172.17.0.1";

struct Network {
  std::string name, id, driver, created;  // created: RFC 3339, nanoseconds
  std::vector<Subnet> subnets;
  bool internal = false;
  bool builtin = false;     // the default "bridge", "host", "none": never removed
  bool hutch_made = true;   // false: a user's conflist (no "hutch" object)
  bool pseudo = false;      // "host" or "none": no conflist, no CNI
  std::map<std::string, std::string> labels, options;
  std::string bridge;       // the bridge device ("" unless driver bridge)
  std::string conflist;     // the CNI conflist, ipam.dataDir injected (hutch's only)
  std::string path;         // the file ("" for pseudo networks)

  // Whether containers on it resolve each other by name: user-defined
  // hutch networks yes, the default bridge no (docker's rule).
  bool dns() const { return hutch_made && !builtin && !pseudo; }
  // Whether hutch masquerades its subnets going out (nat.h): hutch's
  // bridge networks unless --internal or enable_ip_masquerade=false.
  bool nat() const;
};

// docker network create's request, flags as given.
struct CreateOptions {
  std::string name;
  std::string driver = "bridge";           // bridge | macvlan | ipvlan
  std::vector<std::string> subnets;        // --subnet (CIDR)
  std::vector<std::string> gateways;       // --gateway, each inside one subnet
  std::vector<std::string> ip_ranges;      // --ip-range, each inside one subnet
  bool internal = false;
  std::map<std::string, std::string> labels, options;  // options: -o k=v, incl. parent=
};

// Checks the name, driver and driver options (not the subnets). EINVAL
// with docker's wording where docker has one.
Status validate_create(const CreateOptions& o);

// A network already defined, for overlap checks.
struct Existing {
  std::string name;
  Cidr subnet;
};
// The IPAM ranges of a new network: the explicit --subnet/--gateway/
// --ip-range, validated and paired (a gateway or range goes with the
// subnet containing it), or one subnet from the pools when none is given,
// avoiding `existing` and `routes`. Gateways default to the first host.
Result<std::vector<Subnet>> assign_subnets(const CreateOptions& o, const std::vector<Existing>& existing,
                                           const std::vector<Cidr>& routes);

// The conflist file for a hutch network (cniVersion 1.0.0, pretty JSON,
// no dataDir): plugins by driver, the "hutch" object on top.
std::string conflist_text(const Network& n);

// Reads a conflist file's text into a Network. `ipam_dir` goes into every
// host-local ipam.dataDir of hutch networks' conflists. A user's conflist
// (no "hutch" object) gets driver = its first plugin's type, a stable id
// made from its name, and the subnets of its host-local ranges. `created`
// is used when the file says nothing.
Result<Network> parse_conflist(std::string_view text, const std::string& ipam_dir, const std::string& created);

// Checks a container's --ip for network `n` as docker does: IPv4 only, user
// networks with a subnet only, inside a subnet (its --ip-range when set)
// and neither the gateway nor the network or broadcast address.
Status check_static_ip(const Network& n, const std::string& ip);

// "host" and "none" as docker lists them (drivers host and null).
std::vector<Network> pseudo_networks();

// docker network inspect's object for `n`, "Containers" empty (the engine
// knows them): Name, Id, Created, Scope, Driver, EnableIPv6, IPAM,
// Internal, Attachable, Ingress, ConfigFrom, ConfigOnly, Containers,
// Options, Labels. Returns a new reference.
json_t* docker_json(const Network& n);

}  // namespace hutch::network
