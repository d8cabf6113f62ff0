// docker update: changes a container's limits and restart policy.
//
// A running container gets the new limits live, through its OCI runtime
// (`<runtime> update --resources <file> <id>`, the runtime-spec
// linux.resources JSON, which hutchrt, crun and runc all take); every
// container keeps them in three places so that a restart, inspect and the
// monitor agree: the row's HostConfig, <bundle>/config.json's
// linux.resources and, for the restart policy, <bundle>/monitor.json
// (which the monitor re-reads when the container exits). Nothing is stored
// when the runtime refuses the change.
// Thread-safety: as Containers (one per thread; processes serialise on the
// database).
#pragma once

#include <jansson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/error.h"
#include "engine/containers.h"

namespace hutch::engine {

// What the user asked for; unset fields stay as they are. Values as the
// parsers of run_options.h return them.
struct UpdateOptions {
  std::optional<int64_t> memory, memory_swap, memory_reservation;  // bytes; swap -1 = unlimited
  std::optional<std::pair<int64_t, int64_t>> cpus;  // {quota, period} from parse_cpus; {0, 0} = no limit
  std::optional<uint64_t> cpu_shares;
  std::optional<std::string> cpuset_cpus;
  std::optional<int64_t> pids_limit;  // 0 or below: unlimited
  std::optional<uint16_t> blkio_weight;
  std::optional<std::pair<std::string, int>> restart;  // from parse_restart

  bool has_resources() const;
};

// A container's limits in HostConfig's terms (docker's names and units).
struct Limits {
  int64_t memory = 0, memory_swap = 0, memory_reservation = 0;
  int64_t nano_cpus = 0;
  uint64_t cpu_shares = 0;
  std::string cpuset_cpus;
  int64_t pids_limit = 0;
  uint16_t blkio_weight = 0;
};

// HostConfig's limits; an unset MemorySwap with a memory limit is the
// twice-the-memory default the container was created with.
Limits limits_of(const json_t* host_config);
// The limits after `o`, with docker's checks ("Minimum memory limit allowed
// is 6MB", memory above the set memory+swap without a new --memory-swap,
// swap below memory, reservation above memory); EINVAL with docker's text.
Result<Limits> merge_limits(const Limits& current, const UpdateOptions& o);
// The runtime-spec linux.resources object for the runtime's update: the
// categories `o` touches, with the merged values. New reference.
json_t* update_resources(const Limits& merged, const UpdateOptions& o);
// Writes the touched categories of `merged` into an OCI spec's
// linux.resources (created when missing) and into a HostConfig.
void store_in_spec(json_t* spec, const Limits& merged, const UpdateOptions& o);
void store_in_host_config(json_t* host_config, const Limits& merged, const UpdateOptions& o);

// Applies `o` to the container `ref`: live when it runs, and stored.
Status update_container(Containers& cs, const std::string& ref, const UpdateOptions& o);

}  // namespace hutch::engine
