// Start-up timeline marks, for finding where a container start spends its
// time: with $HUTCH_TRACE naming a file, each mark appends one line
// "<CLOCK_MONOTONIC seconds.micros> <pid> <what>" to it (hutch, the
// monitor, hutchrt and the container's init all write to the same file;
// bench/trace.py runs a command and prints the merged timeline). Without
// the variable a mark costs one cached getenv.
// Thread-safety: async-signal-safe after the first mark of a process (an
// open file descriptor, one write per line).
#pragma once

namespace hutch::trace {

void mark(const char* what);
// A mark that adds this process's CPU time and minor page faults so far.
void mark_usage(const char* who);

}  // namespace hutch::trace
