// v1 memory controller: Documentation/admin-guide/cgroup-v1/memory.rst.
#include <limits>

#include "base/log.h"
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

static constexpr char kLimit[] = "memory.limit_in_bytes";
static constexpr char kMemsw[] = "memory.memsw.limit_in_bytes";

std::vector<Write> memory_limit_writes(const oci::Memory& m, uint64_t current_limit) {
  int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
  // Unlimited memory with swap unset means unlimited memory+swap, or the old
  // memsw limit would still cap the group.
  if (limit == -1 && swap == 0) swap = -1;
  Write mem{kLimit, std::to_string(limit)}, sw{kMemsw, std::to_string(swap)};
  if (limit != 0 && swap != 0) {
    // The kernel keeps memsw >= memory at every step (EINVAL otherwise):
    // growing, memsw goes first; shrinking, memory goes first.
    if (swap == -1 || current_limit < static_cast<uint64_t>(swap)) return {sw, mem};
    return {mem, sw};
  }
  std::vector<Write> out;
  if (limit != 0) out.push_back(mem);
  if (swap != 0) out.push_back(sw);
  return out;
}

static Status check_usage(const std::string& dir, int64_t limit) {
  ASSIGN_OR_RETURN(uint64_t usage, read_uint(dir, "memory.usage_in_bytes"));
  if (limit > 0 && usage > static_cast<uint64_t>(limit))
    return Error(EBUSY, "memory.limit " + std::to_string(limit) + " is below the current usage " +
                            std::to_string(usage));
  return {};
}

static Status set_limits(const std::string& dir, const oci::Memory& m) {
  ASSIGN_OR_RETURN(uint64_t current, read_uint(dir, kLimit));
  auto writes = memory_limit_writes(m, current);
  bool memsw = file_exists(dir, kMemsw);
  for (const auto& w : writes) {
    if (w.file == kMemsw && !memsw) {
      // Swap accounting is off (swapaccount=0): nothing to limit. Only an
      // explicit request is an error.
      if (m.swap.value_or(0) == 0) continue;
      return Error(ENOTSUP, "memory.swap: this kernel does not account swap (" +
                                std::string(kMemsw) + " is missing); boot with swapaccount=1");
    }
    auto st = write_file(dir, w.file, w.value);
    if (!st.ok() && st.error().code() == EBUSY && w.file == kLimit)
      return std::move(st).error().context("memory.limit is below what the group already uses");
    TRY(st);
  }
  return {};
}

// Kernel memory limits were deprecated in 5.4 and are refused by newer
// kernels; runc ignores them. Writes are tried, and refusal only warned of.
static Status set_kernel(const std::string& dir, const char* file, int64_t value) {
  auto st = write_file(dir, file, std::to_string(value));
  if (st.ok()) return {};
  int code = st.error().code();
  if (code == ENOENT || code == EOPNOTSUPP || code == EINVAL) {
    log::warn("cgroup", std::string(file) + " is not supported by this kernel; ignored");
    return {};
  }
  return st;
}

Status apply_memory(const std::string& dir, const oci::Memory& m) {
  if (m.check_before_update.value_or(false) && m.limit) TRY(check_usage(dir, *m.limit));
  if (m.limit.value_or(0) != 0 || m.swap.value_or(0) != 0) TRY(set_limits(dir, m));
  if (m.reservation.value_or(0) != 0)
    TRY(write_file(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation)));
  if (m.kernel.value_or(0) != 0) TRY(set_kernel(dir, "memory.kmem.limit_in_bytes", *m.kernel));
  if (m.kernel_tcp.value_or(0) != 0)
    TRY(set_kernel(dir, "memory.kmem.tcp.limit_in_bytes", *m.kernel_tcp));
  // -1 read into an unsigned field is the spec's "unset".
  if (m.swappiness && *m.swappiness != std::numeric_limits<uint64_t>::max()) {
    if (*m.swappiness > 100)
      return Error(EINVAL, "memory.swappiness " + std::to_string(*m.swappiness) +
                               " is out of range; use 0 to 100");
    TRY(write_file(dir, "memory.swappiness", std::to_string(*m.swappiness)));
  }
  if (m.disable_oom_killer)
    TRY(write_file(dir, "memory.oom_control", *m.disable_oom_killer ? "1" : "0"));
  if (m.use_hierarchy) TRY(write_file(dir, "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0"));
  return {};
}

}  // namespace hutch::cgroup::v1
