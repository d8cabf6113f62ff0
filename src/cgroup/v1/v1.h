// cgroup v1 controllers: each applies its part of linux.resources to one
// group directory of its own hierarchy. Files are those of the kernel's
// Documentation/admin-guide/cgroup-v1/. Fields absent from the spec are
// left as they are. Where the order of writes matters, a pure *_writes()
// function plans them so tests can check the order.
// Thread-safety: no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "cgroup/internal/files.h"
#include "oci/spec.h"

namespace hutch::cgroup::v1 {

// memory.limit_in_bytes and memory.memsw.limit_in_bytes, ordered against
// the current limit so that neither write is refused midway.
std::vector<Write> memory_limit_writes(const oci::Memory& m, uint64_t current_limit);
Status apply_memory(const std::string& dir, const oci::Memory& m);

Status apply_cpu(const std::string& dir, const oci::Cpu& c);

// A new v1 cpuset group starts with empty cpus and mems, and no task can
// join it until both are set; fills them from the parent, top down from
// below `mount`.
Status init_cpuset(const std::string& mount, const std::string& dir);
Status apply_cpuset(const std::string& dir, const oci::Cpu& c);

Status apply_pids(const std::string& dir, int64_t limit);
Status apply_blkio(const std::string& dir, const oci::BlockIo& b);
Status apply_hugetlb(const std::string& dir, const std::vector<oci::HugepageLimit>& limits);
Status apply_net_cls(const std::string& dir, const oci::Network& n);
Status apply_net_prio(const std::string& dir, const oci::Network& n);
Status apply_rdma(const std::string& dir, const std::map<std::string, oci::Rdma>& rdma);

// "a" denied first, then each rule in order to devices.allow or .deny.
std::vector<Write> device_writes(const std::vector<oci::DeviceCgroup>& rules);
Status apply_devices(const std::string& dir, const std::vector<oci::DeviceCgroup>& rules);

// freezer.state; waits until the kernel reports FROZEN or THAWED.
Status set_frozen(const std::string& dir, bool frozen);
Result<bool> frozen(const std::string& dir);

}  // namespace hutch::cgroup::v1
