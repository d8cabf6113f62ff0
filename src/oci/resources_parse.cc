// Parsing of linux.resources and linux.seccomp (shared with `update`).
#include <set>

#include "oci/internal_walker.h"
#include "oci/spec.h"

namespace hutch::oci {

using internal::Walker;

namespace {

Status parse_throttle(const Walker& w, std::vector<ThrottleDevice>& out) {
  if (w.is_null()) return {};
  TRY(w.expect_array());
  for (size_t i = 0; i < w.size(); ++i) {
    Walker e = w.element(i);
    TRY(e.expect_object());
    ThrottleDevice t;
    ASSIGN_OR_RETURN(t.major, e.member("major").int64());
    ASSIGN_OR_RETURN(t.minor, e.member("minor").int64());
    ASSIGN_OR_RETURN(t.rate, e.member("rate").uint64());
    out.push_back(t);
  }
  return {};
}

Status check_weight(const Walker& w, const std::optional<uint16_t>& v) {
  if (v && (*v < 10 || *v > 1000)) return w.fail("must be between 10 and 1000, got " + std::to_string(*v));
  return {};
}

}  // namespace

Status parse_resources_w(const Walker& w, Resources& r) {
  TRY(w.expect_object());
  Walker dev = w.member("devices");
  if (!dev.is_null()) {
    TRY(dev.expect_array());
    for (size_t i = 0; i < dev.size(); ++i) {
      Walker e = dev.element(i);
      TRY(e.expect_object());
      DeviceCgroup d;
      ASSIGN_OR_RETURN(d.allow, e.member("allow").boolean());
      TRY(e.opt("type", d.type));
      if (!d.type.empty() && d.type != "a" && d.type != "c" && d.type != "b")
        return e.member("type").fail("unknown value \"" + d.type + "\"");
      TRY(e.opt("major", d.major));
      TRY(e.opt("minor", d.minor));
      TRY(e.opt("access", d.access));
      for (char c : d.access)
        if (c != 'r' && c != 'w' && c != 'm') return e.member("access").fail("unknown access \"" + d.access + "\"");
      r.devices.push_back(std::move(d));
    }
  }
  Walker mem = w.member("memory");
  if (!mem.is_null()) {
    Memory m;
    TRY(mem.expect_object());
    TRY(mem.opt("limit", m.limit));
    TRY(mem.opt("reservation", m.reservation));
    TRY(mem.opt("swap", m.swap));
    TRY(mem.opt("kernel", m.kernel));
    TRY(mem.opt("kernelTCP", m.kernel_tcp));
    TRY(mem.opt("swappiness", m.swappiness));
    if (m.swappiness && *m.swappiness > 100)
      return mem.member("swappiness").fail("must be between 0 and 100");
    TRY(mem.opt("disableOOMKiller", m.disable_oom_killer));
    TRY(mem.opt("useHierarchy", m.use_hierarchy));
    TRY(mem.opt("checkBeforeUpdate", m.check_before_update));
    if (m.limit && m.swap && *m.swap != -1 && *m.limit != -1 && *m.swap < *m.limit)
      return mem.member("swap").fail("memory+swap limit must not be below the memory limit");
    r.memory = m;
  }
  Walker cpu = w.member("cpu");
  if (!cpu.is_null()) {
    Cpu c;
    TRY(cpu.expect_object());
    TRY(cpu.opt("shares", c.shares));
    TRY(cpu.opt("quota", c.quota));
    TRY(cpu.opt("burst", c.burst));
    TRY(cpu.opt("period", c.period));
    TRY(cpu.opt("realtimeRuntime", c.realtime_runtime));
    TRY(cpu.opt("realtimePeriod", c.realtime_period));
    TRY(cpu.opt("cpus", c.cpus));
    TRY(cpu.opt("mems", c.mems));
    TRY(cpu.opt("idle", c.idle));
    r.cpu = c;
  }
  Walker pids = w.member("pids");
  if (!pids.is_null()) {
    TRY(pids.expect_object());
    std::optional<int64_t> lim;
    TRY(pids.opt("limit", lim));
    r.pids_limit = lim;
  }
  Walker bio = w.member("blockIO");
  if (!bio.is_null()) {
    BlockIo b;
    TRY(bio.expect_object());
    TRY(bio.opt("weight", b.weight));
    TRY(check_weight(bio.member("weight"), b.weight));
    TRY(bio.opt("leafWeight", b.leaf_weight));
    TRY(check_weight(bio.member("leafWeight"), b.leaf_weight));
    Walker wd = bio.member("weightDevice");
    if (!wd.is_null()) {
      TRY(wd.expect_array());
      for (size_t i = 0; i < wd.size(); ++i) {
        Walker e = wd.element(i);
        TRY(e.expect_object());
        WeightDevice d;
        ASSIGN_OR_RETURN(d.major, e.member("major").int64());
        ASSIGN_OR_RETURN(d.minor, e.member("minor").int64());
        TRY(e.opt("weight", d.weight));
        TRY(check_weight(e.member("weight"), d.weight));
        TRY(e.opt("leafWeight", d.leaf_weight));
        TRY(check_weight(e.member("leafWeight"), d.leaf_weight));
        b.weight_device.push_back(d);
      }
    }
    TRY(parse_throttle(bio.member("throttleReadBpsDevice"), b.throttle_read_bps));
    TRY(parse_throttle(bio.member("throttleWriteBpsDevice"), b.throttle_write_bps));
    TRY(parse_throttle(bio.member("throttleReadIOPSDevice"), b.throttle_read_iops));
    TRY(parse_throttle(bio.member("throttleWriteIOPSDevice"), b.throttle_write_iops));
    r.block_io = std::move(b);
  }
  Walker hp = w.member("hugepageLimits");
  if (!hp.is_null()) {
    TRY(hp.expect_array());
    for (size_t i = 0; i < hp.size(); ++i) {
      Walker e = hp.element(i);
      TRY(e.expect_object());
      HugepageLimit h;
      ASSIGN_OR_RETURN(h.page_size, e.member("pageSize").str());
      ASSIGN_OR_RETURN(h.limit, e.member("limit").uint64());
      r.hugepage_limits.push_back(std::move(h));
    }
  }
  Walker net = w.member("network");
  if (!net.is_null()) {
    Network n;
    TRY(net.expect_object());
    TRY(net.opt("classID", n.class_id));
    Walker pr = net.member("priorities");
    if (!pr.is_null()) {
      TRY(pr.expect_array());
      for (size_t i = 0; i < pr.size(); ++i) {
        Walker e = pr.element(i);
        TRY(e.expect_object());
        NetworkPriority p;
        ASSIGN_OR_RETURN(p.name, e.member("name").str());
        ASSIGN_OR_RETURN(p.priority, e.member("priority").uint32());
        n.priorities.push_back(std::move(p));
      }
    }
    r.network = std::move(n);
  }
  Walker rdma = w.member("rdma");
  if (!rdma.is_null()) {
    TRY(rdma.expect_object());
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(rdma.node()), k, v) {
      Walker e(v, rdma.path() + "." + k);
      TRY(e.expect_object());
      Rdma d;
      TRY(e.opt("hcaHandles", d.hca_handles));
      TRY(e.opt("hcaObjects", d.hca_objects));
      r.rdma[k] = d;
    }
  }
  TRY(w.opt("unified", r.unified));
  for (const auto& [k, v] : r.unified) {
    if (k.find('/') != std::string::npos || k == "." || k == ".." || k.find('.') == std::string::npos)
      return w.member("unified").member(k.c_str()).fail("not a cgroup interface file name");
  }
  return {};
}

namespace {

Result<SeccompAction> seccomp_action(const Walker& w) {
  ASSIGN_OR_RETURN(std::string a, w.str());
  static const std::pair<const char*, SeccompAction> kActions[] = {
      {"SCMP_ACT_KILL", SeccompAction::kKill},
      {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
      {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
      {"SCMP_ACT_TRAP", SeccompAction::kTrap},
      {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
      {"SCMP_ACT_TRACE", SeccompAction::kTrace},
      {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
      {"SCMP_ACT_LOG", SeccompAction::kLog},
      {"SCMP_ACT_NOTIFY", SeccompAction::kNotify},
  };
  for (const auto& [name, act] : kActions)
    if (a == name) return act;
  return w.fail("unknown action \"" + a + "\"");
}

Result<SeccompOp> seccomp_op(const Walker& w) {
  ASSIGN_OR_RETURN(std::string a, w.str());
  static const std::pair<const char*, SeccompOp> kOps[] = {
      {"SCMP_CMP_NE", SeccompOp::kNotEqual},     {"SCMP_CMP_LT", SeccompOp::kLessThan},
      {"SCMP_CMP_LE", SeccompOp::kLessEqual},    {"SCMP_CMP_EQ", SeccompOp::kEqualTo},
      {"SCMP_CMP_GE", SeccompOp::kGreaterEqual}, {"SCMP_CMP_GT", SeccompOp::kGreaterThan},
      {"SCMP_CMP_MASKED_EQ", SeccompOp::kMaskedEqual},
  };
  for (const auto& [name, op] : kOps)
    if (a == name) return op;
  return w.fail("unknown operator \"" + a + "\"");
}

}  // namespace

Status parse_seccomp_w(const Walker& w, Seccomp& s) {
  TRY(w.expect_object());
  ASSIGN_OR_RETURN(s.default_action, seccomp_action(w.member("defaultAction")));
  TRY(w.opt("defaultErrnoRet", s.default_errno_ret));
  TRY(w.opt("architectures", s.architectures));
  TRY(w.opt("flags", s.flags));
  TRY(w.opt("listenerPath", s.listener_path));
  TRY(w.opt("listenerMetadata", s.listener_metadata));
  Walker sys = w.member("syscalls");
  bool notify = s.default_action == SeccompAction::kNotify;
  if (!sys.is_null()) {
    TRY(sys.expect_array());
    for (size_t i = 0; i < sys.size(); ++i) {
      Walker e = sys.element(i);
      TRY(e.expect_object());
      SeccompSyscall sc;
      TRY(e.opt("names", sc.names));
      if (sc.names.empty()) return e.member("names").fail("must list at least one syscall");
      ASSIGN_OR_RETURN(sc.action, seccomp_action(e.member("action")));
      if (sc.action == SeccompAction::kNotify) notify = true;
      TRY(e.opt("errnoRet", sc.errno_ret));
      Walker args = e.member("args");
      if (!args.is_null()) {
        TRY(args.expect_array());
        for (size_t j = 0; j < args.size(); ++j) {
          Walker a = args.element(j);
          TRY(a.expect_object());
          SeccompArg arg;
          ASSIGN_OR_RETURN(uint32_t idx, a.member("index").uint32());
          if (idx > 5) return a.member("index").fail("index " + std::to_string(idx) + " out of range (0-5)");
          arg.index = idx;
          ASSIGN_OR_RETURN(arg.value, a.member("value").uint64());
          std::optional<uint64_t> two;
          TRY(a.opt("valueTwo", two));
          arg.value_two = two.value_or(0);
          ASSIGN_OR_RETURN(arg.op, seccomp_op(a.member("op")));
          sc.args.push_back(arg);
        }
      }
      s.syscalls.push_back(std::move(sc));
    }
  }
  if (notify && s.listener_path.empty())
    return w.member("listenerPath").fail("SCMP_ACT_NOTIFY needs a listenerPath");
  return {};
}

}  // namespace hutch::oci
