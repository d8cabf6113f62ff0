// Helpers shared by the log writer, reader and their tests.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "logs/log_file.h"

namespace hutch::logs {

// Longest text of one record: longer lines are split into P records.
inline constexpr size_t kMaxLine = 16 * 1024;

// One record line, newline included.
std::string format_record(int64_t time_ns, Stream stream, bool partial, std::string_view text);

}  // namespace hutch::logs
