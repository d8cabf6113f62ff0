#include "runtime/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cctype>
#include <cstring>
#include <utility>

#include "base/log.h"
#include "base/strings.h"

namespace hutch::runtime::seccomp {
namespace {

constexpr unsigned kMaxArgs = 6;  // seccomp_data.args has six slots

// SCMP_FLTATR_CTL_WAITKILL (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) came with
// libseccomp 2.6; it is an enum value, so only the version tells.
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define HUTCH_HAVE_WAITKILL 1
#else
#define HUTCH_HAVE_WAITKILL 0
#endif

const char* action_name(oci::SeccompAction a) {
  switch (a) {
    case oci::SeccompAction::kKill: return "SCMP_ACT_KILL";
    case oci::SeccompAction::kKillProcess: return "SCMP_ACT_KILL_PROCESS";
    case oci::SeccompAction::kKillThread: return "SCMP_ACT_KILL_THREAD";
    case oci::SeccompAction::kTrap: return "SCMP_ACT_TRAP";
    case oci::SeccompAction::kErrno: return "SCMP_ACT_ERRNO";
    case oci::SeccompAction::kTrace: return "SCMP_ACT_TRACE";
    case oci::SeccompAction::kAllow: return "SCMP_ACT_ALLOW";
    case oci::SeccompAction::kLog: return "SCMP_ACT_LOG";
    case oci::SeccompAction::kNotify: return "SCMP_ACT_NOTIFY";
  }
  return "?";
}

scmp_compare compare_op(oci::SeccompOp op) {
  switch (op) {
    case oci::SeccompOp::kNotEqual: return SCMP_CMP_NE;
    case oci::SeccompOp::kLessThan: return SCMP_CMP_LT;
    case oci::SeccompOp::kLessEqual: return SCMP_CMP_LE;
    case oci::SeccompOp::kEqualTo: return SCMP_CMP_EQ;
    case oci::SeccompOp::kGreaterEqual: return SCMP_CMP_GE;
    case oci::SeccompOp::kGreaterThan: return SCMP_CMP_GT;
    case oci::SeccompOp::kMaskedEqual: return SCMP_CMP_MASKED_EQ;
  }
  return _SCMP_CMP_MIN;
}

// "SCMP_ARCH_X86_64" -> libseccomp's "x86_64"; 0 when unknown.
uint32_t arch_token(const std::string& name) {
  constexpr std::string_view kPrefix = "SCMP_ARCH_";
  if (!starts_with(name, kPrefix) || name.size() == kPrefix.size()) return 0;
  std::string lower;
  for (char c : name.substr(kPrefix.size()))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(lower.c_str());
}

Error invalid(const std::string& path, const std::string& text) {
  return Error(EINVAL, text).with_context(path);
}

// Whether an SCMP_ACT_NOTIFY entry will produce at least one rule.
bool entry_notifies(const oci::SeccompSyscall& s) {
  if (s.action != oci::SeccompAction::kNotify) return false;
  for (const auto& name : s.names)
    if (seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR) return true;
  return false;
}

Result<std::vector<Condition>> plan_conditions(const oci::SeccompSyscall& s,
                                               const std::string& path) {
  std::vector<Condition> out;
  for (size_t j = 0; j < s.args.size(); ++j) {
    const oci::SeccompArg& a = s.args[j];
    std::string arg_path = path + ".args[" + std::to_string(j) + "]";
    if (a.index >= kMaxArgs)
      return invalid(arg_path, "index " + std::to_string(a.index) + " out of range (0..5)");
    // valueTwo only means something to SCMP_CMP_MASKED_EQ; libseccomp ignores
    // it otherwise, and runc passes it only when non-zero.
    bool masked = a.op == oci::SeccompOp::kMaskedEqual;
    out.push_back({a.index, a.op, a.value, masked ? a.value_two : 0});
  }
  return out;
}

Status plan_flags(const oci::Seccomp& p, Plan& out) {
  for (size_t i = 0; i < p.flags.size(); ++i) {
    const std::string& f = p.flags[i];
    std::string path = "linux.seccomp.flags[" + std::to_string(i) + "]";
    if (f == "SECCOMP_FILTER_FLAG_TSYNC") {
      out.tsync = true;
    } else if (f == "SECCOMP_FILTER_FLAG_LOG") {
      out.log = true;
    } else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      out.spec_allow = true;
    } else if (f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
      if (!HUTCH_HAVE_WAITKILL)
        return Error(ENOTSUP, f + " needs libseccomp 2.6 or newer (hutch was built with " +
                                  std::to_string(SCMP_VER_MAJOR) + "." +
                                  std::to_string(SCMP_VER_MINOR) + "." +
                                  std::to_string(SCMP_VER_MICRO) + ")")
            .with_context(path);
      out.wait_killable_recv = true;
    } else {
      return invalid(path, "unknown flag \"" + f + "\"");
    }
  }
  return Ok{};
}

Status set_attr(scmp_filter_ctx ctx, scmp_filter_attr attr, uint32_t value, const char* what) {
  int rc = seccomp_attr_set(ctx, attr, value);
  if (rc < 0) return Error(-rc, std::string("set seccomp filter attribute ") + what);
  return Ok{};
}

}  // namespace

Result<uint32_t> action_value(oci::SeccompAction action, std::optional<uint32_t> errno_ret) {
  using A = oci::SeccompAction;
  bool takes_errno = action == A::kErrno || action == A::kTrace;
  if (errno_ret && !takes_errno)
    return Error(EINVAL, "errno " + std::to_string(*errno_ret) + " is not supported by action " +
                             action_name(action));
  // The kernel keeps 16 bits of data in SECCOMP_RET_DATA.
  if (errno_ret && *errno_ret > 0xffff)
    return Error(EINVAL, "errno " + std::to_string(*errno_ret) + " out of range (0..65535)");
  uint32_t data = errno_ret.value_or(EPERM);
  switch (action) {
    case A::kKill:  // SCMP_ACT_KILL is libseccomp's name for KILL_THREAD
    case A::kKillThread: return SCMP_ACT_KILL_THREAD;
    case A::kKillProcess: return SCMP_ACT_KILL_PROCESS;
    case A::kTrap: return SCMP_ACT_TRAP;
    case A::kErrno: return SCMP_ACT_ERRNO(data);
    case A::kTrace: return SCMP_ACT_TRACE(data);
    case A::kAllow: return SCMP_ACT_ALLOW;
    case A::kLog: return SCMP_ACT_LOG;
    case A::kNotify: return SCMP_ACT_NOTIFY;
  }
  return Error(EINVAL, "unknown action");
}

Result<Plan> plan(const oci::Seccomp& p) {
  Plan out;
  // The listener would be asked about the runtime's own remaining syscalls
  // (execve first); runc refuses this too.
  if (p.default_action == oci::SeccompAction::kNotify)
    return invalid("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
  auto def = action_value(p.default_action, p.default_errno_ret);
  if (!def) return std::move(def).error().context("linux.seccomp.defaultErrnoRet");
  out.default_action = *def;
  if (!p.listener_metadata.empty() && p.listener_path.empty())
    return invalid("linux.seccomp.listenerMetadata", "set without listenerPath");

  for (size_t i = 0; i < p.architectures.size(); ++i) {
    uint32_t token = arch_token(p.architectures[i]);
    if (token == 0)
      return invalid("linux.seccomp.architectures[" + std::to_string(i) + "]",
                     "unknown architecture \"" + p.architectures[i] + "\"");
    out.architectures.push_back(token);
  }
  TRY(plan_flags(p, out));

  for (size_t i = 0; i < p.syscalls.size(); ++i) {
    const oci::SeccompSyscall& s = p.syscalls[i];
    std::string path = "linux.seccomp.syscalls[" + std::to_string(i) + "]";
    if (s.names.empty()) return invalid(path + ".names", "must contain at least one entry");
    auto action = action_value(s.action, s.errno_ret);
    if (!action) return std::move(action).error().context(path + ".errnoRet");
    ASSIGN_OR_RETURN(std::vector<Condition> conditions, plan_conditions(s, path));
    bool repeated_index = false;
    unsigned seen[kMaxArgs] = {};
    for (const auto& c : conditions) repeated_index |= ++seen[c.index] > 1;

    for (const auto& name : s.names) {
      int number = seccomp_syscall_resolve_name(name.c_str());
      if (number == __NR_SCMP_ERROR) {
        log::debug("seccomp", "skipping unknown syscall \"" + name + "\" (" + path + ")");
        out.skipped.push_back(name);
        continue;
      }
      if (*action == out.default_action) {
        log::debug("seccomp", "skipping \"" + name + "\" (" + path + "): same as default action");
        continue;
      }
      if (*action == SCMP_ACT_NOTIFY) out.uses_notify = true;
      Rule rule{name, number, *action, {}, path};
      if (!repeated_index) {
        rule.conditions = conditions;
        out.rules.push_back(std::move(rule));
        continue;
      }
      // libseccomp cannot AND two comparisons of one argument, so runc turns
      // such an entry into one rule per comparison, i.e. an OR.
      for (const auto& c : conditions) {
        rule.conditions = {c};
        out.rules.push_back(rule);
      }
    }
  }
  return out;
}

Filter::Filter(Filter&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), uses_notify_(o.uses_notify_), bpf_(std::move(o.bpf_)), flags_(o.flags_) {}

Filter& Filter::operator=(Filter&& o) noexcept {
  if (this != &o) {
    if (ctx_) seccomp_release(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
    uses_notify_ = o.uses_notify_;
    bpf_ = std::move(o.bpf_);
    flags_ = o.flags_;
  }
  return *this;
}

Filter::~Filter() {
  if (ctx_) seccomp_release(ctx_);
}

Result<Filter> compile(const Plan& plan) {
  scmp_filter_ctx ctx = seccomp_init(plan.default_action);
  // seccomp_init reports no reason; a Plan's action is valid, so it is memory
  // or a kernel without this action (KILL_PROCESS, LOG and NOTIFY are newer).
  if (!ctx) return Error(EINVAL, "create seccomp filter for the default action");
  Filter filter(ctx, plan.uses_notify);
  // Without SYSRAWRC libseccomp folds kernel errors into ECANCELED.
  TRY(set_attr(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, "SYSRAWRC"));
  TRY(set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, "NNP"));
  if (plan.tsync) TRY(set_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, "TSYNC"));
  if (plan.log) TRY(set_attr(ctx, SCMP_FLTATR_CTL_LOG, 1, "LOG"));
  if (plan.spec_allow) TRY(set_attr(ctx, SCMP_FLTATR_CTL_SSB, 1, "SSB"));
#if HUTCH_HAVE_WAITKILL
  if (plan.wait_killable_recv) TRY(set_attr(ctx, SCMP_FLTATR_CTL_WAITKILL, 1, "WAITKILL"));
#else
  if (plan.wait_killable_recv)
    return Error(ENOTSUP, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2.6 or newer");
#endif

  for (size_t i = 0; i < plan.architectures.size(); ++i) {
    // The native architecture is in every new context: EEXIST is fine.
    int rc = seccomp_arch_add(ctx, plan.architectures[i]);
    if (rc < 0 && rc != -EEXIST)
      return Error(-rc, "add architecture")
          .with_context("linux.seccomp.architectures[" + std::to_string(i) + "]");
  }

  for (const Rule& r : plan.rules) {
    std::vector<scmp_arg_cmp> cmps;
    for (const Condition& c : r.conditions)
      cmps.push_back({c.index, compare_op(c.op), c.value, c.value_two});
    // Not the _exact variant: libseccomp may rewrite the rule per
    // architecture (socketcall multiplexing on x86, pseudo-syscalls).
    int rc = seccomp_rule_add_array(ctx, r.action, r.number, cmps.size(), cmps.data());
    if (rc < 0) return Error(-rc, "add rule for \"" + r.name + "\"").with_context(r.path);
  }
  return filter;
}

Result<Filter> compile(const oci::Seccomp& profile) {
  ASSIGN_OR_RETURN(Plan p, plan(profile));
  return compile(p);
}

bool needs_listener(const oci::Seccomp& profile) {
  for (const auto& s : profile.syscalls)
    if (entry_notifies(s)) return true;
  return false;
}

unsigned load_flags(const Plan& plan) {
  unsigned f = 0;
  if (plan.tsync) f |= SECCOMP_FILTER_FLAG_TSYNC;
  if (plan.log) f |= SECCOMP_FILTER_FLAG_LOG;
  if (plan.spec_allow) f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  return f;
}

Result<std::string> export_bpf(const Filter& filter) {
  if (!filter.ctx()) return Error(EINVAL, "export seccomp filter: no filter");
  UniqueFd mem(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!mem) return Error::from_errno("export seccomp filter: memfd_create");
  int rc = seccomp_export_bpf(filter.ctx(), mem.get());
  if (rc < 0) return Error(-rc, "export seccomp filter");
  std::string out;
  char buf[8192];
  for (off_t off = 0;;) {
    ssize_t n = ::pread(mem.get(), buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("export seccomp filter: read");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  if (out.empty() || out.size() % sizeof(struct sock_filter) != 0)
    return Error(EINVAL, "export seccomp filter: bad program size " + std::to_string(out.size()));
  return out;
}

Result<int> load(Filter& filter) {
  if (!filter.bpf().empty()) {
    // A program compiled before (seccomp_cache.h): install it as libseccomp's
    // seccomp_load() would, with the same flags (seccomp(2)).
    struct sock_fprog prog;
    prog.len = static_cast<unsigned short>(filter.bpf().size() / sizeof(struct sock_filter));
    prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(filter.bpf().data()));
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter.flags(), &prog) != 0)
      return Error::from_errno("load seccomp filter");
    return -1;
  }
  if (!filter.ctx()) return Error(EINVAL, "load seccomp filter: no filter");
  int rc = seccomp_load(filter.ctx());
  if (rc < 0) return Error(-rc, "load seccomp filter");
  if (!filter.uses_notify()) return -1;
  // libseccomp asked for SECCOMP_FILTER_FLAG_NEW_LISTENER and kept the fd.
  int fd = seccomp_notify_fd(filter.ctx());
  if (fd < 0) return Error(-fd, "get seccomp notify fd");
  return fd;
}

Result<UniqueFd> connect_listener(const std::string& path) {
  std::string what = "seccomp listener \"" + path + "\"";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return Error(EINVAL, "connect to seccomp listener: empty path");
  if (path.size() >= sizeof(addr.sun_path))
    return Error(ENAMETOOLONG, "connect to " + what + ": longer than " +
                                   std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return Error::from_errno("create socket for " + what);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0)
    return Error::from_errno("connect to " + what);
  return sock;
}

Status send_listener(int sock, int notify_fd, const std::string& json) {
  // SCM_RIGHTS needs at least one byte of payload on a stream socket.
  if (json.empty()) return Error(EINVAL, "send to seccomp listener: empty process state");
  iovec iov{const_cast<char*>(json.data()), json.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
  ssize_t n;
  do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno("send seccomp fd to listener");
  // A stream socket may take part of the payload; the fd went with the first
  // byte, and the spec allows several sendmsg calls with fds only in the first.
  size_t off = static_cast<size_t>(n);
  while (off < json.size()) {
    n = ::send(sock, json.data() + off, json.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("send process state to seccomp listener");
    off += static_cast<size_t>(n);
  }
  return Ok{};
}

std::string process_state_json(const std::string& oci_version, int pid, const std::string& metadata,
                               const std::string& state_json) {
  std::string out = "{\"ociVersion\":\"" + json_escape(oci_version) +
                    "\",\"fds\":[\"seccompFd\"],\"pid\":" + std::to_string(pid);
  if (!metadata.empty()) out += ",\"metadata\":\"" + json_escape(metadata) + "\"";
  out += ",\"state\":" + state_json + "}";
  return out;
}

}  // namespace hutch::runtime::seccomp
