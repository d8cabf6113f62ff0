// Outbound NAT for hutch's bridge networks: one MASQUERADE rule per
// network subnet ("-s SUBNET ! -o BRIDGE"), as docker keeps it, instead of
// the bridge plugin's ipMasq, which builds a chain per container (about
// fifteen iptables runs, ~200 ms, over a container's start and stop). The
// rule is ensured at each container start on the network (one `iptables -C`
// when present: it is gone after a reboot) and removed with the network.
// Runs the iptables command (as the CNI plugins do), with -w for its lock.
// Thread-safety: stateless; iptables serialises itself.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "network/config.h"

namespace hutch::network {

// The rule's arguments after "-t nat -X POSTROUTING" for one subnet.
std::vector<std::string> masquerade_rule(const Network& n, const std::string& subnet);

// Adds the network's rules when missing. A no-op for networks without NAT.
Status ensure_masquerade(const Network& n);
// Deletes them (best effort: absent rules are fine).
Status remove_masquerade(const Network& n);

}  // namespace hutch::network
