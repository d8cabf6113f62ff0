#include "cgroup/internal/convert.h"

namespace hutch::cgroup {

std::string pids_max(int64_t limit) { return limit <= 0 ? "max" : std::to_string(limit); }

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  // Below the kernel's minimum of 2 the formula would underflow.
  if (shares < 2) shares = 2;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  return 1 + (weight - 10) * 9999 / 990;
}

Result<std::optional<int64_t>> swap_to_v2(std::optional<int64_t> swap,
                                          std::optional<int64_t> limit) {
  int64_t s = swap.value_or(0), m = limit.value_or(0);
  // An unlimited memory request with no swap given means both unlimited,
  // as it does on v1.
  if (m == -1 && s == 0) return std::optional<int64_t>(-1);
  if (s == 0) return std::optional<int64_t>();
  if (s == -1) return std::optional<int64_t>(-1);
  if (m == 0 || m == -1)
    return Error(EINVAL, "memory.swap: a swap limit needs a memory limit; set memory.limit too");
  if (m < 0) return Error(EINVAL, "memory.limit: invalid value " + std::to_string(m));
  if (s < m)
    return Error(EINVAL, "memory.swap (" + std::to_string(s) +
                             ") is memory+swap and must be at least memory.limit (" +
                             std::to_string(m) + ")");
  return std::optional<int64_t>(s - m);
}

std::string v2_limit(int64_t v) { return v == -1 ? "max" : std::to_string(v); }

std::string rdma_line(const std::string& device, const oci::Rdma& r) {
  std::string line = device;
  if (r.hca_handles) line += " hca_handle=" + std::to_string(*r.hca_handles);
  if (r.hca_objects) line += " hca_object=" + std::to_string(*r.hca_objects);
  return line;
}

Status check_page_size(const std::string& size) {
  if (size.empty() || size.find('/') != std::string::npos || size.find('.') != std::string::npos)
    return Error(EINVAL, "hugepage size \"" + size + "\" is not valid; use a size such as \"2MB\"");
  return {};
}

Status check_device_rule(const oci::DeviceCgroup& rule, size_t index) {
  std::string where = "linux.resources.devices[" + std::to_string(index) + "]";
  if (rule.type.size() > 1 || rule.type.find_first_not_of("abc") != std::string::npos)
    return Error(EINVAL, where + ".type: \"" + rule.type + "\" is not \"a\", \"b\" or \"c\"");
  if (rule.access.find_first_not_of("rwm") != std::string::npos)
    return Error(EINVAL, where + ".access: \"" + rule.access + "\" is not a subset of \"rwm\"");
  // Absent means any; runc also reads -1 that way, so -1 is accepted too.
  if (rule.major.value_or(0) < -1 || rule.minor.value_or(0) < -1)
    return Error(EINVAL, where + ": a negative major or minor number; leave it out to match any");
  return {};
}

char device_type(const oci::DeviceCgroup& rule) { return rule.type.empty() ? 'a' : rule.type[0]; }

std::string device_access(const oci::DeviceCgroup& rule) {
  return rule.access.empty() ? "rwm" : rule.access;
}

int64_t device_major(const oci::DeviceCgroup& rule) { return rule.major.value_or(-1); }
int64_t device_minor(const oci::DeviceCgroup& rule) { return rule.minor.value_or(-1); }

}  // namespace hutch::cgroup
