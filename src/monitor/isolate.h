// Work done in a short-lived child process, so that what it touches (all of
// SQLite, the JSON of a row) never becomes resident in the long-lived
// monitor: the monitor's pages stay few, and the child's go when it exits.
// The child hands back one string through a pipe.
// Thread-safety: single-threaded callers only (fork).
#pragma once

#include <functional>
#include <string>

#include "base/error.h"

namespace hutch::monitor {

// Runs `work` in a forked child and returns what it returned, or its error.
// The child never returns into the caller's code: it _exit()s.
Result<std::string> in_child(const std::function<Result<std::string>()>& work);

}  // namespace hutch::monitor
