// Published ports: parsing as go-connections/nat does, the stored JSON
// forms, allocation with bind tests, and docker's display formats.
#include "network/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <tuple>

#include "base/fd.h"
#include "base/strings.h"

namespace hutch::network {
namespace {

Error invalid(const std::string& m) { return Error::plain(EINVAL, m); }

// strconv.ParseUint(s, 10, 16): the text of Go's error when it fails.
std::optional<std::string> uint16_error(const std::string& s, uint16_t& out) {
  bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return "strconv.ParseUint: parsing \"" + s + "\": invalid syntax";
  auto n = parse_uint(s);
  if (!n || *n > 65535) return "strconv.ParseUint: parsing \"" + s + "\": value out of range";
  out = static_cast<uint16_t>(*n);
  return std::nullopt;
}

// nat.ParsePortRange: "80" or "8000-8010"; nullopt and a Go-like reason on error.
std::optional<std::pair<uint16_t, uint16_t>> port_range(const std::string& s, std::string* why = nullptr) {
  auto fail = [&](const std::string& w) -> std::optional<std::pair<uint16_t, uint16_t>> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (s.empty()) return fail("empty string specified for ports");
  auto dash = s.find('-');
  uint16_t lo = 0, hi = 0;
  if (dash == std::string::npos) {
    if (auto e = uint16_error(s, lo)) return fail(*e);
    return std::pair{lo, lo};
  }
  if (s.find('-', dash + 1) != std::string::npos) return fail("invalid port range format: " + s);
  if (auto e = uint16_error(s.substr(0, dash), lo)) return fail(*e);
  if (auto e = uint16_error(s.substr(dash + 1), hi)) return fail(*e);
  if (hi < lo) return fail("invalid range specified for port: " + s);
  return std::pair{lo, hi};
}

bool valid_proto(const std::string& p) { return p == "tcp" || p == "udp" || p == "sctp"; }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_ip(const std::string& s, int* family = nullptr) {
  unsigned char buf[sizeof(in6_addr)];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1) {
    if (family) *family = AF_INET;
    return true;
  }
  if (::inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    if (family) *family = AF_INET6;
    return true;
  }
  return false;
}

// "80/tcp" -> {80, "tcp"}; a bare "80" is tcp. Single ports only.
std::optional<std::pair<uint16_t, std::string>> single_port(const std::string& key) {
  auto slash = key.find('/');
  std::string port = key.substr(0, slash), proto = slash == std::string::npos ? "tcp" : lower(key.substr(slash + 1));
  uint16_t n = 0;
  if (!valid_proto(proto) || uint16_error(port, n) || n == 0) return std::nullopt;
  return std::pair{n, proto};
}

// docker/cli convertToStandardNotation: "target=80,published=8080,protocol=udp"
// -> "8080:80/udp"; other keys (mode, name) are ignored as docker does.
Result<std::string> standard_notation(const std::string& spec) {
  std::map<std::string, std::string> params = {{"protocol", "tcp"}};
  for (const auto& param : split(spec, ',')) {
    auto eq = param.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid("invalid publish opts format (should be name=value but got '" + param + "')");
    params[param.substr(0, eq)] = param.substr(eq + 1);
  }
  return params["published"] + ":" + params["target"] + "/" + params["protocol"];
}

}  // namespace

Result<PortBindings> parse_publish(const std::string& raw) {
  std::string spec = raw;
  if (spec.find('=') != std::string::npos) {
    ASSIGN_OR_RETURN(spec, standard_notation(raw));
  }
  // nat.splitParts: the last two ':'-fields are ports, the rest the IP.
  auto parts = split(spec, ':');
  std::string ip, host_port, container_port;
  size_t n = parts.size();
  if (n == 1) {
    container_port = parts[0];
  } else if (n == 2) {
    host_port = parts[0];
    container_port = parts[1];
  } else {
    std::vector<std::string> head(parts.begin(), parts.end() - 2);
    ip = join(head, ":");
    host_port = parts[n - 2];
    container_port = parts[n - 1];
  }
  std::string proto;
  if (auto slash = container_port.find('/'); slash != std::string::npos) {
    proto = container_port.substr(slash + 1);
    container_port.resize(slash);
  }
  if (!container_port.empty() && proto.empty()) proto = "tcp";
  proto = lower(proto);
  if (!valid_proto(proto)) return invalid("invalid proto: " + proto);
  if (!ip.empty() && ip[0] == '[') {
    if (ip.back() != ']') return invalid("invalid IP address: " + ip);
    ip = ip.substr(1, ip.size() - 2);
  }
  if (!ip.empty() && !is_ip(ip)) return invalid("invalid IP address: " + ip);
  if (container_port.empty()) return invalid("no port specified: " + raw + "<empty>");
  auto cr = port_range(container_port);
  if (!cr || cr->first == 0) return invalid("invalid containerPort: " + container_port);
  std::pair<uint16_t, uint16_t> hr{0, 0};
  if (!host_port.empty()) {
    auto h = port_range(host_port);
    if (!h) return invalid("invalid hostPort: " + host_port);
    hr = *h;
    // A host range for one container port is the range to allocate from.
    if (cr->second - cr->first != hr.second - hr.first && cr->first != cr->second)
      return invalid("invalid ranges specified for container and host Ports: " + container_port + " and " +
                     host_port);
  }
  PortBindings out;
  unsigned count = cr->second - cr->first + 1u;
  for (unsigned i = 0; i < count; ++i) {
    PortBinding b{ip, ""};
    if (!host_port.empty()) {
      b.host_port = std::to_string(hr.first + i);
      if (count == 1 && hr.first != hr.second) b.host_port += "-" + std::to_string(hr.second);
    }
    out[std::to_string(cr->first + i) + "/" + proto].push_back(b);
  }
  return out;
}

Result<PortBindings> parse_publish(const std::vector<std::string>& specs) {
  PortBindings all;
  for (const auto& s : specs) {
    ASSIGN_OR_RETURN(auto one, parse_publish(s));
    for (auto& [port, bindings] : one) {
      auto& dst = all[port];
      dst.insert(dst.end(), bindings.begin(), bindings.end());
    }
  }
  return all;
}

Result<std::set<std::string>> parse_expose(const std::string& spec) {
  if (spec.find(':') != std::string::npos) return invalid("invalid port format for --expose: " + spec);
  auto slash = spec.find('/');
  std::string port = spec.substr(0, slash);
  std::string proto = slash == std::string::npos ? "tcp" : lower(spec.substr(slash + 1));
  if (proto.empty()) proto = "tcp";
  std::string why;
  auto r = port_range(port, &why);
  if (!r) return invalid("invalid range format for --expose: " + spec + ", error: " + why);
  if (r->first == 0) return invalid("invalid range format for --expose: " + spec + ", error: port 0 cannot be exposed");
  if (!valid_proto(proto)) return invalid("invalid proto: " + proto);
  std::set<std::string> out;
  for (unsigned p = r->first; p <= r->second; ++p) out.insert(std::to_string(p) + "/" + proto);
  return out;
}

PortBindings publish_all(const std::set<std::string>& exposed, PortBindings bindings) {
  for (const auto& port : exposed) {
    auto& list = bindings[port];
    if (list.empty()) list.push_back(PortBinding{});
  }
  return bindings;
}

json::Ptr port_bindings_json(const PortBindings& b) {
  json::Ptr out(json_object());
  for (const auto& [port, list] : b) {
    json_t* arr = json_array();
    for (const auto& x : list) {
      json_t* o = json_object();
      json_object_set_new(o, "HostIp", json::str(x.host_ip));
      json_object_set_new(o, "HostPort", json::str(x.host_port));
      json_array_append_new(arr, o);
    }
    json_object_set_new(out.get(), port.c_str(), arr);
  }
  return out;
}

Result<PortBindings> port_bindings_from_json(const json_t* j) {
  PortBindings out;
  if (!j || json_is_null(j)) return out;
  if (!json_is_object(j)) return invalid("PortBindings: expected an object");
  const char* key;
  json_t* list;
  json_object_foreach(const_cast<json_t*>(j), key, list) {
    auto p = single_port(key);
    if (!p) return invalid(std::string("PortBindings.") + key + ": invalid port (want PORT or PORT/tcp|udp|sctp)");
    std::string norm = std::to_string(p->first) + "/" + p->second;
    auto& dst = out[norm];
    if (json_is_null(list)) continue;
    if (!json_is_array(list)) return invalid(std::string("PortBindings.") + key + ": expected an array");
    size_t i;
    json_t* b;
    json_array_foreach(list, i, b) {
      PortBinding x{json::string_of(b, "HostIp"), json::string_of(b, "HostPort")};
      std::string where = std::string("PortBindings.") + key + "[" + std::to_string(i) + "]";
      if (!json_is_object(b)) return invalid(where + ": expected an object");
      if (!x.host_ip.empty() && x.host_ip[0] == '[' && x.host_ip.back() == ']')
        x.host_ip = x.host_ip.substr(1, x.host_ip.size() - 2);
      if (!x.host_ip.empty() && !is_ip(x.host_ip)) return invalid(where + ".HostIp: invalid IP address: " + x.host_ip);
      if (!x.host_port.empty() && !port_range(x.host_port))
        return invalid(where + ".HostPort: invalid hostPort: " + x.host_port);
      dst.push_back(x);
    }
  }
  return out;
}

json::Ptr exposed_ports_json(const std::set<std::string>& ports) {
  json::Ptr out(json_object());
  for (const auto& p : ports) json_object_set_new(out.get(), p.c_str(), json_object());
  return out;
}

Result<std::set<std::string>> exposed_ports_from_json(const json_t* j) {
  std::set<std::string> out;
  if (!j || json_is_null(j)) return out;
  if (!json_is_object(j)) return invalid("ExposedPorts: expected an object");
  const char* key;
  json_t* v;
  json_object_foreach(const_cast<json_t*>(j), key, v) {
    auto r = parse_expose(key);
    if (!r.ok()) return std::move(r).error().with_context(std::string("ExposedPorts.") + key);
    out.insert(r->begin(), r->end());
  }
  return out;
}

namespace {

bool any_address(const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; }

bool overlaps(const std::string& ip, uint16_t port, const std::string& proto, const PortMapping& m) {
  return m.host_port == port && m.protocol == proto && (any_address(ip) || any_address(m.host_ip) || ip == m.host_ip);
}

std::string shown_ip(const std::string& ip) { return ip.empty() ? "0.0.0.0" : ip; }

// Binds a throwaway socket to ip:port on the protocol and returns the port
// bound (the kernel's choice for port 0). TCP sets SO_REUSEADDR so that a
// closed connection's TIME_WAIT does not count as a user, only a listener
// or another bound socket does (socket(7)).
Result<uint16_t> bind_probe(const std::string& ip, uint16_t port, const std::string& proto) {
  int family = AF_INET;
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string addr = ip.empty() ? "0.0.0.0" : ip;
  if (!is_ip(addr, &family)) return invalid("invalid IP address: " + ip);
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    ::inet_pton(AF_INET, addr.c_str(), &sin->sin_addr);
    len = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    ::inet_pton(AF_INET6, addr.c_str(), &sin6->sin6_addr);
    len = sizeof *sin6;
  }
  int type = proto == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  int protocol = proto == "udp" ? IPPROTO_UDP : proto == "sctp" ? IPPROTO_SCTP : IPPROTO_TCP;
  UniqueFd fd(::socket(family, type | SOCK_CLOEXEC, protocol));
  if (!fd) return Error::from_errno("socket for " + proto);
  if (proto == "tcp") {
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return Error::from_errno("bind");
  if (port != 0) return port;
  sockaddr_storage got{};
  socklen_t got_len = sizeof got;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&got), &got_len) != 0)
    return Error::from_errno("getsockname");
  return ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&got)->sin_port
                                 : reinterpret_cast<sockaddr_in6*>(&got)->sin6_port);
}

// SCTP needs the sctp module; without it nothing can hold an SCTP port
// either, so the bind test passes (and random ports borrow TCP's choice).
bool no_protocol(int code) { return code == EPROTONOSUPPORT || code == ESOCKTNOSUPPORT || code == EAFNOSUPPORT; }

Result<uint16_t> probe(const std::string& ip, uint16_t port, const std::string& proto) {
  auto r = bind_probe(ip, port, proto);
  if (!r.ok() && proto == "sctp" && no_protocol(r.error().code()))
    return port != 0 ? Result<uint16_t>(port) : bind_probe(ip, 0, "tcp");
  return r;
}

}  // namespace

Result<std::vector<PortMapping>> allocate(const PortBindings& bindings, const std::vector<PortMapping>& taken) {
  std::vector<PortMapping> out;
  auto busy = [&](const std::string& ip, uint16_t port, const std::string& proto) {
    for (const std::vector<PortMapping>* list : {&taken, static_cast<const std::vector<PortMapping>*>(&out)})
      for (const auto& m : *list)
        if (overlaps(ip, port, proto, m)) return true;
    return false;
  };
  for (const auto& [key, list] : bindings) {
    auto cp = single_port(key);
    if (!cp) return invalid("invalid container port \"" + key + "\"");
    const auto& [container_port, proto] = *cp;
    for (const auto& b : list) {
      std::string ip = b.host_ip == "0.0.0.0" ? "" : b.host_ip;
      std::string what = key + " on " + shown_ip(ip);
      PortMapping m{ip, 0, container_port, proto};
      if (b.host_port.empty() || b.host_port == "0") {
        // The kernel's ephemeral range; retried when another container's
        // portmap rule (which binds nothing) already claims the number.
        for (int tries = 0; tries < 64 && m.host_port == 0; ++tries) {
          auto p = probe(ip, 0, proto);
          if (!p.ok()) return std::move(p).error().with_context("pick a random host port for " + what);
          if (!busy(ip, *p, proto)) m.host_port = *p;
        }
        if (m.host_port == 0) return Error(EADDRINUSE, "no free random host port for " + what);
        out.push_back(m);
        continue;
      }
      auto range = port_range(b.host_port);
      if (!range || range->first == 0) return invalid("invalid hostPort: " + b.host_port);
      Error last;
      for (unsigned p = range->first; p <= range->second && m.host_port == 0; ++p) {
        std::string port_text = std::to_string(p) + "/" + proto;
        if (busy(ip, static_cast<uint16_t>(p), proto)) {
          last = Error(EADDRINUSE, "port " + port_text + " is already in use on " + shown_ip(ip));
          continue;
        }
        auto r = probe(ip, static_cast<uint16_t>(p), proto);
        if (r.ok()) {
          m.host_port = static_cast<uint16_t>(p);
        } else if (r.error().code() == EADDRINUSE) {
          last = Error(EADDRINUSE, "port " + port_text + " is already in use on " + shown_ip(ip));
        } else {
          return std::move(r).error().with_context("check host port " + port_text + " on " + shown_ip(ip));
        }
      }
      if (m.host_port == 0) {
        if (range->first == range->second) return last;
        return Error(EADDRINUSE, "ports " + b.host_port + "/" + proto + " are all in use on " + shown_ip(ip));
      }
      out.push_back(m);
    }
  }
  return out;
}

std::string host_address(const PortMapping& m) {
  std::string ip = shown_ip(m.host_ip);
  if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(m.host_port);
}

std::string format_ports(const std::vector<PortMapping>& mappings, const std::set<std::string>& exposed) {
  // docker's types.Port: IP "" for an exposed, unpublished port.
  struct Port {
    std::string ip;
    uint16_t private_port, public_port;
    std::string type;
  };
  std::vector<Port> ports;
  std::set<std::pair<uint16_t, std::string>> published;
  for (const auto& m : mappings) {
    ports.push_back({shown_ip(m.host_ip), m.container_port, m.host_port, m.protocol});
    published.insert({m.container_port, m.protocol});
  }
  for (const auto& e : exposed) {
    auto singles = parse_expose(e);
    if (!singles.ok()) continue;
    for (const auto& s : *singles) {
      auto p = single_port(s);
      if (p && !published.count(*p)) ports.push_back({"", p->first, 0, p->second});
    }
  }
  std::sort(ports.begin(), ports.end(), [](const Port& a, const Port& b) {
    if (a.private_port != b.private_port) return a.private_port < b.private_port;
    if (a.ip != b.ip) return a.ip < b.ip;
    if (a.public_port != b.public_port) return a.public_port < b.public_port;
    return a.type < b.type;
  });
  auto bracket = [](const std::string& ip) { return ip.find(':') != std::string::npos ? "[" + ip + "]" : ip; };
  // DisplayablePorts: runs of consecutive ports per (ip, type) merge when
  // host and container port are equal; other mappings follow one by one.
  struct Group {
    std::string ip, type;
    uint16_t first, last;
  };
  auto form = [&](const Group& g) {
    std::string range = std::to_string(g.first);
    if (g.first != g.last) range += "-" + std::to_string(g.last);
    if (!g.ip.empty()) range = bracket(g.ip) + ":" + range + "->" + range;
    return range + "/" + g.type;
  };
  std::vector<std::string> result, host_mappings;
  std::vector<Group> groups;  // in order of first creation, as docker's groupMapKeys
  for (const auto& p : ports) {
    if (!p.ip.empty() && p.public_port != p.private_port) {
      host_mappings.push_back(bracket(p.ip) + ":" + std::to_string(p.public_port) + "->" +
                              std::to_string(p.private_port) + "/" + p.type);
      continue;
    }
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.ip == p.ip && x.type == p.type; });
    if (g == groups.end()) {
      groups.push_back({p.ip, p.type, p.private_port, p.private_port});
    } else if (p.private_port == g->last + 1) {
      g->last = p.private_port;
    } else {
      result.push_back(form(*g));
      g->first = g->last = p.private_port;
    }
  }
  for (const auto& g : groups) result.push_back(form(g));
  result.insert(result.end(), host_mappings.begin(), host_mappings.end());
  return join(result, ", ");
}

std::vector<std::string> port_lines(const std::vector<PortMapping>& mappings) {
  std::vector<PortMapping> sorted = mappings;
  std::sort(sorted.begin(), sorted.end(), [](const PortMapping& a, const PortMapping& b) {
    return std::tie(a.container_port, a.protocol, a.host_ip, a.host_port) <
           std::tie(b.container_port, b.protocol, b.host_ip, b.host_port);
  });
  std::vector<std::string> out;
  for (const auto& m : sorted)
    out.push_back(std::to_string(m.container_port) + "/" + m.protocol + " -> " + host_address(m));
  return out;
}

}  // namespace hutch::network
