// Running a helper program and collecting what it printed: the engine's
// calls to the OCI runtime (kill, pause, delete, update, exec). No shell:
// argv is passed as is. Thread-safety: any thread; the child gets only
// stdio (everything else is close-on-exec in hutch).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace hutch {

struct SpawnResult {
  int status = 0;      // exit code, or 128 + signal
  std::string output;  // stdout and stderr together, at most 64 KiB
};

// Runs argv[0] (a path) with stdin on /dev/null and waits for it.
Result<SpawnResult> run_command(const std::vector<std::string>& argv);

}  // namespace hutch
