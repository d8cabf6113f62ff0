// Network interfaces of the calling thread's network namespace.
// Thread-safety: async-signal-safe (socket and ioctl only), so a forked
// child may call it before exec.
#pragma once

namespace hutch {

// Sets the loopback interface ("lo") up. Returns 0, or the errno of the
// step that failed.
int set_loopback_up();

}  // namespace hutch
