// The container's own network namespace, set up before its process starts:
// OCI runtimes leave a new namespace's loopback down, while docker's
// containers (even --network none) have it up.
// Thread-safety: forks a single-threaded child; call from the monitor only.
#pragma once

#include <sys/types.h>

#include "base/error.h"

namespace hutch::monitor {

// Sets "lo" up in the network namespace of `pid`, from a forked child that
// joins it (the monitor itself never changes namespace).
Status loopback_up(pid_t pid);

}  // namespace hutch::monitor
