// Docker-format seccomp profiles: the default one, parsing, and conversion
// to OCI with the includes/excludes filters applied.
#include "engine/seccomp_default.h"

#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <sstream>

#include "base/strings.h"

namespace hutch::engine::seccomp {
namespace {

// Syscalls every container may make (docker's default allow list). Names a
// kernel or libseccomp does not know are skipped by the runtime.
constexpr const char* kAllowed =
    "accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime "
    "clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep "
    "clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create "
    "epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 "
    "execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir "
    "fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork "
    "fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex "
    "futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 "
    "getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid "
    "getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit "
    "get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 "
    "getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy "
    "io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill "
    "landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat "
    "listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack "
    "membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 "
    "mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend "
    "mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap "
    "name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal "
    "pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 "
    "prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink "
    "readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename "
    "renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo "
    "rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity "
    "sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler "
    "sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam "
    "sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send "
    "sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 "
    "setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid "
    "setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area "
    "set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd "
    "signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statx symlink "
    "symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun "
    "timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime "
    "timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask "
    "uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write "
    "writev";

// Extras by capability: holding the capability (in the bounding set)
// allows these syscalls too.
struct CapExtra {
  const char* cap;
  const char* names;
};
constexpr CapExtra kCapExtras[] = {
    {"CAP_DAC_READ_SEARCH", "open_by_handle_at"},
    {"CAP_SYS_ADMIN",
     "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr move_mount "
     "open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare"},
    {"CAP_SYS_BOOT", "reboot"},
    {"CAP_SYS_CHROOT", "chroot"},
    {"CAP_SYS_MODULE", "delete_module init_module finit_module"},
    {"CAP_SYS_PACCT", "acct"},
    {"CAP_SYS_PTRACE", "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"},
    {"CAP_SYS_RAWIO", "iopl ioperm"},
    {"CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64"},
    {"CAP_SYS_TTY_CONFIG", "vhangup"},
    {"CAP_SYS_NICE", "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"},
    {"CAP_SYSLOG", "syslog"},
    {"CAP_BPF", "bpf"},
    {"CAP_PERFMON", "perf_event_open"},
};

// Extras by architecture (Go names).
struct ArchExtra {
  const char* arches;
  const char* names;
};
constexpr ArchExtra kArchExtras[] = {
    {"ppc64le", "sync_file_range2 swapcontext"},
    {"arm arm64", "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls"},
    {"amd64 x32", "arch_prctl"},
    {"amd64 x32 x86", "modify_ldt"},
    {"s390 s390x", "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr"},
    {"riscv64", "riscv_flush_icache"},
};

std::vector<std::string> words(const char* s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Rule allow(const char* names) { return Rule{words(names), "SCMP_ACT_ALLOW", std::nullopt, {}, {}, {}}; }

Profile build_default() {
  Profile p;
  p.default_action = "SCMP_ACT_ERRNO";
  p.default_errno_ret = EPERM;
  p.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
  };
  p.syscalls.push_back(allow(kAllowed));
  // ptrace and process_vm_* are safe from kernel 4.8 on (seccomp checks
  // run again after a tracer changes the syscall).
  Rule ptrace = allow("process_vm_readv process_vm_writev ptrace");
  ptrace.includes.min_kernel = std::pair{4, 8};
  p.syscalls.push_back(ptrace);
  // No vsock: it reaches the host's hypervisor side.
  Rule socket = allow("socket");
  socket.args = {{0, AF_VSOCK, 0, "SCMP_CMP_NE"}};
  p.syscalls.push_back(socket);
  // personality(2): only the harmless domains (PER_LINUX, PER_LINUX32,
  // UNAME26 variants) and the query value 0xffffffff.
  for (uint64_t v : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    Rule r = allow("personality");
    r.args = {{0, v, 0, "SCMP_CMP_EQ"}};
    p.syscalls.push_back(r);
  }
  for (const auto& a : kArchExtras) {
    Rule r = allow(a.names);
    r.includes.arches = words(a.arches);
    p.syscalls.push_back(r);
  }
  for (const auto& c : kCapExtras) {
    Rule r = allow(c.names);
    r.includes.caps = {c.cap};
    p.syscalls.push_back(r);
  }
  // Without CAP_SYS_ADMIN, clone may not make namespaces (flags are its
  // first argument, its second on s390).
  const uint64_t kNewNs = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                          CLONE_NEWCGROUP;
  Rule clone = allow("clone");
  clone.args = {{0, kNewNs, 0, "SCMP_CMP_MASKED_EQ"}};
  clone.excludes.caps = {"CAP_SYS_ADMIN"};
  clone.excludes.arches = {"s390", "s390x"};
  p.syscalls.push_back(clone);
  Rule clone_s390 = allow("clone");
  clone_s390.args = {{1, kNewNs, 0, "SCMP_CMP_MASKED_EQ"}};
  clone_s390.includes.arches = {"s390", "s390x"};
  clone_s390.excludes.caps = {"CAP_SYS_ADMIN"};
  p.syscalls.push_back(clone_s390);
  // clone3 passes its flags in memory seccomp cannot read: ENOSYS makes
  // libc fall back to clone, which the rule above checks.
  Rule clone3{{"clone3"}, "SCMP_ACT_ERRNO", ENOSYS, {}, {}, {}};
  clone3.excludes.caps = {"CAP_SYS_ADMIN"};
  p.syscalls.push_back(clone3);
  return p;
}

// ---- parsing ----

const char* const kActions[] = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
const char* const kOps[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                            "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

template <size_t N>
bool one_of(const std::string& s, const char* const (&list)[N]) {
  return std::any_of(std::begin(list), std::end(list), [&](const char* x) { return s == x; });
}

struct Reader {
  const std::string& name;
  Error fail(const std::string& path, const std::string& what) const {
    return Error::plain(EINVAL, "seccomp profile \"" + name + "\": " + (path.empty() ? "" : path + ": ") + what);
  }
  Result<std::string> string(const json_t* o, const char* key, const std::string& path, bool required) const {
    const json_t* v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
      if (required) return fail(path + (path.empty() ? "" : ".") + key, "is required");
      return std::string();
    }
    if (!json_is_string(v)) return fail(path + (path.empty() ? "" : ".") + key, "expected a string");
    return std::string(json_string_value(v));
  }
  Result<std::vector<std::string>> strings(const json_t* o, const char* key, const std::string& path) const {
    const json_t* v = json_object_get(o, key);
    std::vector<std::string> out;
    if (!v || json_is_null(v)) return out;
    std::string p = path + (path.empty() ? "" : ".") + key;
    if (!json_is_array(v)) return fail(p, "expected an array of strings");
    for (size_t i = 0; i < json_array_size(v); ++i) {
      const json_t* e = json_array_get(v, i);
      if (!json_is_string(e)) return fail(p + "[" + std::to_string(i) + "]", "expected a string");
      out.emplace_back(json_string_value(e));
    }
    return out;
  }
  Result<std::optional<uint64_t>> number(const json_t* o, const char* key, const std::string& path,
                                         uint64_t max) const {
    const json_t* v = json_object_get(o, key);
    if (!v || json_is_null(v)) return std::optional<uint64_t>();
    std::string p = path + (path.empty() ? "" : ".") + key;
    uint64_t n = 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
      n = static_cast<uint64_t>(json_integer_value(v));
    } else if (json_is_string(v) && starts_with(json_string_value(v), "#u64:")) {
      auto u = parse_uint(json_string_value(v) + 5);
      if (!u) return fail(p, "expected a non-negative integer");
      n = *u;
    } else {
      return fail(p, "expected a non-negative integer");
    }
    if (n > max) return fail(p, "out of range");
    return std::optional<uint64_t>(n);
  }
  Result<Filter> filter(const json_t* o, const char* key, const std::string& path) const {
    Filter f;
    const json_t* v = json_object_get(o, key);
    if (!v || json_is_null(v)) return f;
    std::string p = path + "." + key;
    if (!json_is_object(v)) return fail(p, "expected an object");
    ASSIGN_OR_RETURN(f.caps, strings(v, "caps", p));
    ASSIGN_OR_RETURN(f.arches, strings(v, "arches", p));
    ASSIGN_OR_RETURN(std::string k, string(v, "minKernel", p, false));
    if (!k.empty()) {
      auto parts = split(k, '.');
      auto maj = parts.size() >= 2 ? parse_int(parts[0]) : std::nullopt;
      auto min = parts.size() >= 2 ? parse_int(parts[1]) : std::nullopt;
      if (!maj || !min) return fail(p + ".minKernel", "expected a kernel version such as \"4.8\", got \"" + k + "\"");
      f.min_kernel = std::pair{static_cast<int>(*maj), static_cast<int>(*min)};
    }
    return f;
  }
};

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

// Go's GOARCH -> libseccomp's name of the native architecture.
const char* seccomp_arch(const std::string& goarch) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"386", "SCMP_ARCH_X86"},         {"amd64", "SCMP_ARCH_X86_64"},        {"arm", "SCMP_ARCH_ARM"},
      {"arm64", "SCMP_ARCH_AARCH64"},   {"mips64", "SCMP_ARCH_MIPS64"},       {"mips64n32", "SCMP_ARCH_MIPS64N32"},
      {"mipsel64", "SCMP_ARCH_MIPSEL64"}, {"mipsel64n32", "SCMP_ARCH_MIPSEL64N32"}, {"ppc64le", "SCMP_ARCH_PPC64LE"},
      {"riscv64", "SCMP_ARCH_RISCV64"}, {"s390x", "SCMP_ARCH_S390X"},         {"x32", "SCMP_ARCH_X32"},
  };
  for (const auto& [go, scmp] : kMap)
    if (goarch == go) return scmp;
  return nullptr;
}

}  // namespace

const Profile& default_profile() {
  static const Profile p = build_default();
  return p;
}

const char* native_arch() {
#if defined(__x86_64__) && defined(__ILP32__)
  return "x32";
#elif defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

Result<Profile> parse_profile(std::string_view text, const std::string& name) {
  Reader r{name};
  auto doc = json::parse(text);
  if (!doc.ok()) return r.fail("", doc.error().innermost());
  const json_t* root = doc->get();
  if (!json_is_object(root)) return r.fail("", "expected a JSON object");
  Profile p;
  ASSIGN_OR_RETURN(p.default_action, r.string(root, "defaultAction", "", true));
  if (!one_of(p.default_action, kActions))
    return r.fail("defaultAction", "unknown action \"" + p.default_action + "\"");
  ASSIGN_OR_RETURN(auto der, r.number(root, "defaultErrnoRet", "", UINT32_MAX));
  if (der) p.default_errno_ret = static_cast<uint32_t>(*der);
  ASSIGN_OR_RETURN(p.architectures, r.strings(root, "architectures", ""));
  ASSIGN_OR_RETURN(p.flags, r.strings(root, "flags", ""));
  ASSIGN_OR_RETURN(p.listener_path, r.string(root, "listenerPath", "", false));
  ASSIGN_OR_RETURN(p.listener_metadata, r.string(root, "listenerMetadata", "", false));
  if (const json_t* am = json_object_get(root, "archMap"); am && !json_is_null(am)) {
    if (!json_is_array(am)) return r.fail("archMap", "expected an array");
    for (size_t i = 0; i < json_array_size(am); ++i) {
      std::string path = "archMap[" + std::to_string(i) + "]";
      const json_t* e = json_array_get(am, i);
      if (!json_is_object(e)) return r.fail(path, "expected an object");
      ArchMap m;
      ASSIGN_OR_RETURN(m.arch, r.string(e, "architecture", path, true));
      ASSIGN_OR_RETURN(m.sub_arches, r.strings(e, "subArchitectures", path));
      p.arch_map.push_back(std::move(m));
    }
  }
  if (!p.architectures.empty() && !p.arch_map.empty())
    return r.fail("", "both 'architectures' and 'archMap' are specified, use either 'architectures' or 'archMap'");
  if (const json_t* sc = json_object_get(root, "syscalls"); sc && !json_is_null(sc)) {
    if (!json_is_array(sc)) return r.fail("syscalls", "expected an array");
    for (size_t i = 0; i < json_array_size(sc); ++i) {
      std::string path = "syscalls[" + std::to_string(i) + "]";
      const json_t* e = json_array_get(sc, i);
      if (!json_is_object(e)) return r.fail(path, "expected an object");
      Rule rule;
      ASSIGN_OR_RETURN(rule.names, r.strings(e, "names", path));
      ASSIGN_OR_RETURN(std::string one, r.string(e, "name", path, false));
      if (!one.empty()) {
        if (!rule.names.empty())
          return r.fail(path, "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
        rule.names.push_back(one);
      }
      if (rule.names.empty()) return r.fail(path + ".names", "must list at least one syscall");
      ASSIGN_OR_RETURN(rule.action, r.string(e, "action", path, true));
      if (!one_of(rule.action, kActions)) return r.fail(path + ".action", "unknown action \"" + rule.action + "\"");
      ASSIGN_OR_RETURN(auto er, r.number(e, "errnoRet", path, UINT32_MAX));
      if (er) rule.errno_ret = static_cast<uint32_t>(*er);
      if (const json_t* args = json_object_get(e, "args"); args && !json_is_null(args)) {
        if (!json_is_array(args)) return r.fail(path + ".args", "expected an array");
        for (size_t j = 0; j < json_array_size(args); ++j) {
          std::string ap = path + ".args[" + std::to_string(j) + "]";
          const json_t* a = json_array_get(args, j);
          if (!json_is_object(a)) return r.fail(ap, "expected an object");
          Arg arg;
          ASSIGN_OR_RETURN(auto idx, r.number(a, "index", ap, 5));
          if (!idx) return r.fail(ap + ".index", "is required");
          arg.index = static_cast<unsigned>(*idx);
          ASSIGN_OR_RETURN(auto v, r.number(a, "value", ap, UINT64_MAX));
          arg.value = v.value_or(0);
          ASSIGN_OR_RETURN(auto v2, r.number(a, "valueTwo", ap, UINT64_MAX));
          arg.value_two = v2.value_or(0);
          ASSIGN_OR_RETURN(arg.op, r.string(a, "op", ap, true));
          if (!one_of(arg.op, kOps)) return r.fail(ap + ".op", "unknown operator \"" + arg.op + "\"");
          rule.args.push_back(arg);
        }
      }
      ASSIGN_OR_RETURN(rule.includes, r.filter(e, "includes", path));
      ASSIGN_OR_RETURN(rule.excludes, r.filter(e, "excludes", path));
      p.syscalls.push_back(std::move(rule));
    }
  }
  if (p.listener_path.empty()) {
    bool notify = p.default_action == "SCMP_ACT_NOTIFY";
    for (const auto& rule : p.syscalls) notify = notify || rule.action == "SCMP_ACT_NOTIFY";
    if (notify) return r.fail("listenerPath", "SCMP_ACT_NOTIFY needs a listenerPath");
  }
  return p;
}

Result<json::Ptr> to_oci(const Profile& p, const std::vector<std::string>& caps, const std::string& goarch,
                         std::pair<int, int> kernel) {
  json::Ptr out(json_object());
  json_object_set_new(out.get(), "defaultAction", json::str(p.default_action));
  if (p.default_errno_ret) json_object_set_new(out.get(), "defaultErrnoRet", json_integer(*p.default_errno_ret));
  std::vector<std::string> arches = p.architectures;
  if (!p.arch_map.empty()) {
    const char* native = seccomp_arch(goarch);
    if (!native) return Error::plain(EINVAL, "seccomp: unknown architecture \"" + goarch + "\"");
    for (const auto& m : p.arch_map) {
      if (m.arch != native) continue;
      arches.push_back(m.arch);
      arches.insert(arches.end(), m.sub_arches.begin(), m.sub_arches.end());
    }
  }
  if (!arches.empty()) json_object_set_new(out.get(), "architectures", json::string_array(arches));
  if (!p.flags.empty()) json_object_set_new(out.get(), "flags", json::string_array(p.flags));
  if (!p.listener_path.empty()) json_object_set_new(out.get(), "listenerPath", json::str(p.listener_path));
  if (!p.listener_metadata.empty())
    json_object_set_new(out.get(), "listenerMetadata", json::str(p.listener_metadata));
  bool known_kernel = kernel.first > 0;
  auto kernel_at_least = [&](std::pair<int, int> v) { return !known_kernel || kernel >= v; };
  json_t* syscalls = json_array();
  for (const auto& rule : p.syscalls) {
    // moby's rules: an exclude filter drops the rule when any of its
    // conditions holds; an include filter keeps it only when all hold.
    const Filter& ex = rule.excludes;
    if (!ex.arches.empty() && contains(ex.arches, goarch)) continue;
    if (std::any_of(ex.caps.begin(), ex.caps.end(), [&](const std::string& c) { return contains(caps, c); })) continue;
    if (ex.min_kernel && known_kernel && kernel >= *ex.min_kernel) continue;
    const Filter& in = rule.includes;
    if (!in.arches.empty() && !contains(in.arches, goarch)) continue;
    if (!std::all_of(in.caps.begin(), in.caps.end(), [&](const std::string& c) { return contains(caps, c); }))
      continue;
    if (in.min_kernel && !kernel_at_least(*in.min_kernel)) continue;
    json_t* s = json_object();
    json_object_set_new(s, "names", json::string_array(rule.names));
    json_object_set_new(s, "action", json::str(rule.action));
    if (rule.errno_ret) json_object_set_new(s, "errnoRet", json_integer(*rule.errno_ret));
    if (!rule.args.empty()) {
      json_t* args = json_array();
      for (const auto& a : rule.args) {
        json_t* j = json_object();
        json_object_set_new(j, "index", json_integer(a.index));
        auto num = [](uint64_t v) {
          return v > static_cast<uint64_t>(INT64_MAX) ? json::str("#u64:" + std::to_string(v))
                                                      : json_integer(static_cast<json_int_t>(v));
        };
        json_object_set_new(j, "value", num(a.value));
        json_object_set_new(j, "valueTwo", num(a.value_two));
        json_object_set_new(j, "op", json::str(a.op));
        json_array_append_new(args, j);
      }
      json_object_set_new(s, "args", args);
    }
    json_array_append_new(syscalls, s);
  }
  json_object_set_new(out.get(), "syscalls", syscalls);
  return out;
}

}  // namespace hutch::engine::seccomp
