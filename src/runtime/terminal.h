// Terminal: the pseudo-terminal of a container process. The process opens
// a new pty from the container's devpts, sends the master to the caller's
// --console-socket (SCM_RIGHTS, as runc does), and makes the slave its
// controlling terminal and stdio. Thread-safety: per process.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"

namespace hutch::runtime {

// Connects to the console socket (done early, while its path is visible).
Result<UniqueFd> connect_console_socket(const std::string& path);
// Opens /dev/ptmx (container view), sends the master on `sock`, sets the
// size, makes the slave the controlling terminal and fds 0-2, and binds it
// over /dev/console when `bind_console`.
Status setup_terminal(int sock, const std::optional<oci::ConsoleSize>& size, bool bind_console);
// Receives a pty master sent on a unix socket.
Result<UniqueFd> recv_fd(int sock);

}  // namespace hutch::runtime
