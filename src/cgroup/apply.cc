// Group::apply: linux.resources, controller by controller, each in the
// directory of the hierarchy that serves it, with that version's files.
#include <functional>

#include "cgroup/internal/group.h"
#include "cgroup/v1/v1.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup {
namespace {

bool any(const oci::Memory& m) {
  return m.limit || m.reservation || m.swap || m.kernel || m.kernel_tcp || m.swappiness ||
         m.disable_oom_killer || m.use_hierarchy;
}

bool any_cpu(const oci::Cpu& c) {
  return c.shares || c.quota || c.burst || c.period || c.realtime_runtime || c.realtime_period ||
         c.idle;
}

bool any(const oci::BlockIo& b) {
  return b.weight || b.leaf_weight || !b.weight_device.empty() || !b.throttle_read_bps.empty() ||
         !b.throttle_write_bps.empty() || !b.throttle_read_iops.empty() ||
         !b.throttle_write_iops.empty();
}

using Apply = std::function<Status(const std::string& dir)>;

struct Step {
  const char* controller;
  Apply v1, v2;  // null where that version has no such controller
};

// The steps `res` asks for, in the order they are applied: cpuset before
// the rest as runc does, unified last so its raw values win.
std::vector<Step> steps(const oci::Resources& r) {
  std::vector<Step> out;
  if (r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty()))
    out.push_back({"cpuset", [&](auto& d) { return v1::apply_cpuset(d, *r.cpu); },
                   [&](auto& d) { return v2::apply_cpuset(d, *r.cpu); }});
  if (r.cpu && any_cpu(*r.cpu))
    out.push_back({"cpu", [&](auto& d) { return v1::apply_cpu(d, *r.cpu); },
                   [&](auto& d) { return v2::apply_cpu(d, *r.cpu); }});
  if (r.memory && any(*r.memory))
    out.push_back({"memory", [&](auto& d) { return v1::apply_memory(d, *r.memory); },
                   [&](auto& d) { return v2::apply_memory(d, *r.memory); }});
  if (r.pids_limit)
    out.push_back({"pids", [&](auto& d) { return v1::apply_pids(d, *r.pids_limit); },
                   [&](auto& d) { return v2::apply_pids(d, *r.pids_limit); }});
  if (r.block_io && any(*r.block_io))
    out.push_back({"blkio", [&](auto& d) { return v1::apply_blkio(d, *r.block_io); },
                   [&](auto& d) { return v2::apply_io(d, *r.block_io); }});
  if (!r.hugepage_limits.empty())
    out.push_back({"hugetlb", [&](auto& d) { return v1::apply_hugetlb(d, r.hugepage_limits); },
                   [&](auto& d) { return v2::apply_hugetlb(d, r.hugepage_limits); }});
  // net_cls and net_prio exist on v1 only; v2 leaves them to eBPF.
  if (r.network && r.network->class_id)
    out.push_back({"net_cls", [&](auto& d) { return v1::apply_net_cls(d, *r.network); }, nullptr});
  if (r.network && !r.network->priorities.empty())
    out.push_back(
        {"net_prio", [&](auto& d) { return v1::apply_net_prio(d, *r.network); }, nullptr});
  if (!r.rdma.empty())
    out.push_back({"rdma", [&](auto& d) { return v1::apply_rdma(d, r.rdma); },
                   [&](auto& d) { return v2::apply_rdma(d, r.rdma); }});
  if (!r.devices.empty())
    out.push_back({"devices", [&](auto& d) { return v1::apply_devices(d, r.devices); },
                   [&](auto& d) { return v2::apply_devices(d, r.devices); }});
  return out;
}

}  // namespace

Status Group::apply(const oci::Resources& res) {
  auto todo = steps(res);
  // Every controller asked for must exist before anything is written, so a
  // missing one does not leave the group half configured.
  std::vector<const Dir*> where;
  for (const auto& s : todo) {
    const Dir* d = dir_for(s.controller);
    if (!d || (d->version == 2 && !s.v2)) return not_available(s.controller);
    where.push_back(d);
  }
  const Dir* u = unified();
  if (!res.unified.empty() && !u)
    return Error(ENOTSUP,
                 "linux.resources.unified needs cgroup v2, and this host has no unified "
                 "hierarchy; use the other linux.resources fields");
  for (size_t i = 0; i < todo.size(); ++i) {
    const auto& s = todo[i];
    // On a hybrid host create() leaves the v2 tree's controllers alone;
    // a controller configured there is enabled on the way down now.
    if (where[i]->version == 2 && !unified_only() && std::string_view(s.controller) != "devices" &&
        std::string_view(s.controller) != "freezer")
      TRY_CTX(v2::enable_controller_down(where[i]->mount, where[i]->path, s.controller),
              std::string("cgroup ") + s.controller);
    auto st = where[i]->version == 1 ? s.v1(where[i]->path) : s.v2(where[i]->path);
    if (!st.ok()) return std::move(st).error().context(std::string("cgroup ") + s.controller);
  }
  if (!res.unified.empty()) TRY(v2::apply_unified(u->path, res.unified));
  return {};
}

}  // namespace hutch::cgroup
