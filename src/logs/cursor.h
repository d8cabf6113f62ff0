// The cursor behind `hutch logs --new`: the time (unix ns) of the newest
// record shown the last time anyone asked, kept in a small file so the next
// call shows only what was logged since (read_log with since_ns = cursor+1).
// Thread-safety: no shared state; concurrent writers each replace the file
// whole (the last one wins).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"

namespace hutch::logs {

// The stored time; 0 when there is no cursor file yet (show everything).
Result<int64_t> read_cursor(const std::string& path);
// Stores `ns` atomically (write temp, fsync, rename).
Status write_cursor(const std::string& path, int64_t ns);

}  // namespace hutch::logs
