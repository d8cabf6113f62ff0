// Hooks: runs OCI lifecycle hooks (path, args, env, timeout) with the
// container state JSON on stdin, as runtime-spec config.md "POSIX-platform
// Hooks" describes. A hook that fails or times out (it is then killed) is
// an error naming the hook kind and index. Thread-safety: forks; call from
// a single-threaded process.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hutch::runtime {

// `kind` is the spec's name ("prestart", "createRuntime", ...).
Status run_hooks(const std::vector<oci::Hook>& hooks, const char* kind, const std::string& state_json);

}  // namespace hutch::runtime
