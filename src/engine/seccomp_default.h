// Seccomp profiles in docker's format, and their conversion to the OCI
// linux.seccomp object a runtime loads.
//
// Docker's format is the OCI one plus three things: "archMap" (a native
// architecture and the sub-architectures it also runs), "name" as a
// one-syscall shorthand for "names", and per-rule "includes"/"excludes"
// filters on the container's capabilities (its bounding set), the host
// architecture (Go's names: "amd64", "arm64", "x32", "s390x", ...) and the
// kernel version ("minKernel"). to_oci() applies those filters and keeps
// only the archMap entry of the host, as moby does.
//
// default_profile() is docker's default profile (default action
// SCMP_ACT_ERRNO with EPERM; an allow list; clone/clone3/personality/socket
// argument rules; extras enabled by capabilities such as CAP_SYS_ADMIN),
// kept here as our own compact table. Thread-safety: pure functions; the
// default profile is built once, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace hutch::engine::seccomp {

struct Filter {
  std::vector<std::string> caps;    // "CAP_SYS_ADMIN"
  std::vector<std::string> arches;  // Go arch names: "amd64", "x32", "arm64", ...
  std::optional<std::pair<int, int>> min_kernel;  // "4.8" -> {4, 8}
  bool empty() const { return caps.empty() && arches.empty() && !min_kernel; }
};

struct Arg {
  unsigned index = 0;
  uint64_t value = 0, value_two = 0;
  std::string op;  // "SCMP_CMP_EQ", ...
};

struct Rule {
  std::vector<std::string> names;
  std::string action;  // "SCMP_ACT_ALLOW", ...
  std::optional<uint32_t> errno_ret;
  std::vector<Arg> args;
  Filter includes, excludes;
};

struct ArchMap {
  std::string arch;                     // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_arches;  // "SCMP_ARCH_X86", "SCMP_ARCH_X32"
};

struct Profile {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<ArchMap> arch_map;
  std::vector<std::string> flags;
  std::string listener_path, listener_metadata;
  std::vector<Rule> syscalls;
};

// Docker's default profile.
const Profile& default_profile();

// Parses a docker-format profile. `name` (the file) prefixes every error,
// with the JSON path of the bad field: `seccomp profile "p.json":
// syscalls[3].action: unknown action "ALLOW"`.
Result<Profile> parse_profile(std::string_view text, const std::string& name);

// The host's architecture in Go's naming ("amd64" on x86_64), which
// includes/excludes "arches" use.
const char* native_arch();

// The OCI linux.seccomp object for a container whose bounding set is
// `caps`, on architecture `goarch`, with kernel `kernel` ({0, 0} = unknown:
// every minKernel filter counts as met). Errors: EINVAL for an unknown
// goarch with an archMap.
Result<json::Ptr> to_oci(const Profile& p, const std::vector<std::string>& caps, const std::string& goarch,
                         std::pair<int, int> kernel = {0, 0});

}  // namespace hutch::engine::seccomp
