// Logger: the one place the libraries write diagnostics.
//
// Messages go to a configured fd (stderr by default, or the --log file) in
// text or JSON (runc's {"level","msg","time"} shape). Libraries never print
// anything else. Thread-safety: configure once at start-up, before threads;
// each message is a single write(2), so concurrent writers do not interleave.
#pragma once

#include <string_view>

namespace hutch::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

void configure(int fd, Format format, Level min_level);
Level min_level();
// Writes one record. `component` is a short tag such as "cgroup".
void write(Level level, std::string_view component, std::string_view text);

inline void debug(std::string_view c, std::string_view t) { write(Level::kDebug, c, t); }
inline void info(std::string_view c, std::string_view t) { write(Level::kInfo, c, t); }
inline void warn(std::string_view c, std::string_view t) { write(Level::kWarn, c, t); }
inline void error(std::string_view c, std::string_view t) { write(Level::kError, c, t); }

}  // namespace hutch::log
