// Keeping the monitor's resident set small. A monitor lives as long as its
// container, and each one counts: the code it ran once (start-up, settings
// parsing, runtime calls) stays mapped after use, and the kernel maps up to
// 16 neighbouring pages of page cache at each fault ("fault-around",
// mm/memory.c), so most of the executable ends up resident. trim_code()
// unmaps the pages of the read-only segments (code and constants) from our
// page tables — they stay in the page cache and come back at the next
// touch — leaving only the loop's working set resident. Writable segments
// are never touched; free heap pages go back with malloc_trim (the spec,
// seccomp filter and cgroup plan of a create, freed). Thread-safety: call
// from the one monitor thread.
#pragma once

namespace hutch::monitor {

// Read-only segments unmapped, free heap returned. Not on a latency path:
// the pages it drops are faulted back by whatever runs next.
void trim_code();

}  // namespace hutch::monitor
