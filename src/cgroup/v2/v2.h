// cgroup v2 controllers: each applies its part of linux.resources to one
// directory of the unified tree, with the file names and value formats of
// Documentation/admin-guide/cgroup-v2.rst. Spec values written for v1
// (cpu shares, memory+swap, blkio weights) are converted as runc does.
// Fields absent from the spec are left as they are.
// Thread-safety: no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "cgroup/internal/files.h"
#include "oci/spec.h"

namespace hutch::cgroup::v2 {

// Writes "+c1 +c2 ..." to dir's cgroup.subtree_control for every
// controller its cgroup.controllers lists, so children get them.
Status enable_controllers(const std::string& dir);
// Enables one controller in cgroup.subtree_control of every ancestor of
// `dir` from `mount` down (hybrid hosts, where create() enables none).
Status enable_controller_down(const std::string& mount, const std::string& dir, std::string_view controller);

Status apply_memory(const std::string& dir, const oci::Memory& m);
Status apply_cpu(const std::string& dir, const oci::Cpu& c);
Status apply_cpuset(const std::string& dir, const oci::Cpu& c);
Status apply_pids(const std::string& dir, int64_t limit);
// io.weight (or io.bfq.weight when `bfq`) and one io.max line per device.
std::vector<Write> io_writes(const oci::BlockIo& b, bool bfq);
Status apply_io(const std::string& dir, const oci::BlockIo& b);
Status apply_hugetlb(const std::string& dir, const std::vector<oci::HugepageLimit>& limits);
Status apply_rdma(const std::string& dir, const std::map<std::string, oci::Rdma>& rdma);
// linux.resources.unified: each key is a file name in the group.
Status apply_unified(const std::string& dir, const std::map<std::string, std::string>& files);
// v2 has no devices files: an eBPF program attached to the group decides.
Status apply_devices(const std::string& dir, const std::vector<oci::DeviceCgroup>& rules);

// cgroup.freeze; waits until cgroup.events reports the new state.
Status set_frozen(const std::string& dir, bool frozen);
Result<bool> frozen(const std::string& dir);

}  // namespace hutch::cgroup::v2
