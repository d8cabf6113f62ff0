// /etc/hosts, /etc/resolv.conf and /etc/hostname text, as docker writes them.
#include "network/etc_files.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "base/fd.h"
#include "base/fs.h"
#include "base/strings.h"

namespace hutch::network {
namespace {

Error invalid(const std::string& m) { return Error::plain(EINVAL, m); }

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// 127.0.0.0/8 and ::1: the host's loopback, which a container's own
// network namespace cannot reach.
bool is_loopback(const std::string& s) {
  in_addr a4{};
  if (::inet_pton(AF_INET, s.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (::inet_pton(AF_INET6, s.c_str(), &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  return false;
}

std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

// What the host's resolv.conf says, keeping its other lines for the copy.
struct Resolv {
  std::vector<std::string> nameservers, search, options;
};

Resolv read_resolv(const std::string& text) {
  Resolv r;
  for (const auto& line : split(text, '\n')) {
    auto f = fields(line);
    if (f.empty() || f[0][0] == '#' || f[0][0] == ';') continue;
    if (f[0] == "nameserver" && f.size() > 1) r.nameservers.push_back(f[1]);
    // resolv.conf(5): the last search (or domain) and options lines win.
    if ((f[0] == "search" || f[0] == "domain") && f.size() > 1) r.search.assign(f.begin() + 1, f.end());
    if (f[0] == "options" && f.size() > 1) r.options.assign(f.begin() + 1, f.end());
  }
  return r;
}

void add_line(std::string& out, const std::string& ip, const std::vector<std::string>& names) {
  if (names.empty()) return;
  out += ip + "\t" + join(names, " ") + "\n";
}

}  // namespace

Result<ExtraHost> parse_add_host(const std::string& spec) {
  auto bad = [&](const std::string& why) {
    return invalid("invalid argument \"" + spec + "\" for \"--add-host\" flag: " + why);
  };
  // docker's ValidateExtraHost: NAME=IP, or NAME:IP split on the first
  // ':' so that an IPv6 address keeps its colons.
  auto sep = spec.find('=');
  if (sep == std::string::npos) sep = spec.find(':');
  if (sep == std::string::npos || sep == 0) return bad("bad format for add-host: \"" + spec + "\"");
  ExtraHost h{spec.substr(0, sep), spec.substr(sep + 1)};
  if (h.name.find(':') != std::string::npos) return bad("bad format for add-host: \"" + spec + "\"");
  if (h.ip == "host-gateway") return h;
  if (h.ip.size() > 2 && h.ip.front() == '[' && h.ip.back() == ']') h.ip = h.ip.substr(1, h.ip.size() - 2);
  if (!is_ip(h.ip)) return bad("invalid IP address in add-host: \"" + h.ip + "\"");
  return h;
}

std::string render_hosts(const HostsInput& in) {
  std::string out;
  if (in.base) {
    out = *in.base;
    if (!out.empty() && out.back() != '\n') out += '\n';
  } else {
    out =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
  }
  for (const auto& h : in.extra_hosts) add_line(out, h.ip, {h.name});
  std::set<std::string> seen;
  auto fresh = [&](const std::vector<std::string>& names) {
    std::vector<std::string> kept;
    for (const auto& n : names)
      if (!n.empty() && seen.insert(n).second) kept.push_back(n);
    return kept;
  };
  if (!in.base) {
    std::vector<std::string> own = {in.hostname};
    own.insert(own.end(), in.names.begin(), in.names.end());
    // Without an address of its own (network none) the hostname still
    // resolves, as Debian's installer writes it: 127.0.1.1.
    if (in.ip.empty()) own.resize(1);
    add_line(out, in.ip.empty() ? "127.0.1.1" : in.ip, fresh(own));
  }
  std::vector<HostEntry> peers;
  for (const auto& p : in.peers)
    if (!p.ip.empty() && p.ip != in.ip && !p.names.empty()) peers.push_back(p);
  std::stable_sort(peers.begin(), peers.end(), [](const HostEntry& a, const HostEntry& b) {
    return std::tie(a.names[0], a.ip) < std::tie(b.names[0], b.ip);
  });
  // One line per IP, at the position of its first entry.
  std::vector<HostEntry> merged;
  for (const auto& p : peers) {
    auto it = std::find_if(merged.begin(), merged.end(), [&](const HostEntry& m) { return m.ip == p.ip; });
    if (it == merged.end()) {
      merged.push_back({p.ip, {}});
      it = merged.end() - 1;
    }
    it->names.insert(it->names.end(), p.names.begin(), p.names.end());
  }
  for (const auto& m : merged) add_line(out, m.ip, fresh(m.names));
  return out;
}

Result<std::string> render_resolv_conf(const std::string& host_resolv_text, const std::vector<std::string>& dns_servers,
                                       const std::vector<std::string>& dns_search,
                                       const std::vector<std::string>& dns_options, bool keep_loopback) {
  for (const auto& d : dns_servers)
    if (!is_ip(d)) return invalid("invalid IP address: " + d);
  Resolv host = read_resolv(host_resolv_text);
  bool custom = !dns_servers.empty() || !dns_search.empty() || !dns_options.empty();
  if (!custom) {
    if (keep_loopback) return host_resolv_text;
    // docker's FilterResolvDNS: the host's file without loopback
    // nameservers; Google's when none is left.
    std::string out;
    bool any = false;
    for (const auto& line : split(host_resolv_text, '\n')) {
      auto f = fields(line);
      if (!f.empty() && f[0] == "nameserver" && f.size() > 1) {
        if (is_loopback(f[1])) continue;
        any = true;
      }
      out += line + "\n";
    }
    while (out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") == 0) out.pop_back();
    if (out == "\n") out.clear();
    if (!any) out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
    return out;
  }
  std::vector<std::string> servers = dns_servers;
  if (servers.empty()) {
    for (const auto& n : host.nameservers)
      if (keep_loopback || !is_loopback(n)) servers.push_back(n);
    if (servers.empty()) servers = {"8.8.8.8", "8.8.4.4"};
  }
  std::vector<std::string> search = dns_search.empty() ? host.search : dns_search;
  search.erase(std::remove(search.begin(), search.end(), "."), search.end());
  const std::vector<std::string>& options = dns_options.empty() ? host.options : dns_options;
  std::string out;
  if (!search.empty()) out += "search " + join(search, " ") + "\n";
  for (const auto& s : servers) out += "nameserver " + s + "\n";
  if (!options.empty()) out += "options " + join(options, " ") + "\n";
  return out;
}

std::string host_resolv_conf_path() {
  const std::string etc = "/etc/resolv.conf", resolved = "/run/systemd/resolve/resolv.conf";
  auto text = fs::read_file(etc);
  if (!text.ok()) return etc;
  auto servers = read_resolv(*text).nameservers;
  if (servers == std::vector<std::string>{"127.0.0.53"} && fs::exists(resolved)) return resolved;
  return etc;
}

std::string render_hostname(const std::string& hostname) { return hostname + "\n"; }

Status rewrite_in_place(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return Error::from_errno("open \"" + path + "\"");
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write \"" + path + "\"");
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace hutch::network
