// v2 memory controller: cgroup-v2.rst, "Memory".
#include <limits>

#include "base/log.h"
#include "cgroup/internal/convert.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Status apply_memory(const std::string& dir, const oci::Memory& m) {
  if (m.check_before_update.value_or(false) && m.limit.value_or(0) > 0) {
    ASSIGN_OR_RETURN(uint64_t usage, read_uint(dir, "memory.current"));
    if (usage > static_cast<uint64_t>(*m.limit))
      return Error(EBUSY, "memory.limit " + std::to_string(*m.limit) +
                              " is below the current usage " + std::to_string(usage));
  }
  ASSIGN_OR_RETURN(auto swap, swap_to_v2(m.swap, m.limit));
  if (swap) {
    // Without swap accounting the file does not exist; only a finite
    // request needs it.
    if (file_exists(dir, "memory.swap.max") || *swap != -1)
      TRY(write_file(dir, "memory.swap.max", v2_limit(*swap)));
  }
  if (m.limit.value_or(0) != 0) TRY(write_file(dir, "memory.max", v2_limit(*m.limit)));
  if (m.reservation.value_or(0) != 0) TRY(write_file(dir, "memory.low", v2_limit(*m.reservation)));
  // v2 charges kernel memory to memory.max and is always hierarchical.
  if (m.kernel.value_or(0) != 0 || m.kernel_tcp.value_or(0) != 0)
    log::warn("cgroup", "kernel memory limits do not exist on cgroup v2; ignored");
  if (m.swappiness && *m.swappiness != std::numeric_limits<uint64_t>::max())
    log::warn("cgroup", "memory.swappiness does not exist on cgroup v2; ignored");
  if (m.disable_oom_killer.value_or(false))
    log::warn("cgroup", "disabling the OOM killer is not possible on cgroup v2; ignored");
  return {};
}

}  // namespace hutch::cgroup::v2
