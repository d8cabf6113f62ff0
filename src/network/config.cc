#include "network/config.h"

#include <cstdio>

#include "base/json.h"
#include "base/strings.h"

namespace hutch::network {

namespace {

constexpr const char* kBridgeName = "com.docker.network.bridge.name";
constexpr const char* kMtu = "com.docker.network.driver.mtu";
constexpr const char* kMasquerade = "com.docker.network.bridge.enable_ip_masquerade";
constexpr const char* kIcc = "com.docker.network.bridge.enable_icc";

Error invalid(std::string text) { return Error::plain(EINVAL, std::move(text)); }

// 64 hex digits from FNV-1a over the name, four rounds with a salt: a
// stable id for networks that carry none (users' conflists, host, none).
std::string stable_id(std::string_view name) {
  std::string out;
  for (int round = 0; round < 4; ++round) {
    uint64_t h = 14695981039346656037ull;
    auto mix = [&h](unsigned char c) {
      h ^= c;
      h *= 1099511628211ull;
    };
    mix(static_cast<unsigned char>('0' + round));
    for (unsigned char c : name) mix(c);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    out += buf;
  }
  return out;
}

bool bool_option(const std::map<std::string, std::string>& o, const char* key, bool def) {
  auto it = o.find(key);
  if (it == o.end()) return def;
  return it->second == "true" || it->second == "1";
}

std::string option(const std::map<std::string, std::string>& o, const char* key, const std::string& def = "") {
  auto it = o.find(key);
  return it == o.end() ? def : it->second;
}

// Checks the value of one of the booleans docker takes as strings.
Status check_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "false" || v == "1" || v == "0") return Ok{};
  return invalid("invalid value \"" + v + "\" for option " + key + ": use true or false");
}

json_t* string_map(const std::map<std::string, std::string>& m) {
  json_t* o = json_object();
  for (const auto& [k, v] : m) json_object_set_new(o, k.c_str(), json::str(v));
  return o;
}

std::map<std::string, std::string> map_of(const json_t* o) {
  std::map<std::string, std::string> m;
  const char* k;
  json_t* v;
  json_object_foreach(const_cast<json_t*>(o), k, v) if (json_is_string(v)) m[k] = json_string_value(v);
  return m;
}

// host-local's ipam object for the network's subnets.
json_t* host_local(const Network& n, bool routes) {
  json_t* set = json_array();
  for (const auto& s : n.subnets) {
    json_t* r = json_object();
    json_object_set_new(r, "subnet", json::str(s.subnet));
    if (!s.gateway.empty()) json_object_set_new(r, "gateway", json::str(s.gateway));
    if (!s.ip_range.empty()) {
      auto sub = parse_cidr(s.subnet);
      auto range = parse_cidr(s.ip_range);
      if (sub.ok() && range.ok()) {
        // host-local refuses the network and broadcast addresses as range
        // ends; --ip-range 10.1.0.0/24 in 10.1.0.0/16 means .0.1-.0.255.
        Ipv4 start = range->first(), end = range->last();
        if (start == sub->first() && sub->prefix < 31) ++start;
        if (end == sub->last() && sub->prefix < 31) --end;
        json_object_set_new(r, "rangeStart", json::str(format_ipv4(start)));
        json_object_set_new(r, "rangeEnd", json::str(format_ipv4(end)));
      }
    }
    json_array_append_new(set, r);
  }
  json_t* ranges = json_array();
  json_array_append_new(ranges, set);
  json_t* ipam = json_object();
  json_object_set_new(ipam, "type", json::str("host-local"));
  json_object_set_new(ipam, "ranges", ranges);
  if (routes) {
    json_t* rs = json_array();
    json_t* def = json_object();
    json_object_set_new(def, "dst", json::str("0.0.0.0/0"));
    json_array_append_new(rs, def);
    json_object_set_new(ipam, "routes", rs);
  }
  return ipam;
}

json_t* capabilities(std::initializer_list<const char*> names) {
  json_t* c = json_object();
  for (const char* n : names) json_object_set_new(c, n, json_true());
  return c;
}

void set_mtu(json_t* plugin, const Network& n) {
  auto mtu = parse_int(option(n.options, kMtu));
  if (mtu && *mtu > 0) json_object_set_new(plugin, "mtu", json_integer(*mtu));
}

json_t* tuning() {
  json_t* t = json_object();
  json_object_set_new(t, "type", json::str("tuning"));
  json_object_set_new(t, "capabilities", capabilities({"mac"}));
  return t;
}

}  // namespace

bool Network::nat() const {
  return driver == "bridge" && hutch_made && !pseudo && !internal && !bridge.empty() &&
         bool_option(options, kMasquerade, true);
}

namespace {

json_t* plugins_of(const Network& n) {
  json_t* ps = json_array();
  if (n.driver == "bridge") {
    json_t* b = json_object();
    json_object_set_new(b, "type", json::str("bridge"));
    json_object_set_new(b, "bridge", json::str(n.bridge));
    json_object_set_new(b, "isGateway", json_boolean(!n.internal));
    // NAT is the network's, one rule per subnet (nat.h), not the plugin's
    // per-container chains.
    json_object_set_new(b, "ipMasq", json_false());
    json_object_set_new(b, "hairpinMode", json_true());
    set_mtu(b, n);
    json_object_set_new(b, "ipam", host_local(n, !n.internal));
    json_object_set_new(b, "capabilities", capabilities({"ips"}));
    json_array_append_new(ps, b);
    if (!n.internal) {
      json_t* pm = json_object();
      json_object_set_new(pm, "type", json::str("portmap"));
      json_object_set_new(pm, "capabilities", capabilities({"portMappings"}));
      json_object_set_new(pm, "snat", json_true());
      json_array_append_new(ps, pm);
    }
    // The container's own accept rules (hosts whose FORWARD policy drops).
    // Isolation from the other bridges is the network's (isolation.h).
    json_t* fw = json_object();
    json_object_set_new(fw, "type", json::str("firewall"));
    json_object_set_new(fw, "backend", json::str("iptables"));
    json_array_append_new(ps, fw);
    json_array_append_new(ps, tuning());
  } else if (n.driver == "macvlan") {
    json_t* m = json_object();
    json_object_set_new(m, "type", json::str("macvlan"));
    json_object_set_new(m, "master", json::str(option(n.options, "parent")));
    json_object_set_new(m, "mode", json::str(option(n.options, "macvlan_mode", "bridge")));
    set_mtu(m, n);
    json_object_set_new(m, "ipam", host_local(n, !n.internal));
    json_object_set_new(m, "capabilities", capabilities({"ips"}));
    json_array_append_new(ps, m);
    json_array_append_new(ps, tuning());
  } else if (n.driver == "ipvlan") {
    std::string mode = option(n.options, "ipvlan_mode", "l2");
    json_t* m = json_object();
    json_object_set_new(m, "type", json::str("ipvlan"));
    json_object_set_new(m, "master", json::str(option(n.options, "parent")));
    json_object_set_new(m, "mode", json::str(mode));
    set_mtu(m, n);
    // In l3 modes the parent routes; a default route through a gateway on
    // the link would not resolve.
    json_object_set_new(m, "ipam", host_local(n, !n.internal && mode == "l2"));
    json_object_set_new(m, "capabilities", capabilities({"ips"}));
    json_array_append_new(ps, m);
  }
  return ps;
}

// Subnets of a user's conflist: its host-local ranges (or the deprecated
// top-level subnet), IPv4 only.
std::vector<Subnet> subnets_of(const json_t* plugins) {
  std::vector<Subnet> out;
  auto add = [&out](const json_t* r) {
    std::string s = json::string_of(r, "subnet");
    if (!parse_cidr(s).ok()) return;
    out.push_back({s, json::string_of(r, "gateway"), ""});
  };
  size_t i;
  json_t* p;
  json_array_foreach(const_cast<json_t*>(plugins), i, p) {
    json_t* ipam = json_object_get(p, "ipam");
    if (!json_is_object(ipam)) continue;
    json_t* ranges = json_object_get(ipam, "ranges");
    size_t j, k;
    json_t *set, *r;
    json_array_foreach(ranges, j, set) json_array_foreach(set, k, r) add(r);
    if (json_object_get(ipam, "subnet")) add(ipam);
  }
  return out;
}

}  // namespace

std::optional<Ipv4> parse_ipv4(std::string_view s) {
  Ipv4 a = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) v = v * 10 + unsigned(s[i++] - '0');
    size_t len = i - start;
    // Go's net.ParseIP refuses leading zeros ("010" could be octal).
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return std::nullopt;
    a = a << 8 | v;
    if (++parts < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return a;
}

std::string format_ipv4(Ipv4 a) {
  return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." + std::to_string(a >> 8 & 255) + "." +
         std::to_string(a & 255);
}

Result<Cidr> parse_cidr(std::string_view s) {
  if (s.find(':') != std::string_view::npos)
    return Error::plain(ENOTSUP, "IPv6 subnet " + std::string(s) + " is not supported yet");
  size_t slash = s.find('/');
  Error bad = invalid("invalid CIDR address: " + std::string(s));
  if (slash == std::string_view::npos) return bad;
  auto a = parse_ipv4(s.substr(0, slash));
  std::string_view p = s.substr(slash + 1);
  auto prefix = parse_uint(p);
  if (!a || !prefix || *prefix > 32 || p.empty() || (p.size() > 1 && p[0] == '0')) return bad;
  Cidr c{*a, static_cast<int>(*prefix)};
  if (c.addr != c.first())
    return invalid("invalid subnet " + std::string(s) + ": it should be " + format_ipv4(c.first()) + "/" +
                   std::to_string(c.prefix));
  return c;
}

bool overlaps(const Cidr& a, const Cidr& b) { return contains(a, b.first()) || contains(b, a.first()); }

bool contains(const Cidr& c, Ipv4 ip) { return (ip & c.mask()) == c.first(); }

bool contains(const Cidr& outer, const Cidr& inner) {
  return inner.prefix >= outer.prefix && contains(outer, inner.first());
}

Ipv4 first_host(const Cidr& c) { return c.prefix >= 31 ? c.first() : c.first() + 1; }

bool valid_network_name(std::string_view name) {
  auto word = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (name.empty() || !word(name[0])) return false;
  for (char c : name.substr(1))
    if (!word(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

std::vector<Cidr> default_pools() {
  std::vector<Cidr> out;
  for (Ipv4 b = 18; b <= 31; ++b) out.push_back({172u << 24 | b << 16, 16});
  for (Ipv4 c = 0; c < 256; c += 16) out.push_back({192u << 24 | 168u << 16 | c << 8, 20});
  return out;
}

Result<Cidr> pick_subnet(const std::vector<Cidr>& taken) {
  for (const auto& pool : default_pools()) {
    bool free = true;
    for (const auto& t : taken) free &= !overlaps(pool, t);
    if (free) return pool;
  }
  return Error::plain(ENOSPC,
                      "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to "
                      "the network");
}

std::vector<Cidr> parse_proc_routes(std::string_view text) {
  // "Iface Destination Gateway Flags RefCnt Use Metric Mask ...", the
  // addresses as the kernel's u32 in hex: little-endian on x86 and arm64,
  // so 0100A8C0 is 192.168.0.1.
  std::vector<Cidr> out;
  bool header = true;
  for (const auto& line : split(text, '\n')) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> f;
    for (auto& w : split(line, '\t'))
      if (!trim(w).empty()) f.emplace_back(trim(w));
    if (f.size() < 8) continue;
    unsigned long dst = std::strtoul(f[1].c_str(), nullptr, 16), mask = std::strtoul(f[7].c_str(), nullptr, 16);
    auto host = [](unsigned long v) {
      Ipv4 le = static_cast<Ipv4>(v);
      return (le & 255) << 24 | (le >> 8 & 255) << 16 | (le >> 16 & 255) << 8 | le >> 24;
    };
    Ipv4 m = host(mask);
    if (m == 0) continue;  // the default route overlaps everything
    int prefix = __builtin_popcount(m);
    Cidr c{host(dst), prefix};
    c.addr = c.first();
    out.push_back(c);
  }
  return out;
}

Status validate_create(const CreateOptions& o) {
  // It goes into file names and an iptables comment (at most 255 bytes).
  if (o.name.size() > 128) return invalid("invalid network name: at most 128 characters");
  if (!valid_network_name(o.name))
    return invalid("invalid network name \"" + o.name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  if (o.driver != "bridge" && o.driver != "macvlan" && o.driver != "ipvlan")
    return invalid("network driver \"" + o.driver + "\" is not supported: use bridge, macvlan or ipvlan");
  for (const auto& [k, v] : o.options) {
    if (k == kMtu) {
      auto mtu = parse_int(v);
      if (!mtu || *mtu < 68 || *mtu > 65535) return invalid("invalid MTU \"" + v + "\": use a number from 68 to 65535");
    } else if (o.driver == "bridge" && k == kBridgeName) {
      // "+" is iptables' wildcard and a leading "-" reads as an option.
      if (v.empty() || v.size() > 15 || v.find_first_of("/: \t\n%+") != std::string::npos || v == "." || v == ".." ||
          v[0] == '-')
        return invalid("invalid bridge name \"" + v + "\": use at most 15 characters, none of / : % + or spaces, "
                       "not starting with -");
    } else if (o.driver == "bridge" && k == kMasquerade) {
      TRY(check_bool(k, v));
    } else if (o.driver == "bridge" && k == kIcc) {
      TRY(check_bool(k, v));
      if (v == "false" || v == "0") return Error::plain(ENOTSUP, "option " + k + "=false is not supported yet");
    } else if (o.driver != "bridge" && k == "parent") {
      if (v.empty() || v.size() > 15 || v.find_first_of("/+ ") != std::string::npos || v == "." || v == ".." ||
          v[0] == '-')
        return invalid("invalid parent interface name \"" + v + "\"");
    } else if (o.driver == "macvlan" && k == "macvlan_mode") {
      if (v != "bridge" && v != "private" && v != "vepa" && v != "passthru")
        return invalid("invalid macvlan_mode \"" + v + "\": use bridge, private, vepa or passthru");
    } else if (o.driver == "ipvlan" && k == "ipvlan_mode") {
      if (v != "l2" && v != "l3" && v != "l3s") return invalid("invalid ipvlan_mode \"" + v + "\": use l2, l3 or l3s");
    } else {
      return invalid("option \"" + k + "\" is not supported by the " + o.driver + " driver");
    }
  }
  if (o.driver != "bridge" && option(o.options, "parent").empty())
    return invalid(o.driver + " networks need a parent interface: -o parent=IFACE");
  return Ok{};
}

Result<std::vector<Subnet>> assign_subnets(const CreateOptions& o, const std::vector<Existing>& existing,
                                           const std::vector<Cidr>& routes) {
  std::string net = "network \"" + o.name + "\": ";
  if (o.subnets.empty()) {
    if (!o.gateways.empty() || !o.ip_ranges.empty())
      return invalid(net + "every ip-range or gateway must have a corresponding subnet");
    std::vector<Cidr> taken = routes;
    for (const auto& e : existing) taken.push_back(e.subnet);
    auto c = pick_subnet(taken);
    if (!c.ok()) return std::move(c).error().with_context("network \"" + o.name + "\"");
    return std::vector<Subnet>{{c->str(), format_ipv4(first_host(*c)), ""}};
  }
  std::vector<Cidr> cidrs;
  for (const auto& s : o.subnets) {
    auto c = parse_cidr(s);
    if (!c.ok()) return std::move(c).error().with_context("network \"" + o.name + "\"");
    for (const auto& prev : cidrs)
      if (overlaps(prev, *c)) return invalid(net + "multiple overlapping subnet configuration is not allowed");
    for (const auto& e : existing)
      if (overlaps(e.subnet, *c))
        return Error::plain(EEXIST, net + "subnet " + c->str() + " overlaps network \"" + e.name + "\" (" +
                                        e.subnet.str() + ")");
    cidrs.push_back(*c);
  }
  std::vector<Subnet> out;
  for (const auto& c : cidrs) out.push_back({c.str(), "", ""});
  for (const auto& g : o.gateways) {
    if (g.find(':') != std::string::npos)
      return Error::plain(ENOTSUP, net + "IPv6 gateway " + g + " is not supported yet");
    auto ip = parse_ipv4(g);
    if (!ip) return invalid(net + "invalid gateway address " + g);
    size_t i = 0;
    while (i < cidrs.size() && !contains(cidrs[i], *ip)) ++i;
    if (i == cidrs.size()) return invalid(net + "no matching subnet for gateway " + g);
    if (!out[i].gateway.empty()) return invalid(net + "cannot use more than one gateway for subnet " + out[i].subnet);
    if (cidrs[i].prefix < 31 && (*ip == cidrs[i].first() || *ip == cidrs[i].last()))
      return invalid(net + "gateway " + g + " is the network or broadcast address of subnet " + out[i].subnet);
    out[i].gateway = format_ipv4(*ip);
  }
  for (const auto& r : o.ip_ranges) {
    auto range = parse_cidr(r);
    if (!range.ok()) return std::move(range).error().with_context("network \"" + o.name + "\": ip-range");
    size_t i = 0;
    while (i < cidrs.size() && !contains(cidrs[i], *range)) ++i;
    if (i == cidrs.size()) return invalid(net + "no matching subnet for range " + r);
    if (!out[i].ip_range.empty()) return invalid(net + "cannot use more than one ip-range for subnet " + out[i].subnet);
    out[i].ip_range = range->str();
  }
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].gateway.empty()) out[i].gateway = format_ipv4(first_host(cidrs[i]));
  return out;
}

std::string conflist_text(const Network& n) {
  json::Ptr doc(json_object());
  json_object_set_new(doc.get(), "cniVersion", json::str("1.0.0"));
  json_object_set_new(doc.get(), "name", json::str(n.name));
  json_t* h = json_object();
  json_object_set_new(h, "id", json::str(n.id));
  json_object_set_new(h, "created", json::str(n.created));
  json_object_set_new(h, "driver", json::str(n.driver));
  json_t* subnets = json_array();
  for (const auto& s : n.subnets) {
    json_t* o = json_object();
    json_object_set_new(o, "subnet", json::str(s.subnet));
    json_object_set_new(o, "gateway", json::str(s.gateway));
    if (!s.ip_range.empty()) json_object_set_new(o, "ip_range", json::str(s.ip_range));
    json_array_append_new(subnets, o);
  }
  json_object_set_new(h, "subnets", subnets);
  json_object_set_new(h, "internal", json_boolean(n.internal));
  json_object_set_new(h, "labels", string_map(n.labels));
  json_object_set_new(h, "options", string_map(n.options));
  json_object_set_new(doc.get(), "hutch", h);
  json_object_set_new(doc.get(), "plugins", plugins_of(n));
  return json::dump(doc.get(), 2) + "\n";
}

Result<Network> parse_conflist(std::string_view text, const std::string& ipam_dir, const std::string& created) {
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(text));
  json_t* plugins = json_object_get(doc.get(), "plugins");
  Network n;
  n.name = json::string_of(doc.get(), "name");
  if (n.name.empty() || !json_is_array(plugins) || json_array_size(plugins) == 0 ||
      !json_is_object(json_array_get(plugins, 0)))
    return invalid("not a CNI conflist: it needs a \"name\" and a non-empty \"plugins\" list");
  json_t* first = json_array_get(plugins, 0);
  n.builtin = n.name == kDefaultNetwork;
  json_t* h = json_object_get(doc.get(), "hutch");
  if (json_is_object(h)) {
    n.id = json::string_of(h, "id");
    if (n.id.size() != 64 || n.id.find_first_not_of("0123456789abcdef") != std::string::npos)
      return invalid("hutch.id: not 64 hexadecimal digits");
    n.created = json::string_of(h, "created");
    n.driver = json::string_of(h, "driver");
    size_t i;
    json_t* s;
    json_array_foreach(json_object_get(h, "subnets"), i, s)
        n.subnets.push_back({json::string_of(s, "subnet"), json::string_of(s, "gateway"), json::string_of(s, "ip_range")});
    n.internal = json_is_true(json_object_get(h, "internal"));
    n.labels = map_of(json_object_get(h, "labels"));
    n.options = map_of(json_object_get(h, "options"));
    json_t* p;
    json_array_foreach(plugins, i, p) {
      json_t* ipam = json_object_get(p, "ipam");
      if (json::string_of(ipam, "type") == "host-local") json_object_set_new(ipam, "dataDir", json::str(ipam_dir));
    }
  } else {
    n.hutch_made = false;
    n.id = stable_id(n.name);
    n.driver = json::string_of(first, "type");
    n.subnets = subnets_of(plugins);
  }
  if (n.created.empty()) n.created = created;
  if (json::string_of(first, "type") == "bridge") n.bridge = json::string_of(first, "bridge");
  // The bridge plugin's default device when a user's conflist names none.
  if (n.driver == "bridge" && n.bridge.empty()) n.bridge = "cni0";
  n.conflist = n.hutch_made ? json::dump(doc.get()) : std::string(text);
  return n;
}

Status check_static_ip(const Network& n, const std::string& ip) {
  if (ip.find(':') != std::string::npos) return Error::plain(ENOTSUP, "IPv6 address " + ip + " is not supported yet");
  auto a = parse_ipv4(ip);
  if (!a) return invalid("invalid IPv4 address: " + ip);
  if (n.builtin || n.pseudo || n.subnets.empty())
    return invalid("user specified IP address is supported on user defined networks only");
  for (const auto& s : n.subnets) {
    auto sub = parse_cidr(s.subnet);
    if (!sub.ok() || !contains(*sub, *a)) continue;
    auto range = s.ip_range.empty() ? sub : parse_cidr(s.ip_range);
    if (!range.ok() || !contains(*range, *a)) continue;
    if (ip == s.gateway || (sub->prefix < 31 && (*a == sub->first() || *a == sub->last())))
      return invalid("address " + ip + " is reserved in subnet " + s.subnet);
    return Ok{};
  }
  return invalid("no configured subnet or ip-range contain the IP address " + ip);
}

std::vector<Network> pseudo_networks() {
  std::vector<Network> out;
  for (const char* name : {"host", "none"}) {
    Network n;
    n.name = name;
    n.id = stable_id(name);
    n.driver = n.name == "host" ? "host" : "null";
    n.created = "0001-01-01T00:00:00Z";
    n.builtin = true;
    n.pseudo = true;
    out.push_back(std::move(n));
  }
  return out;
}

json_t* docker_json(const Network& n) {
  json_t* o = json_object();
  json_object_set_new(o, "Name", json::str(n.name));
  json_object_set_new(o, "Id", json::str(n.id));
  json_object_set_new(o, "Created", json::str(n.created));
  json_object_set_new(o, "Scope", json::str("local"));
  json_object_set_new(o, "Driver", json::str(n.driver));
  json_object_set_new(o, "EnableIPv6", json_false());
  json_t* ipam = json_object();
  json_object_set_new(ipam, "Driver", json::str("default"));
  json_object_set_new(ipam, "Options", json_object());
  json_t* config = json_array();
  for (const auto& s : n.subnets) {
    json_t* c = json_object();
    json_object_set_new(c, "Subnet", json::str(s.subnet));
    if (!s.gateway.empty()) json_object_set_new(c, "Gateway", json::str(s.gateway));
    if (!s.ip_range.empty()) json_object_set_new(c, "IPRange", json::str(s.ip_range));
    json_array_append_new(config, c);
  }
  json_object_set_new(ipam, "Config", config);
  json_object_set_new(o, "IPAM", ipam);
  json_object_set_new(o, "Internal", json_boolean(n.internal));
  json_object_set_new(o, "Attachable", json_false());
  json_object_set_new(o, "Ingress", json_false());
  json_t* from = json_object();
  json_object_set_new(from, "Network", json::str(""));
  json_object_set_new(o, "ConfigFrom", from);
  json_object_set_new(o, "ConfigOnly", json_false());
  json_object_set_new(o, "Containers", json_object());
  json_object_set_new(o, "Options", string_map(n.options));
  json_object_set_new(o, "Labels", string_map(n.labels));
  return o;
}

}  // namespace hutch::network
