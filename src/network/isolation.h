// Bridge networks are isolated from one another, as docker's are: the CNI
// firewall plugin's ingressPolicy "same-bridge" drops traffic that enters
// from one hutch bridge and leaves through another. Those rules are the
// bridge's, not a container's, so hutch runs the plugin for them once per
// network (and once per boot: a marker under the tmpfs runroot records
// it), with a result naming the bridge and its gateway, instead of in
// every container's chain, where they cost eight more iptables runs
// (~60 ms) per start. Containers' chains keep the plain firewall plugin.
// Thread-safety: call with the network lock held (attachments.h lock()).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "network/config.h"

namespace hutch::network {

// Whether `n` gets isolation: hutch's own bridge networks.
bool isolated(const Network& n);
// The one-plugin conflist and the result it is given (the bridge as the
// interface, the gateway as the address).
std::string isolation_conflist(const Network& n);
std::string isolation_prev_result(const Network& n);

// Runs the plugin's ADD unless the marker in `marker_dir` says it ran.
Status ensure_isolation(const Network& n, const std::string& marker_dir, const std::vector<std::string>& plugin_dirs);
// Its DEL and the marker's removal (network rm). Best effort. The plugin
// keeps the bridge's isolation rules themselves (they match nothing once
// the bridge is gone), as it does after its last container.
Status remove_isolation(const Network& n, const std::string& marker_dir, const std::vector<std::string>& plugin_dirs);

}  // namespace hutch::network
