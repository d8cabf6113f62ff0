// A container's /etc/hosts, /etc/resolv.conf and /etc/hostname: their text
// as docker lays it out (render_*, pure), --add-host and --dns values
// checked, and rewrite_in_place() to change them under a running
// container. The files are bind-mounted into the container, so they must
// be rewritten keeping their inode: a rename would leave the container
// looking at the old file.
// Thread-safety: pure functions; rewrite_in_place() writes one file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace hutch::network {

// One /etc/hosts line: an address and its names.
struct HostEntry {
  std::string ip;
  std::vector<std::string> names;

  bool operator==(const HostEntry&) const = default;
};

// --add-host NAME:IP (or docker 25's NAME=IP; an IPv6 IP may be in
// brackets). IP may be "host-gateway", which the caller resolves.
struct ExtraHost {
  std::string name, ip;

  bool operator==(const ExtraHost&) const = default;
};
// EINVAL `invalid argument "x" for "--add-host" flag: bad format for
// add-host: "x"` or `...: invalid IP address in add-host: "y"`.
Result<ExtraHost> parse_add_host(const std::string& spec);

struct HostsInput {
  std::string hostname;                 // the container's hostname
  std::string ip;                       // its IPv4 on its first network; "" = none (network none)
  std::vector<std::string> names;       // after the hostname on its own line: container name, aliases (user networks)
  std::vector<ExtraHost> extra_hosts;   // --add-host, "host-gateway" already resolved to an IP
  std::vector<HostEntry> peers;         // other containers on the same user networks
  std::optional<std::string> base;      // host network: the host's /etc/hosts, used instead of docker's defaults
};

// docker's layout: the localhost and ip6 lines (or `base`), the extra
// hosts, "IP hostname names..." (or "127.0.1.1 hostname" without an IP;
// nothing of its own with `base`), then the peers sorted by name then IP,
// merged per IP, each name once in the file.
std::string render_hosts(const HostsInput& in);

// /etc/resolv.conf from the host's text, as docker writes it. Without
// --dns the host's nameservers are kept except loopback ones (127.0.0.0/8,
// ::1: unreachable from the container's namespace); with none left, 8.8.8.8
// and 8.8.4.4. search and options come from the host unless given
// (dns_search {"."} means none). `keep_loopback` (host network) keeps the
// host's file as is when nothing is given. EINVAL "invalid IP address: x"
// for a bad dns server.
Result<std::string> render_resolv_conf(const std::string& host_resolv_text, const std::vector<std::string>& dns_servers,
                                       const std::vector<std::string>& dns_search,
                                       const std::vector<std::string>& dns_options, bool keep_loopback = false);

// Which host file to start from: /etc/resolv.conf, unless its only
// nameserver is systemd-resolved's stub 127.0.0.53 and the upstream list
// /run/systemd/resolve/resolv.conf exists (docker's choice too).
std::string host_resolv_conf_path();

// "hostname\n".
std::string render_hostname(const std::string& hostname);

// Replaces the file's content keeping its inode (O_WRONLY|O_TRUNC, every
// byte written; created 0644 when missing). Symlinks are not followed.
Status rewrite_in_place(const std::string& path, const std::string& content);

}  // namespace hutch::network
