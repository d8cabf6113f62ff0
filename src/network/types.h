// Plain values shared by the network module's parts: a published port as
// the CNI portmap plugin takes it, and an address a CNI plugin assigned.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

namespace hutch::network {

// One published port, concrete (no ranges, no "random"): the portmap
// plugin's runtimeConfig entry {hostPort, containerPort, protocol, hostIP}.
struct PortMapping {
  std::string host_ip;  // "" = every address (docker's 0.0.0.0)
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp | udp | sctp

  bool operator==(const PortMapping&) const = default;
};

// One IPv4 (or IPv6) address of a CNI result's "ips" list.
struct IpConfig {
  std::string address;  // CIDR: "172.17.0.2/16"
  std::string gateway;  // "" when the plugin set none
};

}  // namespace hutch::network
