// Compiled seccomp programs, kept across containers: libseccomp takes
// 10-20 ms to build docker's default profile (rule database plus BPF
// generation) in every `create` and every `exec`, while the same profile
// yields the same program. The program is stored under the runtime's root
// (<root>/.seccomp/<hash>.bpf, mode 0600 in a 0700 dir) beside the exact
// text of the resolved plan it came from, with the libseccomp and kernel
// versions; a later container whose plan text matches byte for byte loads
// the stored program (seccomp(2), same flags) instead of compiling. Filters
// with a notify listener or flags only libseccomp sets are never cached.
// Thread-safety: files written as temp + rename, so concurrent runtimes
// see whole files or none.
#pragma once

#include <string>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/seccomp.h"

namespace hutch::runtime::seccomp {

// The plan's canonical text: what a stored program must match.
std::string plan_key(const Plan& plan);

// As compile(profile), through the cache in `cache_dir` ("" = no cache).
// A cache that cannot be read or written is skipped, never an error.
Result<Filter> compile_cached(const oci::Seccomp& profile, const std::string& cache_dir);

}  // namespace hutch::runtime::seccomp
