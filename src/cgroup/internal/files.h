// Reading and writing cgroupfs interface files, and removing groups.
//
// Every controller goes through here so that errors name the file and the
// value, and so that the same code runs against the real cgroupfs and
// against a plain directory tree standing in for it in unit tests.
// Thread-safety: no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::cgroup {

// One write(2) of `value` to dir/file, which must exist.
Status write_file(const std::string& dir, std::string_view file, std::string_view value);
// The whole of dir/file with surrounding whitespace trimmed.
Result<std::string> read_file(const std::string& dir, std::string_view file);
// dir/file parsed as an unsigned number ("max" reads as UINT64_MAX).
Result<uint64_t> read_uint(const std::string& dir, std::string_view file);
// The value of `key` in a "key value" per line file (memory.stat, cgroup.events).
Result<uint64_t> read_keyed(const std::string& dir, std::string_view file, std::string_view key);
bool file_exists(const std::string& dir, std::string_view file);

// One pending write, for controllers that plan their writes as pure code.
struct Write {
  std::string file;
  std::string value;
  bool operator==(const Write&) const = default;
};
Status apply_writes(const std::string& dir, const std::vector<Write>& writes);

// Removes a group and any groups below it, deepest first. ENOENT is fine;
// EBUSY (tasks still exiting) is retried for about a second.
Status remove_group(const std::string& dir);

}  // namespace hutch::cgroup
