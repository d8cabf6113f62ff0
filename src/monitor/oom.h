// Whether the kernel's OOM killer struck the container: the oom_kill count
// of its memory cgroup (v2 memory.events, v1 memory.oom_control), read when
// it starts and again when its init has exited (before `runtime delete`
// removes the cgroup). Thread-safety: functions only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace hutch::monitor {

// The file holding the container's OOM kill count, from /proc/PID/cgroup
// and the host's cgroup mounts; "" when it cannot be told.
std::string oom_counter_path(pid_t pid);
// The "oom_kill N" value of such a file; 0 when missing or unreadable.
uint64_t read_oom_kills(const std::string& path);

// Pure parts, for tests: the memory cgroup of a /proc/PID/cgroup text
// (v1 "memory" line, else the v2 "0::" line; *v2 tells which), and the
// oom_kill value of a memory.events / memory.oom_control text.
std::string memory_cgroup(std::string_view proc_cgroup, bool* v2);
uint64_t parse_oom_kills(std::string_view text);

}  // namespace hutch::monitor
