// hutch update [OPTIONS] CONTAINER...: docker's update of limits and the
// restart policy, live for running containers (engine/container_update.h).
#include <cstdio>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "engine/container_update.h"
#include "engine/run_options.h"

namespace hutch::cli {

namespace {

Result<engine::UpdateOptions> options_of(const Parsed& p) {
  engine::UpdateOptions o;
  auto size = [&](const char* name, const char* flag, std::optional<int64_t>* out) -> Status {
    if (!p.has(name)) return {};
    std::string v = p.get(name);
    if (v == "-1") {
      *out = -1;
      return {};
    }
    ASSIGN_OR_RETURN(int64_t n, engine::parse_size(flag, v));
    *out = n;
    return {};
  };
  TRY(size("memory", "-m, --memory", &o.memory));
  TRY(size("memory-swap", "--memory-swap", &o.memory_swap));
  TRY(size("memory-reservation", "--memory-reservation", &o.memory_reservation));
  if (o.memory && *o.memory < 0)
    return Error::plain(EINVAL, "invalid argument \"" + p.get("memory") + "\" for \"-m, --memory\" flag");
  if (p.has("cpus")) {
    ASSIGN_OR_RETURN(auto qp, engine::parse_cpus(p.get("cpus")));
    o.cpus = qp;
  }
  if (p.has("cpu-shares")) {
    auto v = parse_int(p.get("cpu-shares"));
    if (!v || *v < 0)
      return Error::plain(EINVAL, "invalid argument \"" + p.get("cpu-shares") + "\" for \"-c, --cpu-shares\" flag: "
                                  "strconv.ParseInt: parsing \"" + p.get("cpu-shares") + "\": invalid syntax");
    o.cpu_shares = static_cast<uint64_t>(*v);
  }
  if (p.has("cpuset-cpus")) o.cpuset_cpus = p.get("cpuset-cpus");
  if (p.has("pids-limit")) {
    auto v = parse_int(p.get("pids-limit"));
    if (!v)
      return Error::plain(EINVAL, "invalid argument \"" + p.get("pids-limit") + "\" for \"--pids-limit\" flag: "
                                  "strconv.ParseInt: parsing \"" + p.get("pids-limit") + "\": invalid syntax");
    o.pids_limit = *v;
  }
  if (p.has("blkio-weight")) {
    auto v = parse_int(p.get("blkio-weight"));
    if (!v || *v < 0 || *v > 65535)
      return Error::plain(EINVAL, "invalid argument \"" + p.get("blkio-weight") + "\" for \"--blkio-weight\" flag: "
                                  "strconv.ParseUint: parsing \"" + p.get("blkio-weight") + "\": invalid syntax");
    o.blkio_weight = static_cast<uint16_t>(*v);
  }
  if (p.has("restart")) {
    ASSIGN_OR_RETURN(auto r, engine::parse_restart(p.get("restart")));
    o.restart = r;
  }
  return o;
}

}  // namespace

int cmd_update(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"blkio-weight", "", true, false, "Block IO (relative weight), between 10 and 1000, or 0 to disable"},
      {"cpu-shares", "c", true, false, "CPU shares (relative weight)"},
      {"cpus", "", true, false, "Number of CPUs"},
      {"cpuset-cpus", "", true, false, "CPUs in which to allow execution (0-3, 0,1)"},
      {"memory", "m", true, false, "Memory limit"},
      {"memory-reservation", "", true, false, "Memory soft limit"},
      {"memory-swap", "", true, false, "Swap limit equal to memory plus swap: -1 to enable unlimited swap"},
      {"pids-limit", "", true, false, "Tune container pids limit (set -1 for unlimited)"},
      {"restart", "", true, false, "Restart policy to apply when a container exits"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "update [OPTIONS] CONTAINER [CONTAINER...]",
                         "Update configuration of one or more containers", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("update", "at least 1 argument");
  auto o = options_of(*p);
  if (!o.ok()) {
    std::fprintf(stderr, "%s\nSee 'hutch update --help'.\n", o.error().message().c_str());
    return 125;
  }
  if (!o->has_resources() && !o->restart) {
    std::fprintf(stderr, "you must provide one or more flags when using this command\n");
    return 1;
  }
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  int rc = 0;
  for (const auto& ref : p->positional) {
    auto s = engine::update_container(*cs, ref, *o);
    if (!s.ok()) {
      std::fprintf(stderr, "Error response from daemon: %s\n", s.error().message().c_str());
      rc = 1;
      continue;
    }
    print(ref + "\n");
  }
  return rc;
}

}  // namespace hutch::cli
