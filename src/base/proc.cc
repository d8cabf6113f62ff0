#include "base/proc.h"

#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"

namespace hutch {

uint64_t process_start_time(pid_t pid) {
  auto text = fs::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text.ok()) return 0;
  // comm (field 2) may hold spaces and parens; fields restart after the last ')'.
  auto pos = text->rfind(')');
  if (pos == std::string::npos || pos + 2 > text->size()) return 0;
  auto fields = split(std::string_view(*text).substr(pos + 2), ' ');
  // fields[0] is field 3 (state); start time is field 22.
  if (fields.size() < 20) return 0;
  if (fields[0] == "Z" || fields[0] == "X") return 0;
  return parse_uint(fields[19]).value_or(0);
}

std::string owner_tag() {
  pid_t pid = ::getpid();
  return std::to_string(pid) + "-" + std::to_string(process_start_time(pid));
}

bool owner_alive(std::string_view name) {
  auto parts = split(name, '-');
  if (parts.size() < 2) return true;
  auto pid = parse_uint(parts[0]);
  auto start = parse_uint(parts[1]);
  if (!pid || !start || *pid == 0 || *pid > 0x3fffffff) return true;
  return process_start_time(static_cast<pid_t>(*pid)) == *start;
}

}  // namespace hutch
