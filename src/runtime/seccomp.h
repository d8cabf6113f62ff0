// Seccomp: the OCI linux.seccomp profile as a libseccomp filter, loaded in
// the container process, with its notify fd handed to a seccomp agent.
//
// Compute, then apply: plan() checks the profile and resolves architecture
// names, syscall names, actions and argument groups into a Plan, touching
// only libseccomp's lookup tables; compile() builds a filter context from a
// Plan; load() installs it into the calling process. Errors name the JSON
// path ("linux.seccomp.syscalls[3].args[0]: index 7 out of range").
//
// Thread-safety: plan() and process_state_json() are pure. A Filter is not
// shared between threads. load() installs the filter on the calling thread
// only (all threads with SECCOMP_FILTER_FLAG_TSYNC), so call it in the
// single-threaded container init, after no_new_privs and just before execve.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"

namespace hutch::runtime::seccomp {

// One comparison on one syscall argument.
struct Condition {
  unsigned index = 0;  // 0..5
  oci::SeccompOp op = oci::SeccompOp::kEqualTo;
  uint64_t value = 0;      // the mask for kMaskedEqual
  uint64_t value_two = 0;  // the compared value for kMaskedEqual; 0 for other ops
};

// One libseccomp rule: the action applies when all conditions hold.
struct Rule {
  std::string name;                   // syscall name
  int number = 0;                     // native number; negative for multiplexed
                                      // pseudo-syscalls such as "socketcall"
  uint32_t action = 0;                // SCMP_ACT_* value, errno/trace data included
  std::vector<Condition> conditions;  // AND-ed
  std::string path;                   // "linux.seccomp.syscalls[3]", for errors
};

struct Plan {
  uint32_t default_action = 0;          // SCMP_ACT_* value
  std::vector<uint32_t> architectures;  // SCMP_ARCH_* tokens, one per profile entry
  bool tsync = false;                   // SECCOMP_FILTER_FLAG_TSYNC
  bool log = false;                     // SECCOMP_FILTER_FLAG_LOG
  bool spec_allow = false;              // SECCOMP_FILTER_FLAG_SPEC_ALLOW
  bool wait_killable_recv = false;      // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
  bool uses_notify = false;             // some rule is SCMP_ACT_NOTIFY
  std::vector<Rule> rules;
  std::vector<std::string> skipped;  // syscall names libseccomp does not know
};

// Checks the profile and resolves it. Unknown syscall names are skipped (and
// logged at debug level), as runc and crun do: shared profiles list syscalls
// of newer kernels. A rule whose action equals the default is dropped, since
// libseccomp refuses it. Several args with the same index in one entry become
// one rule per arg (OR), otherwise all args form one rule (AND): runc's rule.
Result<Plan> plan(const oci::Seccomp& profile);

// The SCMP_ACT_* value of an action. errnoRet (default EPERM) is the errno
// of SCMP_ACT_ERRNO and the tracer's data of SCMP_ACT_TRACE; the spec
// requires an error when it is given for any other action.
Result<uint32_t> action_value(oci::SeccompAction action, std::optional<uint32_t> errno_ret);

// The filter to install: a libseccomp context (released on destruction),
// or a BPF program compiled earlier (seccomp_cache.h) with its
// SECCOMP_FILTER_FLAG_* flags.
class Filter {
 public:
  Filter() = default;
  Filter(void* ctx, bool uses_notify) : ctx_(ctx), uses_notify_(uses_notify) {}
  Filter(std::string bpf, unsigned flags) : bpf_(std::move(bpf)), flags_(flags) {}
  Filter(Filter&& o) noexcept;
  Filter& operator=(Filter&& o) noexcept;
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  ~Filter();

  void* ctx() const { return ctx_; }  // scmp_filter_ctx
  bool uses_notify() const { return uses_notify_; }
  const std::string& bpf() const { return bpf_; }  // struct sock_filter[]; "" with a context
  unsigned flags() const { return flags_; }

 private:
  void* ctx_ = nullptr;
  bool uses_notify_ = false;
  std::string bpf_;
  unsigned flags_ = 0;
};

// The SECCOMP_FILTER_FLAG_* flags a Plan's filter is loaded with.
unsigned load_flags(const Plan& plan);
// The program libseccomp generates for a compiled context (struct
// sock_filter[] as bytes).
Result<std::string> export_bpf(const Filter& filter);

// Builds the filter: every architecture, the default action, the flags as
// filter attributes, every rule. libseccomp's own no_new_privs setting is
// turned off: the runtime sets no_new_privs itself when the spec asks.
Result<Filter> compile(const Plan& plan);
Result<Filter> compile(const oci::Seccomp& profile);

// True when the loaded filter will have a listener: some SCMP_ACT_NOTIFY
// entry names a syscall libseccomp knows. Cheap; decides whether to connect
// to listenerPath before the rootfs hides it.
bool needs_listener(const oci::Seccomp& profile);

// Installs the filter into the calling process. Returns the notify fd
// (owned by the caller; the kernel makes it close-on-exec) when the filter
// uses SCMP_ACT_NOTIFY, else -1. Needs no_new_privs
// or CAP_SYS_ADMIN, else the kernel answers EACCES (seccomp(2)).
Result<int> load(Filter& filter);

// Connects to the seccomp agent at listenerPath (AF_UNIX, SOCK_STREAM).
// Done early, while the path is visible from the runtime's mount namespace.
Result<UniqueFd> connect_listener(const std::string& path);

// Sends the container process state: `json` as payload and `notify_fd` as
// SCM_RIGHTS on the first sendmsg(2), the rest of the payload after it. The
// caller closes `sock` afterwards: one state per connection (runtime-spec).
Status send_listener(int sock, int notify_fd, const std::string& json);

// The runtime-spec "ContainerProcessState" with fds ["seccompFd"]; `state_json`
// is the container's state object (as `state` prints), embedded verbatim.
// metadata is listenerMetadata, left out when empty.
std::string process_state_json(const std::string& oci_version, int pid, const std::string& metadata,
                               const std::string& state_json);

}  // namespace hutch::runtime::seccomp
