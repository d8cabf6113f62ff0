// The client half of attach: copies a container's output to our stdout and
// stderr and our stdin to it, through its monitor's attach socket
// (monitor/protocol.h). With a terminal, ours is switched to raw mode,
// window size changes are sent along, and the detach keys (default
// ctrl-p,ctrl-q) leave the container running. Without one, signals we get
// (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2) are handed to `forward`.
// Thread-safety: single-threaded; changes signal dispositions while it runs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace hutch::cli {

struct AttachOptions {
  bool in = false, out = true, err = true;
  bool tty = false;              // the container has a terminal
  std::string detach_keys;       // docker's syntax; "" = ctrl-p,ctrl-q
  std::function<void(int)> forward;  // signal proxy (no tty); may be empty
};

struct AttachEnd {
  bool detached = false;  // the user typed the detach keys
  bool exited = false;    // the monitor reported the exit
  int exit_code = 0;
};

// Parses docker's detach keys ("ctrl-p,ctrl-q", "a,ctrl-@") into bytes.
Result<std::string> parse_detach_keys(const std::string& keys);

// Runs the session on a connected attach socket until the container's
// process ends, the user detaches, or the connection closes.
Result<AttachEnd> attach_session(int sock, const AttachOptions& o);

}  // namespace hutch::cli
