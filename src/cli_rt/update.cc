#include <cstdio>

#include "base/fs.h"
#include "base/strings.h"
#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {
namespace {

const std::vector<OptSpec> kUpdateOpts = {
    {"resources", "r", true, false, "path to a file containing the resources to update, or \"-\" for stdin"},
    {"blkio-weight", "", true, false, "specifies per cgroup weight, range is from 10 to 1000"},
    {"cpu-period", "", true, false, "CPU CFS period to be used for hardcapping (in usecs)"},
    {"cpu-quota", "", true, false, "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
    {"cpu-share", "", true, false, "CPU shares (relative weight vs. other containers)"},
    {"cpu-rt-period", "", true, false, "CPU realtime period to be used for hardcapping (in usecs)"},
    {"cpu-rt-runtime", "", true, false, "CPU realtime hardcap limit (in usecs)"},
    {"cpuset-cpus", "", true, false, "CPU(s) to use"},
    {"cpuset-mems", "", true, false, "memory node(s) to use"},
    {"memory", "", true, false, "memory limit (in bytes, or with k/m/g suffix)"},
    {"memory-reservation", "", true, false, "memory reservation or soft_limit (in bytes)"},
    {"memory-swap", "", true, false, "total memory usage (memory + swap); set '-1' to enable unlimited swap"},
    {"pids-limit", "", true, false, "maximum number of pids allowed in the container"},
    {"l3-cache-schema", "", true, false, "the string of Intel RDT/CAT L3 cache schema (unsupported)"},
    {"mem-bw-schema", "", true, false, "the string of Intel RDT/MBA memory bandwidth schema (unsupported)"},
};

std::optional<int64_t> parse_size(const std::string& s) {
  if (s == "-1") return -1;
  if (s.empty()) return std::nullopt;
  int64_t mult = 1;
  std::string num = s;
  char last = static_cast<char>(tolower(s.back()));
  if (last == 'b' && s.size() > 1) {
    num.pop_back();
    last = static_cast<char>(tolower(num.back()));
  }
  if (last == 'k') mult = 1024;
  if (last == 'm') mult = 1024 * 1024;
  if (last == 'g') mult = 1024LL * 1024 * 1024;
  if (mult != 1) num.pop_back();
  auto v = parse_int(num);
  if (!v) return std::nullopt;
  return *v * mult;
}

}  // namespace

int cmd_update(const Global& g, const Args& a, size_t start) {
  auto p = parse_args(a, start, kUpdateOpts);
  if (!p.ok()) return fail("update", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt update [command options] <container-id>\n\n" + usage_options(kUpdateOpts));
    return 0;
  }
  if (p->positional.size() != 1) return fail("update", Error(EINVAL, "\"update\" requires exactly 1 argument"));
  if (p->has("l3-cache-schema") || p->has("mem-bw-schema"))
    return fail("update", Error(ENOTSUP, "Intel RDT is not supported by hutchrt"));
  oci::Resources res;
  if (p->has("resources")) {
    std::string path = p->get("resources");
    auto text = path == "-" ? fs::read_file("/dev/stdin") : fs::read_file(path);
    if (!text.ok()) return fail("update", text.error());
    auto r = oci::parse_resources(*text);
    if (!r.ok()) return fail("update", r.error());
    res = std::move(r).value();
  }
  auto num = [&](const char* flag, auto setter) -> bool {
    if (!p->has(flag)) return true;
    auto v = parse_size(p->get(flag));
    if (!v) {
      fail("update", Error(EINVAL, std::string("--") + flag + ": invalid value \"" + p->get(flag) + "\""));
      return false;
    }
    setter(*v);
    return true;
  };
  auto M = [&]() -> oci::Memory& { return res.memory ? *res.memory : res.memory.emplace(); };
  auto C = [&]() -> oci::Cpu& { return res.cpu ? *res.cpu : res.cpu.emplace(); };
  bool ok = num("memory", [&](int64_t v) { M().limit = v; }) &&
            num("memory-reservation", [&](int64_t v) { M().reservation = v; }) &&
            num("memory-swap", [&](int64_t v) { M().swap = v; }) &&
            num("cpu-period", [&](int64_t v) { C().period = static_cast<uint64_t>(v); }) &&
            num("cpu-quota", [&](int64_t v) { C().quota = v; }) &&
            num("cpu-share", [&](int64_t v) { C().shares = static_cast<uint64_t>(v); }) &&
            num("cpu-rt-period", [&](int64_t v) { C().realtime_period = static_cast<uint64_t>(v); }) &&
            num("cpu-rt-runtime", [&](int64_t v) { C().realtime_runtime = v; }) &&
            num("pids-limit", [&](int64_t v) { res.pids_limit = v; }) &&
            num("blkio-weight", [&](int64_t v) {
              if (!res.block_io) res.block_io.emplace();
              res.block_io->weight = static_cast<uint16_t>(v);
            });
  if (!ok) return 1;
  if (p->has("cpuset-cpus")) C().cpus = p->get("cpuset-cpus");
  if (p->has("cpuset-mems")) C().mems = p->get("cpuset-mems");
  runtime::StateStore store(g.root);
  auto r = runtime::update_container(store, p->positional[0], res);
  if (!r.ok()) return fail("update", r.error());
  return 0;
}

}  // namespace hutch::cli_rt
