// A container's networks, the engine side: what `start` sets up before the
// monitor runs (network namespace, CNI ADD per network, published ports,
// /etc/hosts and /etc/resolv.conf), what `network connect|disconnect` change,
// and what inspect, ps and port read. The monitor tears it all down when the
// container ends for good (network/attachments.h); the engine does so for
// containers whose monitor died (reconcile, boot).
// Thread-safety: one call at a time per Containers; processes are
// serialised by a lock file beside the attachment records.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "base/json.h"
#include "engine/containers.h"
#include "network/config.h"
#include "network/types.h"

namespace hutch::engine {

// docker network connect's --alias, --ip, --mac-address (the latter two
// only before the container runs on that network).
struct EndpointOptions {
  std::vector<std::string> aliases;
  std::string ip;
  std::string mac;
};

// docker network connect: records the network in the container's config
// and, when it runs, attaches it now (a new interface, eth1, eth2...).
// EEXIST when already connected; ENOENT for an unknown network/container.
Status connect_network(Containers& c, const std::string& container_ref, const std::string& network_ref,
                       const EndpointOptions& o);
// docker network disconnect [-f].
Status disconnect_network(Containers& c, const std::string& container_ref, const std::string& network_ref,
                          bool force);

// One running container's endpoint on a network (network inspect's
// "Containers").
struct Endpoint {
  std::string container_id, container_name, endpoint_id, mac, ipv4;  // ipv4: CIDR
};
Result<std::vector<Endpoint>> endpoints_on(Containers& c, const std::string& network_name);
// system prune's networks: removes hutch's user networks no container
// (running or not) names; their names. Users' own conflists stay.
Result<std::vector<std::string>> prune_networks(Containers& c);
// docker network inspect's object for `n`: its definition plus the
// running containers' endpoints ("Containers").
Result<json::Ptr> inspect_network(Containers& c, const network::Network& n);
// Ids of the containers, running or not, whose config names the network
// (network rm refuses while any runs; prune skips networks with any).
Result<std::vector<std::string>> containers_on_network(Containers& c, const std::string& network_name);

// --- used by the container lifecycle -------------------------------------------

// NetworkMode values that need no CNI: none, host, container:<ref>.
bool uses_cni(const std::string& network_mode);

// Before the monitor starts: pins the namespace, CNI ADD for each of the
// container's networks (its config's "Networks", NetworkMode first),
// publishes its ports on the first one, writes its /etc/hosts and
// /etc/resolv.conf and tells the other containers' /etc/hosts. On failure
// nothing is left set up. A no-op for none/host/container: modes.
Status setup_networks(Containers& c, const state::ContainerRow& row);
// The same in two halves, so the plugins run while the monitor starts:
// begin() refuses what it can (unknown network, busy port), pins the
// namespace and starts CNI ADD in a child process; wait() returns its
// outcome (on failure nothing is left set up). The container must not
// start before wait() succeeded.
class NetworkSetup {
 public:
  static Result<NetworkSetup> begin(Containers& c, const state::ContainerRow& row);
  Status wait();
  NetworkSetup() = default;
  NetworkSetup(NetworkSetup&& o) noexcept
      : pid_(std::exchange(o.pid_, 0)), result_(std::move(o.result_)), dir_(std::move(o.dir_)), id_(std::move(o.id_)) {}
  NetworkSetup& operator=(NetworkSetup&&) = delete;
  ~NetworkSetup();

 private:
  pid_t pid_ = 0;
  UniqueFd result_;
  std::string dir_, id_;
};
// Undoes it (what the monitor does at the end); OK when nothing is set up.
Status teardown_networks(const ContainerPaths& paths, const std::string& id);
// `hutch boot` and prune: tears down what containers that no longer run
// left (their monitor or the host died).
void sweep_networks(Containers& c);

// inspect's NetworkSettings for a row (addresses while it runs).
json::Ptr network_settings(const ContainerPaths& paths, const state::ContainerRow& row, const json_t* config);
// The ports a running container published, concrete ([] when not running).
std::vector<network::PortMapping> published_ports(const ContainerPaths& paths, const std::string& id);

}  // namespace hutch::engine
