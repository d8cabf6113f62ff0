#include "runtime/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fs.h"
#include "base/strings.h"

namespace hutch::runtime {
namespace {
constexpr const char* kNames[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kKnown = sizeof(kNames) / sizeof(kNames[0]);

uint64_t mask_of(const std::vector<std::string>& names, int last_cap, std::vector<std::string>* unknown) {
  uint64_t m = 0;
  for (const auto& n : names) {
    auto num = capability_number(n);
    if (!num || *num > last_cap) {
      if (unknown) unknown->push_back(n);
      continue;
    }
    m |= 1ULL << *num;
  }
  return m;
}
}  // namespace

std::optional<int> capability_number(const std::string& name) {
  for (int i = 0; i < kKnown; ++i)
    if (name == kNames[i]) return i;
  return std::nullopt;
}

const char* capability_name(int number) {
  return number >= 0 && number < kKnown ? kNames[number] : "CAP_UNKNOWN";
}

int last_capability() {
  static int cached = -1;
  if (cached >= 0) return cached;
  auto text = fs::read_file("/proc/sys/kernel/cap_last_cap");
  int v = CAP_LAST_CAP;
  if (text.ok()) {
    if (auto n = parse_int(trim(*text))) v = static_cast<int>(*n);
  }
  cached = v;
  return v;
}

CapSets plan_capabilities(const oci::Capabilities& caps, int last_cap, std::vector<std::string>* unknown) {
  CapSets s;
  s.bounding = mask_of(caps.bounding, last_cap, unknown);
  s.effective = mask_of(caps.effective, last_cap, unknown);
  s.permitted = mask_of(caps.permitted, last_cap, unknown);
  s.inheritable = mask_of(caps.inheritable, last_cap, unknown);
  s.ambient = mask_of(caps.ambient, last_cap, unknown);
  return s;
}

Status apply_bounding(const CapSets& sets, int last_cap) {
  for (int c = 0; c <= last_cap; ++c) {
    if (sets.bounding & (1ULL << c)) continue;
    if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
      return Error::from_errno(std::string("drop ") + capability_name(c) + " from the bounding set");
  }
  return {};
}

Status apply_capabilities(const CapSets& sets, int last_cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(sets.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(sets.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(sets.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &hdr, data) != 0) return Error::from_errno("capset");
  // Ambient capabilities must be in both permitted and inheritable
  // (capabilities(7)); the kernel refuses others with EPERM.
  for (int c = 0; c <= last_cap; ++c) {
    if (!(sets.ambient & (1ULL << c))) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0 && errno != EINVAL && errno != EPERM)
      return Error::from_errno(std::string("raise ambient ") + capability_name(c));
  }
  return {};
}

}  // namespace hutch::runtime
