// Foreground supervision for `run` and `exec` without --detach: forwards
// signals to the container process, and, when the runtime holds the pty
// master itself (no --console-socket), copies the caller's terminal to
// and from it in raw mode, following window size changes.
// Thread-safety: single threaded; expects `signals` blocked by the caller.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "base/error.h"

namespace hutch::runtime {

// Waits for `child` to exit; returns its status as an exit code (128+N for
// a signal). `master` is the pty master to proxy, or -1.
Result<int> supervise(pid_t child, const sigset_t& signals, int master);

}  // namespace hutch::runtime
