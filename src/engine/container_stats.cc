#include "engine/container_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "cgroup/layout.h"

namespace hutch::engine {

namespace {

std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > b) out.emplace_back(line.substr(b, i - b));
  }
  return out;
}

uint64_t to_u64(std::string_view s) { return parse_uint(trim(s)).value_or(0); }

// A file of the group; "" when it does not exist (a controller the kernel
// lacks, say), so one missing figure does not hide the others.
std::string read_or_empty(const std::string& path) {
  auto r = fs::read_file(path);
  return r.ok() ? *r : std::string();
}

uint64_t host_memory(const std::string& proc) {
  for (const auto& line : split(read_or_empty(proc + "/meminfo"), '\n')) {
    auto f = fields(line);
    if (f.size() >= 2 && f[0] == "MemTotal:") return to_u64(f[1]) * 1024;
  }
  return 0;
}

}  // namespace

namespace stats_parse {

std::map<std::string, uint64_t> flat_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (const auto& line : split(text, '\n')) {
    auto f = fields(line);
    if (f.size() == 2)
      if (auto v = parse_uint(f[1])) out[f[0]] = *v;
  }
  return out;
}

uint64_t limit_value(std::string_view text) {
  std::string_view t = trim(text);
  if (t == "max" || t == "-1") return 0;
  uint64_t v = to_u64(t);
  // v1 shows "unlimited" as LONG_MAX rounded down to a page
  // (9223372036854771712); anything that large is no limit.
  return v >= (uint64_t{1} << 62) ? 0 : v;
}

std::pair<uint64_t, uint64_t> v1_blkio(std::string_view text) {
  uint64_t r = 0, w = 0;
  for (const auto& line : split(text, '\n')) {
    auto f = fields(line);
    if (f.size() != 3) continue;  // "Total N" has two
    std::string op = f[1];
    std::transform(op.begin(), op.end(), op.begin(), ::tolower);
    if (op == "read") r += to_u64(f[2]);
    else if (op == "write") w += to_u64(f[2]);
  }
  return {r, w};
}

std::pair<uint64_t, uint64_t> v2_io(std::string_view text) {
  uint64_t r = 0, w = 0;
  for (const auto& line : split(text, '\n')) {
    auto f = fields(line);
    for (size_t i = 1; i < f.size(); ++i) {
      if (starts_with(f[i], "rbytes=")) r += to_u64(std::string_view(f[i]).substr(7));
      else if (starts_with(f[i], "wbytes=")) w += to_u64(std::string_view(f[i]).substr(7));
    }
  }
  return {r, w};
}

std::pair<uint64_t, uint64_t> net_dev(std::string_view text) {
  uint64_t rx = 0, tx = 0;
  // Two header lines, then "  eth0: RX(8 fields) TX(8 fields)"; the name
  // may touch the first number ("eth0:123").
  for (const auto& line : split(text, '\n')) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name(trim(std::string_view(line).substr(0, colon)));
    if (name.empty() || name == "lo" || name.find('|') != std::string::npos) continue;
    auto f = fields(std::string_view(line).substr(colon + 1));
    if (f.size() < 9) continue;
    rx += to_u64(f[0]);
    tx += to_u64(f[8]);
  }
  return {rx, tx};
}

std::pair<uint64_t, uint32_t> proc_stat(std::string_view text, long ticks_per_s) {
  uint64_t ticks = 0;
  uint32_t cpus = 0;
  for (const auto& line : split(text, '\n')) {
    if (!starts_with(line, "cpu")) continue;
    auto f = fields(line);
    if (f.empty()) continue;
    if (f[0] != "cpu") {
      ++cpus;
      continue;
    }
    // docker sums user nice system idle iowait irq softirq steal; guest
    // time is already inside user and nice.
    for (size_t i = 1; i < f.size() && i <= 8; ++i) ticks += to_u64(f[i]);
  }
  if (ticks_per_s <= 0) ticks_per_s = 100;
  return {ticks * (1'000'000'000ull / static_cast<uint64_t>(ticks_per_s)), cpus};
}

}  // namespace stats_parse

Result<CgroupRoots> CgroupRoots::detect() {
  ASSIGN_OR_RETURN(std::string mountinfo, fs::read_file("/proc/self/mountinfo"));
  ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout(mountinfo, "/sys/fs/cgroup"));
  CgroupRoots r;
  for (const auto& h : layout.hierarchies) {
    if (h.version == 2) {
      r.unified = h.mount;
      continue;
    }
    for (const auto& c : h.controllers) r.v1.emplace(c, h.mount);
  }
  return r;
}

std::string CgroupRoots::dir(const std::string& controller, const std::string& cgroup_rel) const {
  auto it = v1.find(controller);
  std::string mount = it != v1.end() ? it->second : unified;
  if (mount.empty()) return "";
  std::string rel = cgroup_rel;
  while (!rel.empty() && rel.back() == '/') rel.pop_back();
  return mount + (rel.empty() || rel[0] == '/' ? "" : "/") + rel;
}

int CgroupRoots::version() const { return v1.count("memory") ? 1 : 2; }

Result<ContainerStats> read_stats(const std::string& cgroup_rel, int pid, const CgroupRoots& roots) {
  using namespace stats_parse;
  ContainerStats s;
  std::string mem = roots.dir("memory", cgroup_rel);
  if (mem.empty() || !fs::exists(mem))
    return Error::plain(ENOENT, "cgroup \"" + cgroup_rel + "\" does not exist (is the container running?)");
  bool v1_mem = roots.v1.count("memory") > 0;

  // CPU: v1 cpuacct.usage (ns); v2 cpu.stat usage_usec.
  if (roots.v1.count("cpuacct")) {
    s.cpu_total_ns = to_u64(read_or_empty(roots.dir("cpuacct", cgroup_rel) + "/cpuacct.usage"));
  } else {
    auto cpu = flat_keyed(read_or_empty(roots.dir("cpu", cgroup_rel) + "/cpu.stat"));
    s.cpu_total_ns = cpu["usage_usec"] * 1000;
  }
  auto [sys_ns, cpus] = proc_stat(read_or_empty(roots.proc + "/stat"), ::sysconf(_SC_CLK_TCK));
  s.system_cpu_ns = sys_ns;
  s.online_cpus = cpus;

  // Memory.
  auto ms = flat_keyed(read_or_empty(mem + "/memory.stat"));
  if (v1_mem) {
    s.memory_usage = to_u64(read_or_empty(mem + "/memory.usage_in_bytes"));
    s.memory_limit = limit_value(read_or_empty(mem + "/memory.limit_in_bytes"));
    s.memory_cache = ms["total_cache"];
    s.memory_inactive_file = ms["total_inactive_file"];
  } else {
    s.memory_usage = to_u64(read_or_empty(mem + "/memory.current"));
    s.memory_limit = limit_value(read_or_empty(mem + "/memory.max"));
    s.memory_cache = ms["file"];
    s.memory_inactive_file = ms["inactive_file"];
  }
  uint64_t host = host_memory(roots.proc);
  if (s.memory_limit == 0 || (host && s.memory_limit > host)) s.memory_limit = host;

  // Pids.
  std::string pids = roots.dir("pids", cgroup_rel);
  if (!pids.empty()) {
    s.pids_current = to_u64(read_or_empty(pids + "/pids.current"));
    s.pids_limit = limit_value(read_or_empty(pids + "/pids.max"));
  }

  // Block I/O: v1's throttle counters see every request; the
  // scheduler's (bfq, cfq) only what went through that scheduler.
  if (roots.v1.count("blkio")) {
    std::string b = roots.dir("blkio", cgroup_rel);
    auto rw = v1_blkio(read_or_empty(b + "/blkio.throttle.io_service_bytes_recursive"));
    if (rw.first == 0 && rw.second == 0) rw = v1_blkio(read_or_empty(b + "/blkio.io_service_bytes_recursive"));
    s.blkio_read_bytes = rw.first;
    s.blkio_write_bytes = rw.second;
  } else if (std::string io = roots.dir("io", cgroup_rel); !io.empty()) {
    auto rw = v2_io(read_or_empty(io + "/io.stat"));
    s.blkio_read_bytes = rw.first;
    s.blkio_write_bytes = rw.second;
  }

  if (pid > 0) {
    auto rxtx = net_dev(read_or_empty(roots.proc + "/" + std::to_string(pid) + "/net/dev"));
    s.net_rx_bytes = rxtx.first;
    s.net_tx_bytes = rxtx.second;
  }
  return s;
}

namespace {

void collect_pids(const std::string& dir, std::vector<int>& out, int depth) {
  for (const auto& line : split(read_or_empty(dir + "/cgroup.procs"), '\n'))
    if (auto v = parse_int(trim(line)); v && *v > 0) out.push_back(static_cast<int>(*v));
  if (depth > 32) return;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    collect_pids(dir + "/" + e->d_name, out, depth + 1);
  }
  ::closedir(d);
}

}  // namespace

Result<std::vector<int>> cgroup_pids(const std::string& cgroup_rel, const CgroupRoots& roots) {
  // Any hierarchy holds every process of the group; prefer the ones a
  // runtime always creates.
  std::string dir;
  for (const char* c : {"pids", "memory", "cpuacct", "cpu", "devices", "freezer"}) {
    std::string d = roots.dir(c, cgroup_rel);
    if (!d.empty() && fs::exists(d + "/cgroup.procs")) {
      dir = d;
      break;
    }
  }
  if (dir.empty())
    return Error::plain(ENOENT, "cgroup \"" + cgroup_rel + "\" does not exist (is the container running?)");
  std::vector<int> out;
  collect_pids(dir, out, 0);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double cpu_percent(const ContainerStats& before, const ContainerStats& now) {
  if (now.cpu_total_ns <= before.cpu_total_ns || now.system_cpu_ns <= before.system_cpu_ns) return 0.0;
  double cpu = static_cast<double>(now.cpu_total_ns - before.cpu_total_ns);
  double sys = static_cast<double>(now.system_cpu_ns - before.system_cpu_ns);
  uint32_t n = now.online_cpus ? now.online_cpus : 1;
  return cpu / sys * n * 100.0;
}

uint64_t memory_used(const ContainerStats& s) {
  return s.memory_inactive_file < s.memory_usage ? s.memory_usage - s.memory_inactive_file : s.memory_usage;
}

double memory_percent(const ContainerStats& s) {
  if (s.memory_limit == 0) return 0.0;
  return static_cast<double>(memory_used(s)) / static_cast<double>(s.memory_limit) * 100.0;
}

Result<PsTable> filter_ps_output(std::string_view output, const std::set<int>& pids) {
  auto lines = split(output, '\n');
  PsTable t;
  if (!lines.empty()) t.titles = fields(lines[0]);
  size_t pid_index = t.titles.size();
  for (size_t i = 0; i < t.titles.size(); ++i)
    if (t.titles[i] == "PID") {
      pid_index = i;
      break;
    }
  if (pid_index == t.titles.size()) return Error::plain(EINVAL, "couldn't find PID field in ps output");
  for (size_t l = 1; l < lines.size(); ++l) {
    if (trim(lines[l]).empty()) continue;
    auto f = fields(lines[l]);
    if (f.size() <= pid_index) continue;
    auto pid = parse_int(f[pid_index]);
    if (!pid) return Error::plain(EINVAL, "unexpected pid '" + f[pid_index] + "' in ps output");
    if (!pids.count(static_cast<int>(*pid))) continue;
    // As many cells as titles: the last one takes the rest (docker joins
    // the overhanging fields with single spaces).
    std::vector<std::string> row;
    size_t n = t.titles.size();
    for (size_t i = 0; i < f.size() && i + 1 < n; ++i) row.push_back(f[i]);
    std::vector<std::string> rest;
    for (size_t i = n - 1; i < f.size(); ++i) rest.push_back(f[i]);
    row.push_back(join(rest, " "));
    t.processes.push_back(std::move(row));
  }
  return t;
}

}  // namespace hutch::engine
