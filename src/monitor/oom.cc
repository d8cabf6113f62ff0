#include "monitor/oom.h"

#include "base/fs.h"
#include "base/strings.h"

namespace hutch::monitor {

std::string memory_cgroup(std::string_view proc_cgroup, bool* v2) {
  std::string unified;
  bool have_unified = false;
  for (const auto& line : split(proc_cgroup, '\n')) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string_view ctrls = std::string_view(line).substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && ctrls.empty()) {
      unified = path;
      have_unified = true;
      continue;
    }
    for (const auto& c : split(ctrls, ',')) {
      if (c == "memory") {
        *v2 = false;
        return path;
      }
    }
  }
  *v2 = true;
  return have_unified ? unified : "";
}

uint64_t parse_oom_kills(std::string_view text) {
  for (const auto& line : split(text, '\n')) {
    if (starts_with(line, "oom_kill ")) return parse_uint(trim(line.substr(9))).value_or(0);
  }
  return 0;
}

std::string oom_counter_path(pid_t pid) {
  auto cg = fs::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!cg.ok()) return "";
  bool v2 = false;
  std::string path = memory_cgroup(*cg, &v2);
  if (path.empty()) return "";
  auto info = fs::read_file("/proc/self/mountinfo");
  if (!info.ok()) return "";
  for (const auto& line : split(*info, '\n')) {
    auto f = split(line, ' ');
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 3 >= f.size() || f.size() < 5) continue;
    const std::string& fstype = f[dash + 1];
    const std::string& mnt = f[4];
    if (v2 && fstype == "cgroup2") return mnt + path + "/memory.events";
    if (!v2 && fstype == "cgroup") {
      for (const auto& o : split(f[dash + 3], ',')) {
        if (o == "memory") return mnt + path + "/memory.oom_control";
      }
    }
  }
  return "";
}

uint64_t read_oom_kills(const std::string& path) {
  if (path.empty()) return 0;
  auto t = fs::read_file(path);
  return t.ok() ? parse_oom_kills(*t) : 0;
}

}  // namespace hutch::monitor
