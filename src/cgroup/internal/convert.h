// Pure conversions from runtime-spec values to cgroup file values, shared
// by the v1 and v2 controllers. They follow runc so that a spec means the
// same under hutch as under runc and crun.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "oci/spec.h"

namespace hutch::cgroup {

// pids.max: the spec's limit, where zero or less means unlimited.
std::string pids_max(int64_t limit);

// cpu.shares [2, 262144] onto cpu.weight [1, 10000], as runc and crun map
// it: 1 + ((shares - 2) * 9999) / 262142. 0 stays 0 (unset).
uint64_t shares_to_weight(uint64_t shares);

// blkio.weight [10, 1000] onto io.weight [1, 10000]; 0 stays 0 (unset).
uint64_t blkio_to_io_weight(uint64_t weight);

// The spec's memory.swap is memory+swap (the v1 memsw meaning); v2's
// memory.swap.max is swap alone. Returns the v2 value: nullopt to leave it
// alone, -1 for "max". Errors as runc does for swap without a memory limit
// or below it.
Result<std::optional<int64_t>> swap_to_v2(std::optional<int64_t> swap,
                                          std::optional<int64_t> limit);

// A memory value for a v2 file: -1 is "max".
std::string v2_limit(int64_t v);

// One rdma.max line: "mlx4_0 hca_handle=2 hca_object=2000".
std::string rdma_line(const std::string& device, const oci::Rdma& r);

// Refuses hugepage sizes that could escape the file name ("2MB" is fine).
Status check_page_size(const std::string& size);

// Checks a linux.resources.devices rule: type "a", "b", "c" or empty (all),
// access a subset of "rwm" (empty: all). `index` names it in the error.
Status check_device_rule(const oci::DeviceCgroup& rule, size_t index);
// The rule's fields with the spec's defaults filled in; -1 is any number.
char device_type(const oci::DeviceCgroup& rule);
std::string device_access(const oci::DeviceCgroup& rule);
int64_t device_major(const oci::DeviceCgroup& rule);
int64_t device_minor(const oci::DeviceCgroup& rule);

}  // namespace hutch::cgroup
