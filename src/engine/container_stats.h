// What a running container uses, for `hutch stats` and `hutch top`: its
// cgroup's accounting files, the host's CPU time from /proc/stat and the
// network counters of its init's namespace (/proc/<pid>/net/dev).
//
// Each controller is read where the host serves it: a v1 hierarchy
// (cpuacct.usage, memory.usage_in_bytes, pids.current,
// blkio.throttle.io_service_bytes_recursive) or the v2 unified tree
// (cpu.stat, memory.current, pids.current, io.stat), so v1, v2 and hybrid
// hosts all work. The container's group is "<mount>/hutch/<id>" in each
// (the cgroupsPath the engine gives every container).
// Thread-safety: pure functions over files; CgroupRoots is a value.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::engine {

// Where each controller's hierarchy is mounted.
struct CgroupRoots {
  std::map<std::string, std::string> v1;  // "memory" -> "/sys/fs/cgroup/memory"
  std::string unified;                    // the cgroup2 mount, "" when none
  std::string proc = "/proc";             // tests point it at a fake tree

  // From /proc/self/mountinfo (cgroup/layout.h).
  static Result<CgroupRoots> detect();
  // The directory of `cgroup_rel` ("/hutch/<id>") for `controller`: its v1
  // hierarchy, else the unified tree; "" when neither is mounted.
  std::string dir(const std::string& controller, const std::string& cgroup_rel) const;
  // 1 when the memory controller is on a v1 hierarchy, else 2.
  int version() const;
};

struct ContainerStats {
  uint64_t cpu_total_ns = 0;     // the group's CPU time
  uint64_t system_cpu_ns = 0;    // the host's, all CPUs, from /proc/stat
  uint32_t online_cpus = 0;      // cpuN lines in /proc/stat
  uint64_t memory_usage = 0;     // including page cache
  uint64_t memory_limit = 0;     // the group's limit, at most the host's memory
  uint64_t memory_cache = 0;     // v1 total_cache, v2 file
  uint64_t memory_inactive_file = 0;  // what docker's CLI subtracts from usage
  uint64_t pids_current = 0;
  uint64_t pids_limit = 0;       // 0 = unlimited
  uint64_t blkio_read_bytes = 0, blkio_write_bytes = 0;
  uint64_t net_rx_bytes = 0, net_tx_bytes = 0;  // all interfaces but lo
};

// Reads the stats of the group `cgroup_rel` whose init is `pid` (0: no
// network counters). ENOENT when the group does not exist.
Result<ContainerStats> read_stats(const std::string& cgroup_rel, int pid, const CgroupRoots& roots);

// Every process in the group and its descendants, sorted.
Result<std::vector<int>> cgroup_pids(const std::string& cgroup_rel, const CgroupRoots& roots);

// docker's figures (docker/cli's stats helpers):
// CPU % = Δcontainer CPU / Δhost CPU × online CPUs × 100 (0 when either
// delta is not positive).
double cpu_percent(const ContainerStats& before, const ContainerStats& now);
// Usage without the inactive page cache, as docker's CLI shows it.
uint64_t memory_used(const ContainerStats& s);
double memory_percent(const ContainerStats& s);

// The parsers, for tests.
namespace stats_parse {
// "key value" lines (memory.stat, cpu.stat) -> map.
std::map<std::string, uint64_t> flat_keyed(std::string_view text);
// A limit file: a number, or "max" / v1's page-rounded 2^63 -> 0 (unlimited).
uint64_t limit_value(std::string_view text);
// blkio.*io_service_bytes*: "MAJ:MIN Read N" lines -> {read, write}.
std::pair<uint64_t, uint64_t> v1_blkio(std::string_view text);
// io.stat: "MAJ:MIN rbytes=N wbytes=N ..." lines -> {read, write}.
std::pair<uint64_t, uint64_t> v2_io(std::string_view text);
// /proc/<pid>/net/dev -> {rx bytes, tx bytes}, lo excluded.
std::pair<uint64_t, uint64_t> net_dev(std::string_view text);
// /proc/stat -> {host CPU ns, online CPUs}; `ticks_per_s` from sysconf.
std::pair<uint64_t, uint32_t> proc_stat(std::string_view text, long ticks_per_s);
}  // namespace stats_parse

// docker top: keeps the rows of `ps` output whose PID column names one of
// `pids`; the last column takes the rest of the line (a command with
// spaces). EINVAL "couldn't find PID field in ps output" without one.
struct PsTable {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};
Result<PsTable> filter_ps_output(std::string_view output, const std::set<int>& pids);

}  // namespace hutch::engine
