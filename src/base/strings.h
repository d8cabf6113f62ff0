// String helpers shared by every module: splitting, number parsing,
// JSON string escaping, time formatting. Thread-safety: pure functions.
#pragma once

#include <time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hutch {

std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Parses a whole string as a number in base 10; nullopt on any junk.
std::optional<int64_t> parse_int(std::string_view s);
std::optional<uint64_t> parse_uint(std::string_view s);

// Escapes a string for inclusion between JSON double quotes.
std::string json_escape(std::string_view s);

// "2006-01-02T15:04:05.999999999Z" in UTC, as runc prints `created`.
std::string format_rfc3339(const struct timespec& ts);

}  // namespace hutch
