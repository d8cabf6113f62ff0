// Process identity that survives pid reuse: a pid plus its start time
// (field 22 of /proc/PID/stat). Temporary files and directories carry their
// owner's tag in their names, so a cleaner can tell the leftovers of a
// killed process from the work of a live one without locks or timeouts.
// Thread-safety: pure reads of /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace hutch {

// Start time in clock ticks since boot; 0 when the process is gone or a
// zombie.
uint64_t process_start_time(pid_t pid);

// "<pid>-<start time>" of the calling process.
std::string owner_tag();

// Whether the process named by the tag at the start of `name`
// ("<pid>-<start>-..." ) still runs. Names without a tag count as alive
// (never removed by an owner check).
bool owner_alive(std::string_view name);

}  // namespace hutch
