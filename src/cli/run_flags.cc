// docker run/create flags -> engine::RunOptions.
#include "cli/run_flags.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "network/etc_files.h"
#include "network/ports.h"

namespace hutch::cli {
namespace {

using engine::RunOptions;

Error invalid(const std::string& m) { return Error::plain(EINVAL, m); }
Error bad_flag(const std::string& flag, const std::string& value, const std::string& why) {
  return invalid("invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why);
}

// Flags in docker's table that hutch refuses, with why.
const std::pair<const char*, const char*> kRefused[] = {
    {"ip6", "hutch networks are IPv4 only"},
    {"link", "--link is a legacy docker feature; use a user network"},
    {"link-local-ip", nullptr},        {"annotation", nullptr},        {"blkio-weight-device", nullptr},
    {"cgroup-parent", nullptr},        {"cpu-count", "Windows only"},  {"cpu-percent", "Windows only"},
    {"cpu-rt-period", nullptr},        {"cpu-rt-runtime", nullptr},    {"cpuset-mems", nullptr},
    {"device-cgroup-rule", nullptr},   {"domainname", nullptr},        {"gpus", nullptr},
    {"group-add", nullptr},            {"health-start-interval", nullptr}, {"io-maxbandwidth", "Windows only"},
    {"io-maxiops", "Windows only"},    {"isolation", "Windows only"},  {"kernel-memory", nullptr},
    {"memory-swappiness", nullptr},    {"oom-kill-disable", nullptr},  {"storage-opt", nullptr},
    {"userns", nullptr},               {"volume-driver", nullptr},     {"volumes-from", nullptr},
    {"use-api-socket", nullptr},
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<int64_t> integer(const Parsed& p, const std::string& name, const std::string& shown) {
  std::string v = p.get(name);
  auto n = parse_int(v);
  if (!n) return bad_flag(shown, v, "strconv.ParseInt: parsing \"" + v + "\": invalid syntax");
  return *n;
}

std::string absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char buf[4096];
  if (!::getcwd(buf, sizeof buf)) return path;
  return std::string(buf) + "/" + path;
}

// -e KEY=VAL as is; -e KEY takes our value, or stays bare (the image's KEY
// is then removed, as docker does).
std::string env_value(const std::string& e) {
  if (e.find('=') != std::string::npos) return e;
  const char* v = std::getenv(e.c_str());
  return v ? e + "=" + v : e;
}

Status read_labels(const std::string& path, std::map<std::string, std::string>& out) {
  std::ifstream f(path);
  if (!f) return Error(errno, "open label file \"" + path + "\"");
  for (std::string line; std::getline(f, line);) {
    std::string_view t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto eq = t.find('=');
    out[std::string(t.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(t.substr(eq + 1));
  }
  return {};
}

Status namespace_mode(const std::string& flag, const std::string& v, const std::set<std::string>& ok,
                      const char* kind) {
  if (ok.count(v) || (starts_with(v, "container:") && v.size() > 10)) return {};
  return invalid("--" + flag + ": invalid " + kind + " mode");
}

Status security_opt(const std::string& opt, RunOptions& o) {
  // docker accepts "key=value" and the older "key:value".
  auto sep = opt.find_first_of("=:");
  std::string key = opt.substr(0, sep), value = sep == std::string::npos ? "" : opt.substr(sep + 1);
  if (key == "no-new-privileges") {
    if (value.empty() || value == "true") o.no_new_privileges = true;
    else if (value == "false") o.no_new_privileges = false;
    else return invalid("invalid --security-opt 2: \"" + opt + "\"");
    return {};
  }
  if (key == "seccomp" && !value.empty()) {
    o.seccomp = value == "unconfined" ? value : absolute(value);
    return {};
  }
  if (key == "label") return invalid("hutch: --security-opt label is not supported (hutch has no SELinux support)");
  if (key == "apparmor")
    return invalid("hutch: --security-opt apparmor is not supported (hutch has no AppArmor support)");
  if (key == "systempaths" || key == "writable-cgroups" || key == "mask" || key == "unmask")
    return invalid("hutch: --security-opt " + key + " is not supported yet");
  return invalid("invalid --security-opt: \"" + opt + "\"");
}

Status log_options(const Parsed& p, RunOptions& o) {
  if (p.has("log-driver")) {
    std::string d = p.get("log-driver");
    if (d != "json-file" && d != "k8s-file" && d != "local" && d != "none")
      return invalid("hutch: log driver \"" + d + "\" is not supported (json-file, k8s-file, local or none)");
    o.log_driver = d;
  }
  for (const auto& kv : p.all("log-opt")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return invalid("invalid key value pair format in log opts: \"" + kv + "\"");
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "max-size" || k == "rate") {
      // rate is BYTES per second: "1m" or "1m/s".
      std::string size = k == "rate" && v.size() > 2 && v.compare(v.size() - 2, 2, "/s") == 0 ? v.substr(0, v.size() - 2) : v;
      TRY(engine::parse_size("--log-opt " + k, size));
    } else if (k == "max-file") {
      auto n = parse_int(v);
      if (!n || *n < 1) return invalid("max-file cannot be less than 1");
    } else if (k != "path") {
      return invalid("unknown log opt '" + k + "' for the file log driver (max-size, max-file, path, rate)");
    }
    o.log_opts[k] = v;
  }
  if (o.log_driver == "none" && !o.log_opts.empty()) return invalid("log opts are not supported with --log-driver none");
  return {};
}

Status health_options(const Parsed& p, RunOptions& o) {
  if (p.has("health-interval")) {
    ASSIGN_OR_RETURN(o.health_interval, engine::parse_duration("--health-interval", p.get("health-interval")));
  }
  if (p.has("health-timeout")) {
    ASSIGN_OR_RETURN(o.health_timeout, engine::parse_duration("--health-timeout", p.get("health-timeout")));
  }
  if (p.has("health-start-period")) {
    ASSIGN_OR_RETURN(o.health_start_period,
                     engine::parse_duration("--health-start-period", p.get("health-start-period")));
  }
  if (p.has("health-retries")) {
    ASSIGN_OR_RETURN(int64_t n, integer(p, "health-retries", "--health-retries"));
    if (n < INT32_MIN || n > INT32_MAX) return bad_flag("--health-retries", p.get("health-retries"), "out of range");
    o.health_retries = static_cast<int>(n);
  }
  if (p.has("health-on-failure")) {
    std::string v = p.get("health-on-failure");
    if (v != "none" && v != "kill" && v != "restart")
      return bad_flag("--health-on-failure", v, "must be none, kill or restart");
    o.health_on_failure = v;
  }
  bool any = p.has("health-cmd") || p.has("health-interval") || p.has("health-timeout") ||
             p.has("health-start-period") || p.has("health-retries");
  if (p.has("no-healthcheck")) {
    if (any) return invalid("--no-healthcheck conflicts with --health-* options");
    o.health_test = std::vector<std::string>{"NONE"};
  } else if (p.has("health-cmd") && !p.get("health-cmd").empty()) {
    o.health_test = std::vector<std::string>{"CMD-SHELL", p.get("health-cmd")};
  }
  return {};
}

Status resource_options(const Parsed& p, RunOptions& o) {
  if (p.has("memory")) {
    ASSIGN_OR_RETURN(o.memory, engine::parse_size("-m, --memory", p.get("memory")));
  }
  if (p.has("memory-swap")) {
    if (p.get("memory-swap") == "-1") {
      o.memory_swap = -1;
    } else {
      ASSIGN_OR_RETURN(o.memory_swap, engine::parse_size("--memory-swap", p.get("memory-swap")));
    }
  }
  if (p.has("memory-reservation")) {
    ASSIGN_OR_RETURN(o.memory_reservation, engine::parse_size("--memory-reservation", p.get("memory-reservation")));
  }
  if (p.has("shm-size")) {
    ASSIGN_OR_RETURN(int64_t shm, engine::parse_size("--shm-size", p.get("shm-size")));
    o.shm_size = static_cast<uint64_t>(shm);
  }
  if (p.has("cpus")) {
    ASSIGN_OR_RETURN(auto qp, engine::parse_cpus(p.get("cpus")));
    o.cpu_quota = qp.first;
    o.cpu_period = qp.second;
  }
  if (p.has("cpu-period") || p.has("cpu-quota")) {
    if (p.has("cpus") && o.cpu_quota)
      return invalid("conflicting options: Nano CPUs and CPU Period/Quota cannot both be set");
    if (p.has("cpu-period")) {
      ASSIGN_OR_RETURN(o.cpu_period, integer(p, "cpu-period", "--cpu-period"));
      if (o.cpu_period != 0 && (o.cpu_period < 1000 || o.cpu_period > 1000000))
        return invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    }
    if (p.has("cpu-quota")) {
      ASSIGN_OR_RETURN(o.cpu_quota, integer(p, "cpu-quota", "--cpu-quota"));
      if (o.cpu_quota > 0 && o.cpu_quota < 1000) return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    }
  }
  if (p.has("cpu-shares")) {
    ASSIGN_OR_RETURN(int64_t n, integer(p, "cpu-shares", "-c, --cpu-shares"));
    if (n < 0) return bad_flag("-c, --cpu-shares", p.get("cpu-shares"), "must not be negative");
    o.cpu_shares = static_cast<uint64_t>(n);
  }
  o.cpuset_cpus = p.get("cpuset-cpus");
  if (p.has("pids-limit")) {
    ASSIGN_OR_RETURN(o.pids_limit, integer(p, "pids-limit", "--pids-limit"));
    if (o.pids_limit < 0) o.pids_limit = -1;
  }
  for (const auto& u : p.all("ulimit")) {
    auto r = engine::parse_ulimit(u);
    if (!r.ok()) return bad_flag("--ulimit", u, r.error().innermost());
    o.ulimits.push_back(*r);
  }
  for (const auto& d : p.all("device")) {
    ASSIGN_OR_RETURN(auto dev, engine::parse_device(d));
    o.devices.push_back(dev);
  }
  const std::pair<const char*, std::vector<engine::ThrottleDevice>*> throttles[] = {
      {"device-read-bps", &o.device_read_bps},
      {"device-write-bps", &o.device_write_bps},
      {"device-read-iops", &o.device_read_iops},
      {"device-write-iops", &o.device_write_iops}};
  for (const auto& [name, list] : throttles)
    for (const auto& v : p.all(name)) {
      ASSIGN_OR_RETURN(auto t, engine::parse_throttle(std::string("--") + name, v));
      list->push_back(t);
    }
  if (p.has("blkio-weight")) {
    auto n = parse_uint(p.get("blkio-weight"));
    if (!n || *n > 65535) return bad_flag("--blkio-weight", p.get("blkio-weight"), "invalid syntax");
    o.blkio_weight = static_cast<uint16_t>(*n);
  }
  for (const auto& kv : p.all("sysctl")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return bad_flag("--sysctl", kv, "sysctl '" + kv + "' is not KEY=VALUE");
    o.sysctls[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (p.has("oom-score-adj")) {
    ASSIGN_OR_RETURN(int64_t n, integer(p, "oom-score-adj", "--oom-score-adj"));
    if (n < -1000 || n > 1000)
      return invalid("invalid value " + std::to_string(n) + ", range for oom score adj is [-1000, 1000]");
    o.oom_score_adj = static_cast<int>(n);
  }
  return {};
}

Status storage_options(const Parsed& p, RunOptions& o) {
  for (const auto& v : p.all("volume")) {
    auto m = engine::parse_volume(v);
    if (!m.ok()) return bad_flag("-v, --volume", v, m.error().innermost());
    o.mounts.push_back(*m);
  }
  for (const auto& v : p.all("mount")) {
    ASSIGN_OR_RETURN(auto m, engine::parse_mount(v));
    o.mounts.push_back(m);
  }
  for (const auto& v : p.all("tmpfs")) {
    auto m = engine::parse_tmpfs(v);
    if (!m.ok()) return bad_flag("--tmpfs", v, m.error().innermost());
    o.mounts.push_back(*m);
  }
  std::set<std::string> targets;
  for (const auto& m : o.mounts)
    if (!targets.insert(m.target).second) return invalid("duplicate mount point: " + m.target);
  return {};
}

bool is_ip(const std::string& v) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, v.c_str(), buf) == 1 || ::inet_pton(AF_INET6, v.c_str(), buf) == 1;
}

// --network and what goes with it; the rules between them are
// engine::validate_run_options's.
Status network_options(const Parsed& p, RunOptions& o) {
  o.network = p.has("network") ? p.get("network") : p.get("net");
  if (o.network == "default") o.network = "bridge";
  o.network_aliases = p.all("network-alias");
  for (const auto& a : p.all("net-alias")) o.network_aliases.push_back(a);
  if (p.has("ip")) {
    ASSIGN_OR_RETURN(o.ip, engine::parse_ipv4(p.get("ip")));
  }
  if (p.has("mac-address")) {
    ASSIGN_OR_RETURN(o.mac_address, engine::parse_mac_address(p.get("mac-address")));
  }
  for (const auto& d : p.all("dns")) {
    std::string v(trim(d));
    if (!is_ip(v)) return bad_flag("--dns", d, d + " is not an ip address");
    o.dns.push_back(v);
  }
  for (const auto& d : p.all("dns-search")) {
    auto v = engine::parse_dns_search(d);
    if (!v.ok()) return bad_flag("--dns-search", d, v.error().innermost());
    o.dns_search.push_back(*v);
  }
  o.dns_options = p.all("dns-option");
  for (const auto& d : p.all("dns-opt")) o.dns_options.push_back(d);
  for (const auto& h : p.all("add-host")) {
    ASSIGN_OR_RETURN(auto host, network::parse_add_host(h));
    o.add_hosts.push_back(host.name + ":" + host.ip);
  }
  ASSIGN_OR_RETURN(o.publish, network::parse_publish(p.all("publish")));
  o.publish_all = p.has("publish-all");
  for (const auto& e : p.all("expose")) {
    ASSIGN_OR_RETURN(auto ports, network::parse_expose(e));
    o.expose.insert(ports.begin(), ports.end());
  }
  if (o.network == "host" && (!o.publish.empty() || o.publish_all)) {
    // docker's daemon: the ports of a host-network container are the host's.
    o.warnings.push_back("Published ports are discarded when using host network mode");
    o.publish.clear();
    o.publish_all = false;
  }
  return {};
}

}  // namespace

const std::vector<OptSpec>& run_flag_specs() {
  static const std::vector<OptSpec> kSpecs = {
      // Supported.
      {"add-host", "", true, true, "Add a custom host-to-IP mapping (host:ip)"},
      {"attach", "a", true, true, "Attach to STDIN, STDOUT or STDERR"},
      {"blkio-weight", "", true, false, "Block IO (relative weight), between 10 and 1000, or 0 to disable"},
      {"cap-add", "", true, true, "Add Linux capabilities"},
      {"cap-drop", "", true, true, "Drop Linux capabilities"},
      {"cgroupns", "", true, false, "Cgroup namespace to use (host|private)"},
      {"cidfile", "", true, false, "Write the container ID to the file"},
      {"cpu-period", "", true, false, "Limit CPU CFS (Completely Fair Scheduler) period"},
      {"cpu-quota", "", true, false, "Limit CPU CFS (Completely Fair Scheduler) quota"},
      {"cpu-shares", "c", true, false, "CPU shares (relative weight)"},
      {"cpus", "", true, false, "Number of CPUs"},
      {"cpuset-cpus", "", true, false, "CPUs in which to allow execution (0-3, 0,1)"},
      {"detach", "d", false, false, "Run container in background and print container ID"},
      {"detach-keys", "", true, false, "Override the key sequence for detaching a container"},
      {"device", "", true, true, "Add a host device to the container"},
      {"device-read-bps", "", true, true, "Limit read rate (bytes per second) from a device"},
      {"device-read-iops", "", true, true, "Limit read rate (IO per second) from a device"},
      {"device-write-bps", "", true, true, "Limit write rate (bytes per second) to a device"},
      {"device-write-iops", "", true, true, "Limit write rate (IO per second) to a device"},
      {"disable-content-trust", "", false, false, "Skip image verification (always: hutch has no content trust)"},
      {"dns", "", true, true, "Set custom DNS servers"},
      {"dns-opt", "", true, true, "Alias of --dns-option"},
      {"dns-option", "", true, true, "Set DNS options"},
      {"dns-search", "", true, true, "Set custom DNS search domains"},
      {"entrypoint", "", true, false, "Overwrite the default ENTRYPOINT of the image"},
      {"env", "e", true, true, "Set environment variables"},
      {"env-file", "", true, true, "Read in a file of environment variables"},
      {"expose", "", true, true, "Expose a port or a range of ports"},
      {"health-cmd", "", true, false, "Command to run to check health"},
      {"health-interval", "", true, false, "Time between running the check (ms|s|m|h) (default 0s)"},
      {"health-on-failure", "", true, false, "Action when the container turns unhealthy: none, kill, restart"},
      {"health-retries", "", true, false, "Consecutive failures needed to report unhealthy"},
      {"health-start-period", "", true, false, "Start period for the container to initialize"},
      {"health-timeout", "", true, false, "Maximum time to allow one check to run (ms|s|m|h)"},
      {"hostname", "h", true, false, "Container host name"},
      {"init", "", false, false, "Run an init inside the container that forwards signals and reaps processes"},
      {"interactive", "i", false, false, "Keep STDIN open even if not attached"},
      {"ip", "", true, false, "IPv4 address (e.g., 172.30.100.104)"},
      {"ipc", "", true, false, "IPC mode to use"},
      {"label", "l", true, true, "Set meta data on a container"},
      {"label-file", "", true, true, "Read in a line delimited file of labels"},
      {"log-driver", "", true, false, "Logging driver for the container (json-file, k8s-file, local, none)"},
      {"log-opt", "", true, true, "Log driver options (max-size, max-file, path, rate)"},
      {"mac-address", "", true, false, "Container MAC address (e.g., 92:d0:c6:0a:29:33)"},
      {"memory", "m", true, false, "Memory limit"},
      {"memory-reservation", "", true, false, "Memory soft limit"},
      {"memory-swap", "", true, false, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"},
      {"mount", "", true, true, "Attach a filesystem mount to the container"},
      {"name", "", true, false, "Assign a name to the container"},
      {"net-alias", "", true, true, "Alias of --network-alias"},
      {"net", "", true, false, "Alias of --network"},
      {"network", "", true, false, "Connect a container to a network (bridge, none, host, container:<name|id>, NAME)"},
      {"network-alias", "", true, true, "Add network-scoped alias for the container"},
      {"no-healthcheck", "", false, false, "Disable any container-specified HEALTHCHECK"},
      {"oom-score-adj", "", true, false, "Tune host's OOM preferences (-1000 to 1000)"},
      {"pid", "", true, false, "PID namespace to use"},
      {"pids-limit", "", true, false, "Tune container pids limit (set -1 for unlimited)"},
      {"platform", "", true, false, "Set platform if server is multi-platform capable"},
      {"privileged", "", false, false, "Give extended privileges to this container"},
      {"publish", "p", true, true, "Publish a container's port(s) to the host"},
      {"publish-all", "P", false, false, "Publish all exposed ports to random ports"},
      {"pull", "", true, false, "Pull image before running (\"always\", \"missing\", \"never\")"},
      {"quiet", "q", false, false, "Suppress the pull output"},
      {"read-only", "", false, false, "Mount the container's root filesystem as read only"},
      {"restart", "", true, false, "Restart policy to apply when a container exits"},
      {"rm", "", false, false, "Automatically remove the container and its associated anonymous volumes when it exits"},
      {"runtime", "", true, false, "Runtime to use for this container"},
      {"security-opt", "", true, true, "Security Options"},
      {"shm-size", "", true, false, "Size of /dev/shm"},
      {"sig-proxy", "", false, false, "Proxy received signals to the process (default true)"},
      {"stop-signal", "", true, false, "Signal to stop the container"},
      {"stop-timeout", "", true, false, "Timeout (in seconds) to stop a container"},
      {"sysctl", "", true, true, "Sysctl options"},
      {"tmpfs", "", true, true, "Mount a tmpfs directory"},
      {"tty", "t", false, false, "Allocate a pseudo-TTY"},
      {"ulimit", "", true, true, "Ulimit options"},
      {"user", "u", true, false, "Username or UID (format: <name|uid>[:<group|gid>])"},
      {"uts", "", true, false, "UTS namespace to use"},
      {"volume", "v", true, true, "Bind mount a volume"},
      {"workdir", "w", true, false, "Working directory inside the container"},
      // Refused for now (run_options_from says why).
      {"annotation", "", true, true, "Add an annotation to the container (not supported yet)"},
      {"blkio-weight-device", "", true, true, "Block IO weight (relative device weight) (not supported yet)"},
      {"cgroup-parent", "", true, false, "Optional parent cgroup for the container (not supported yet)"},
      {"cpu-count", "", true, false, "CPU count (Windows only)"},
      {"cpu-percent", "", true, false, "CPU percent (Windows only)"},
      {"cpu-rt-period", "", true, false, "Limit CPU real-time period in microseconds (not supported yet)"},
      {"cpu-rt-runtime", "", true, false, "Limit CPU real-time runtime in microseconds (not supported yet)"},
      {"cpuset-mems", "", true, false, "MEMs in which to allow execution (not supported yet)"},
      {"device-cgroup-rule", "", true, true, "Add a rule to the cgroup allowed devices list (not supported yet)"},
      {"domainname", "", true, false, "Container NIS domain name (not supported yet)"},
      {"gpus", "", true, false, "GPU devices to add to the container (not supported yet)"},
      {"group-add", "", true, true, "Add additional groups to join (not supported yet)"},
      {"health-start-interval", "", true, false, "Time between checks during the start period (not supported yet)"},
      {"io-maxbandwidth", "", true, false, "Maximum IO bandwidth limit (Windows only)"},
      {"io-maxiops", "", true, false, "Maximum IOps limit (Windows only)"},
      {"ip6", "", true, false, "IPv6 address (not supported: hutch networks are IPv4 only)"},
      {"isolation", "", true, false, "Container isolation technology (Windows only)"},
      {"kernel-memory", "", true, false, "Kernel memory limit (not supported)"},
      {"link", "", true, true, "Add link to another container (not supported: use a user network)"},
      {"link-local-ip", "", true, true, "Container IPv4/IPv6 link-local addresses (not supported yet)"},
      {"memory-swappiness", "", true, false, "Tune container memory swappiness (not supported yet)"},
      {"oom-kill-disable", "", false, false, "Disable OOM Killer (not supported yet)"},
      {"storage-opt", "", true, true, "Storage driver options for the container (not supported yet)"},
      {"use-api-socket", "", false, false, "Bind mount the API socket (not supported yet)"},
      {"userns", "", true, false, "User namespace to use (not supported yet)"},
      {"volume-driver", "", true, false, "Optional volume driver for the container (not supported yet)"},
      {"volumes-from", "", true, true, "Mount volumes from the specified container(s) (not supported yet)"},
  };
  return kSpecs;
}

Result<engine::RunOptions> run_options_from(const Parsed& p) {
  for (const auto& [name, why] : kRefused) {
    if (!p.has(name)) continue;
    std::string msg = std::string("hutch: --") + name + " is not supported";
    return invalid(why ? msg + " (" + why + ")" : msg + " yet");
  }
  RunOptions o;
  if (p.positional.empty()) return invalid("requires at least 1 argument: IMAGE [COMMAND] [ARG...]");
  o.image = p.positional[0];
  o.command.assign(p.positional.begin() + 1, p.positional.end());
  if (p.has("entrypoint")) o.entrypoint = p.get("entrypoint");
  o.sig_proxy = !p.is_false("sig-proxy");
  o.name = p.get("name");
  for (const auto& f : p.all("env-file")) {
    ASSIGN_OR_RETURN(auto env, engine::read_env_file(f));
    o.env.insert(o.env.end(), env.begin(), env.end());
  }
  for (const auto& e : p.all("env")) o.env.push_back(env_value(e));
  o.workdir = p.get("workdir");
  o.user = p.get("user");
  o.hostname = p.get("hostname");
  for (const auto& f : p.all("label-file")) TRY(read_labels(f, o.labels));
  for (const auto& l : p.all("label")) {
    auto eq = l.find('=');
    o.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  o.platform = p.get("platform");
  if (p.has("pull")) {
    o.pull = p.get("pull");
    if (o.pull != "missing" && o.pull != "always" && o.pull != "never")
      return invalid("invalid pull option: '" + o.pull + "': must be one of \"always\", \"missing\" or \"never\"");
  }
  o.runtime = p.get("runtime");
  o.quiet = p.has("quiet");
  o.detach = p.has("detach");
  o.interactive = p.has("interactive");
  o.tty = p.has("tty");
  o.auto_remove = p.has("rm");
  o.detach_keys = p.get("detach-keys");
  for (const auto& a : p.all("attach")) {
    std::string s = lower(a);
    if (s != "stdin" && s != "stdout" && s != "stderr")
      return bad_flag("-a, --attach", a, "valid streams are STDIN, STDOUT and STDERR");
    o.attach.push_back(s);
  }
  if (o.detach && !o.attach.empty()) return invalid("conflicting options: cannot specify both --attach and --detach");
  TRY(storage_options(p, o));
  o.read_only = p.has("read-only");
  if (p.has("restart")) {
    ASSIGN_OR_RETURN(auto r, engine::parse_restart(p.get("restart")));
    o.restart = r.first;
    o.restart_max = r.second;
  }
  TRY(health_options(p, o));
  o.init = p.has("init");
  o.privileged = p.has("privileged");
  o.cap_add = p.all("cap-add");
  o.cap_drop = p.all("cap-drop");
  for (const auto& s : p.all("security-opt")) TRY(security_opt(s, o));
  TRY(resource_options(p, o));
  if (p.has("stop-signal")) {
    ASSIGN_OR_RETURN(o.stop_signal, engine::parse_signal("--stop-signal", p.get("stop-signal")));
  }
  if (p.has("stop-timeout")) {
    ASSIGN_OR_RETURN(int64_t n, integer(p, "stop-timeout", "--stop-timeout"));
    if (n < INT32_MIN || n > INT32_MAX) return bad_flag("--stop-timeout", p.get("stop-timeout"), "out of range");
    o.stop_timeout = static_cast<int>(n);
  }
  TRY(log_options(p, o));
  o.cidfile = p.get("cidfile");
  o.pid_ns = p.get("pid");
  TRY(namespace_mode("pid", o.pid_ns, {"", "host"}, "PID"));
  o.ipc_ns = p.get("ipc");
  TRY(namespace_mode("ipc", o.ipc_ns, {"", "none", "private", "shareable", "host"}, "IPC"));
  o.uts_ns = p.get("uts");
  TRY(namespace_mode("uts", o.uts_ns, {"", "host"}, "UTS"));
  o.cgroupns = p.get("cgroupns");
  if (o.cgroupns != "" && o.cgroupns != "host" && o.cgroupns != "private")
    return invalid("--cgroupns: invalid CGROUP mode");
  TRY(network_options(p, o));
  TRY(engine::validate_run_options(o));
  return o;
}

}  // namespace hutch::cli
