// Capabilities: names <-> numbers, and applying the five OCI sets
// (bounding, effective, permitted, inheritable, ambient) to the calling
// process. Planning (names to bit masks) is pure; apply_* make syscalls.
// Thread-safety: affects the calling thread only; call single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hutch::runtime {

// Number of a "CAP_..." name; nullopt when unknown.
std::optional<int> capability_number(const std::string& name);
const char* capability_name(int number);
// The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
int last_capability();

struct CapSets {
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

// Unknown names are skipped (runc does the same: profiles name
// capabilities newer kernels have); `unknown` collects them for a warning.
CapSets plan_capabilities(const oci::Capabilities& caps, int last_cap, std::vector<std::string>* unknown);

// Drops from the bounding set every capability not in `sets.bounding`.
Status apply_bounding(const CapSets& sets, int last_cap);
// Sets effective/permitted/inheritable, then raises ambient.
Status apply_capabilities(const CapSets& sets, int last_cap);

}  // namespace hutch::runtime
