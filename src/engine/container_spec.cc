// build_spec: image config + RunOptions -> OCI runtime spec, as docker
// (moby's oci defaults and daemon/oci_linux.go) composes it.
#include "engine/container_spec.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "engine/exec_user.h"
#include "engine/seccomp_default.h"

namespace hutch::engine {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr int64_t kSecond = 1'000'000'000;

Error invalid(const std::string& m) { return Error::plain(EINVAL, m); }

// Docker's default capability set (moby oci/caps).
const std::vector<std::string> kDefaultCaps = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",           "CAP_MKNOD",      "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID",       "CAP_SETFCAP", "CAP_SETPCAP",         "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL",     "CAP_AUDIT_WRITE"};

// Every Linux capability, by number (capability.h up to CAP_CHECKPOINT_RESTORE).
const std::vector<std::string> kAllCaps = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",        "CAP_FSETID",
    "CAP_KILL",           "CAP_SETGID",       "CAP_SETUID",          "CAP_SETPCAP",       "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",    "CAP_NET_RAW",       "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",      "CAP_SYS_MODULE",   "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",    "CAP_SYS_BOOT",        "CAP_SYS_NICE",      "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",         "CAP_LEASE",         "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",  "CAP_SETFCAP",      "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",     "CAP_SYSLOG",
    "CAP_WAKE_ALARM",     "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",     "CAP_PERFMON",       "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"};

const std::vector<std::string> kMaskedPaths = {
    "/proc/asound",     "/proc/acpi",       "/proc/kcore",  "/proc/keys",   "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/devices/virtual/powercap"};
const std::vector<std::string> kReadonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};

void set(json_t* o, const char* k, json_t* v) { json_object_set_new(o, k, v); }
void set_str(json_t* o, const char* k, const std::string& v) { set(o, k, json::str(v)); }
json_t* strings(const std::vector<std::string>& v) { return json::string_array(v); }
// Unsigned values above INT64_MAX (RLIM_INFINITY) through json::dump's "#u64:" form.
json_t* u64(uint64_t v) {
  return v > static_cast<uint64_t>(INT64_MAX) ? json::str("#u64:" + std::to_string(v))
                                              : json_integer(static_cast<json_int_t>(v));
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::string env_key(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// moby's ReplaceOrAppendEnvValues: overrides replace by key in place, new
// keys are appended, a bare "KEY" removes KEY.
void replace_or_append(std::vector<std::string>& env, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    std::string key = env_key(o);
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return env_key(e) == key; });
    if (o.find('=') == std::string::npos) {
      if (it != env.end()) env.erase(it);
    } else if (it != env.end()) {
      *it = o;
    } else {
      env.push_back(o);
    }
  }
}

// The image config's members (all optional).
struct Image {
  std::optional<std::vector<std::string>> entrypoint, cmd;
  std::vector<std::string> env;
  std::string workdir, user, stop_signal;
  std::map<std::string, std::string> labels;
  const json_t* healthcheck = nullptr;
};

Image read_image(const json_t* c) {
  Image im;
  if (!c) return im;
  auto list = [&](const char* k) -> std::optional<std::vector<std::string>> {
    const json_t* v = json_object_get(c, k);
    if (!json_is_array(v)) return std::nullopt;
    return json::strings_of(v);
  };
  im.entrypoint = list("Entrypoint");
  im.cmd = list("Cmd");
  im.env = list("Env").value_or(std::vector<std::string>{});
  im.workdir = json::string_of(c, "WorkingDir");
  im.user = json::string_of(c, "User");
  im.stop_signal = json::string_of(c, "StopSignal");
  if (const json_t* l = json_object_get(c, "Labels"); json_is_object(l)) {
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(l), k, v) {
      if (json_is_string(v)) im.labels[k] = json_string_value(v);
    }
  }
  const json_t* h = json_object_get(c, "Healthcheck");
  im.healthcheck = json_is_object(h) ? h : nullptr;
  return im;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "net_admin" / "NET_ADMIN" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "ALL" stays.
Result<std::string> normalize_cap(const std::string& name) {
  std::string u = upper(name);
  if (u == "ALL") return u;
  if (!starts_with(u, "CAP_")) u = "CAP_" + u;
  if (!contains(kAllCaps, u)) return invalid("unknown capability: \"" + u + "\"");
  return u;
}

// moby's TweakCapabilities.
Result<std::vector<std::string>> capabilities(const RunOptions& o, const std::vector<std::string>& host) {
  auto grantable = [&](const std::string& c) { return host.empty() || contains(host, c); };
  std::vector<std::string> caps;
  auto push = [&](const std::string& c) {
    if (c != "ALL" && grantable(c) && !contains(caps, c)) caps.push_back(c);
  };
  if (o.privileged) {
    for (const auto& c : kAllCaps) push(c);
    return caps;
  }
  std::vector<std::string> add, drop;
  for (const auto& c : o.cap_add) {
    ASSIGN_OR_RETURN(std::string n, normalize_cap(c));
    if (n != "ALL" && !grantable(n))
      return invalid("--cap-add " + c + ": " + n + " is not in this host's capability bounding set, so no container "
                     "can have it");
    add.push_back(n);
  }
  for (const auto& c : o.cap_drop) {
    ASSIGN_OR_RETURN(std::string n, normalize_cap(c));
    drop.push_back(n);
  }
  if (contains(add, "ALL")) {
    for (const auto& c : kAllCaps)
      if (!contains(drop, c)) push(c);
  } else if (contains(drop, "ALL")) {
    for (const auto& c : add) push(c);
  } else {
    for (const auto& c : kDefaultCaps)
      if (!contains(drop, c)) push(c);
    for (const auto& c : add) push(c);
  }
  return caps;
}

json_t* mount(const std::string& dest, const std::string& type, const std::string& source,
              const std::vector<std::string>& options) {
  json_t* m = json_object();
  set_str(m, "destination", dest);
  set_str(m, "type", type);
  set_str(m, "source", source);
  set(m, "options", strings(options));
  return m;
}

size_t depth(const std::string& p) {
  return static_cast<size_t>(std::count(p.begin(), p.end(), '/')) - (p.size() > 1 && p.back() == '/' ? 1 : 0);
}

// docker's tmpfs options: noexec,nosuid,nodev,rprivate first, the user's
// after; later ones win for flag pairs and key=value options.
std::vector<std::string> merge_tmpfs_options(const std::vector<std::string>& user) {
  static const std::vector<std::pair<std::string, std::string>> kPairs = {
      {"exec", "noexec"}, {"suid", "nosuid"}, {"dev", "nodev"}, {"atime", "noatime"}, {"diratime", "nodiratime"},
      {"relatime", "norelatime"}, {"strictatime", "nostrictatime"}};
  std::vector<std::string> all = {"noexec", "nosuid", "nodev", "rprivate"};
  all.insert(all.end(), user.begin(), user.end());
  auto group = [&](const std::string& o) -> std::string {
    if (auto eq = o.find('='); eq != std::string::npos) return o.substr(0, eq + 1);
    for (const auto& [a, b] : kPairs)
      if (o == a || o == b) return a;
    if (o == "shared" || o == "rshared" || o == "slave" || o == "rslave" || o == "private" || o == "rprivate")
      return "propagation";
    return o;
  };
  std::vector<std::string> out;
  for (size_t i = all.size(); i-- > 0;) {
    std::string g = group(all[i]);
    if (std::none_of(out.begin(), out.end(), [&](const std::string& x) { return group(x) == g; }))
      out.insert(out.begin(), all[i]);
  }
  return out;
}

struct UserMount {
  std::string dest;
  json_t* spec;
};

struct UserMounts {
  std::vector<UserMount> list;
  UserMounts() = default;
  UserMounts(UserMounts&& other) noexcept : list(std::move(other.list)) { other.list.clear(); }
  UserMounts& operator=(UserMounts&&) = delete;
  ~UserMounts() {
    for (auto& m : list) json_decref(m.spec);
  }
};

Result<UserMounts> user_mounts(const SpecInputs& in) {
  const RunOptions& o = in.opts;
  UserMounts owned;
  std::vector<UserMount>& out = owned.list;
  size_t vol = 0;
  for (const auto& m : o.mounts) {
    if (m.type == "tmpfs") {
      std::vector<std::string> opts = merge_tmpfs_options(m.options);
      if (m.readonly) opts.push_back("ro");
      out.push_back({m.target, mount(m.target, "tmpfs", "tmpfs", opts)});
      continue;
    }
    std::string source = m.source;
    if (m.type == "volume") {
      if (vol >= in.volume_sources.size())
        return invalid("volume for \"" + m.target + "\" has no host directory (volume_sources has " +
                       std::to_string(in.volume_sources.size()) + " entries)");
      source = in.volume_sources[vol++];
    }
    std::vector<std::string> opts = {contains(m.options, "nonrecursive") ? "bind" : "rbind"};
    std::string propagation = "rprivate";
    for (const auto& x : m.options)
      if (x == "shared" || x == "rshared" || x == "slave" || x == "rslave" || x == "private" || x == "rprivate")
        propagation = x;
    opts.push_back(propagation);
    if (m.readonly) opts.push_back("ro");
    out.push_back({m.target, mount(m.target, "bind", source, opts)});
  }
  return owned;
}

Result<json_t*> namespaces(const SpecInputs& in) {
  const RunOptions& o = in.opts;
  json::Ptr ns(json_array());
  auto add = [&](const char* type, const std::string& mode, const char* key) -> Status {
    if (mode == "host") return {};
    json_t* n = json_pack("{s:s}", "type", type);
    json_array_append_new(ns.get(), n);
    // A path from the engine: another container's namespace, or the
    // network namespace the engine pins before start (network/netns.h).
    auto it = in.joined_namespaces.find(key);
    if (it != in.joined_namespaces.end() && !it->second.empty()) set_str(n, "path", it->second);
    else if (starts_with(mode, "container:"))
      return invalid(std::string(key) + " namespace \"" + mode + "\": no path given by the engine");
    return {};
  };
  TRY(add("pid", o.pid_ns, "pid"));
  TRY(add("ipc", o.ipc_ns, "ipc"));
  TRY(add("uts", o.uts_ns, "uts"));
  TRY(add("mount", "", "mount"));
  TRY(add("network", o.network, "network"));
  // A private cgroup namespace, docker's default on cgroup v2 (its v1
  // default is the host's; a private one works there too from Linux 4.6).
  TRY(add("cgroup", o.cgroupns == "host" ? "host" : "", "cgroup"));
  return ns.release();
}

// docker's namespaced sysctls: IPC ones need a private ipc namespace,
// net.* a private network namespace, kernel.{host,domain}name the uts one.
Status check_sysctl(const RunOptions& o, const std::string& k) {
  static const std::set<std::string> kIpc = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                             "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                             "kernel.shm_rmid_forced"};
  if (kIpc.count(k) || starts_with(k, "fs.mqueue.")) {
    if (o.ipc_ns == "host") return invalid("sysctl '" + k + "' is not allowed in the host IPC namespace");
    return {};
  }
  if (starts_with(k, "net.")) {
    if (o.network == "host") return invalid("sysctl '" + k + "' is not allowed in the host network namespace");
    if (starts_with(o.network, "container:"))
      return invalid("sysctl '" + k + "' is not allowed in a joined network namespace");
    return {};
  }
  if (k == "kernel.hostname" || k == "kernel.domainname") {
    if (o.uts_ns == "host") return invalid("sysctl '" + k + "' is not allowed in the host UTS namespace");
    return {};
  }
  return invalid("sysctl '" + k + "' is not allowed");
}

Result<DeviceInfo> stat_dev(const SpecInputs& in, const std::string& path, const char* why) {
  if (!in.stat_device) return invalid(std::string(why) + " \"" + path + "\": the engine gave no device lookup");
  auto d = in.stat_device(path);
  if (!d.ok()) return std::move(d).error().context(std::string(why) + " \"" + path + "\"");
  if (d->type != "c" && d->type != "b") return invalid(std::string(why) + " \"" + path + "\": not a device");
  return d;
}

json_t* device_rule(bool allow, const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                    const std::string& access) {
  json_t* r = json_object();
  set(r, "allow", json_boolean(allow));
  if (type) set_str(r, "type", type);
  if (major) set(r, "major", json_integer(*major));
  if (minor) set(r, "minor", json_integer(*minor));
  set_str(r, "access", access);
  return r;
}

json_t* linux_device(const std::string& path, const DeviceInfo& info) {
  json_t* d = json_object();
  set_str(d, "path", path);
  set_str(d, "type", info.type);
  set(d, "major", json_integer(info.major));
  set(d, "minor", json_integer(info.minor));
  set(d, "fileMode", json_integer(info.file_mode));
  set(d, "uid", json_integer(info.uid));
  set(d, "gid", json_integer(info.gid));
  return d;
}

Result<json_t*> resources(const SpecInputs& in, json_t* linux_devices) {
  const RunOptions& o = in.opts;
  json::Ptr r(json_object());
  json_t* devs = json_array();
  set(r.get(), "devices", devs);
  if (o.privileged) {
    json_array_append_new(devs, device_rule(true, nullptr, std::nullopt, std::nullopt, "rwm"));
  } else {
    // moby's default device cgroup: deny all, allow the standard nodes
    // (null, zero, full, random, urandom, tty, console), deny fuse. The
    // runtime appends the pty and mknod rules itself.
    json_array_append_new(devs, device_rule(false, nullptr, std::nullopt, std::nullopt, "rwm"));
    for (auto [maj, min] : {std::pair{1, 5}, {1, 3}, {1, 9}, {1, 8}, {5, 0}, {5, 1}, {1, 7}})
      json_array_append_new(devs, device_rule(true, "c", maj, min, "rwm"));
    json_array_append_new(devs, device_rule(false, "c", 10, 229, "rwm"));
  }
  // --privileged: every host device at its own path (docker walks /dev);
  // a --device for the same path replaces it below.
  if (o.privileged) {
    for (const auto& [path, info] : in.host_devices) {
      bool named = std::any_of(o.devices.begin(), o.devices.end(),
                               [&, &path = path](const DeviceOption& d) { return d.container == path; });
      if (named) continue;
      json_array_append_new(linux_devices, linux_device(path, info));
    }
  }
  for (const auto& d : o.devices) {
    std::vector<std::pair<std::string, DeviceInfo>> nodes;  // container path, device
    if (auto one = in.stat_device ? in.stat_device(d.host) : Result<DeviceInfo>(Error::plain(ENOENT, ""));
        !one.ok() && one.error().code() == EISDIR && in.list_devices) {
      // A directory: every device node below it, at the same place under
      // the container path (docker's --device /dev/snd).
      std::string prefix = d.host;
      while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
      for (auto& [path, info] : in.list_devices(prefix))
        nodes.emplace_back(d.container + path.substr(prefix.size()), info);
      if (nodes.empty()) return invalid("device \"" + d.host + "\": the directory holds no device nodes");
    } else {
      ASSIGN_OR_RETURN(DeviceInfo info, stat_dev(in, d.host, "device"));
      nodes.emplace_back(d.container, info);
    }
    for (const auto& [path, info] : nodes) {
      json_array_append_new(linux_devices, linux_device(path, info));
      if (!o.privileged)
        json_array_append_new(devs, device_rule(true, info.type.c_str(), info.major, info.minor, d.permissions));
    }
  }
  if (o.memory || o.memory_swap || o.memory_reservation) {
    json_t* m = json_object();
    if (o.memory) set(m, "limit", json_integer(o.memory));
    if (o.memory_reservation) set(m, "reservation", json_integer(o.memory_reservation));
    // memory+swap; docker's default is twice the memory limit.
    int64_t swap = o.memory_swap ? o.memory_swap : (o.memory ? 2 * o.memory : 0);
    if (swap) set(m, "swap", json_integer(swap));
    set(r.get(), "memory", m);
  }
  if (o.cpu_shares || o.cpu_quota || o.cpu_period || !o.cpuset_cpus.empty()) {
    json_t* c = json_object();
    if (o.cpu_shares) set(c, "shares", json_integer(static_cast<json_int_t>(o.cpu_shares)));
    if (o.cpu_quota) set(c, "quota", json_integer(o.cpu_quota));
    if (o.cpu_period) set(c, "period", json_integer(o.cpu_period));
    if (!o.cpuset_cpus.empty()) set_str(c, "cpus", o.cpuset_cpus);
    set(r.get(), "cpu", c);
  }
  // docker: 0 or below means unlimited (-1 for the runtime).
  if (o.pids_limit) set(r.get(), "pids", json_pack("{s:I}", "limit", (json_int_t)(o.pids_limit < 0 ? -1 : o.pids_limit)));
  bool blkio = o.blkio_weight || !o.device_read_bps.empty() || !o.device_write_bps.empty() ||
               !o.device_read_iops.empty() || !o.device_write_iops.empty();
  if (blkio) {
    json_t* b = json_object();
    if (o.blkio_weight) set(b, "weight", json_integer(o.blkio_weight));
    const std::pair<const char*, const std::vector<ThrottleDevice>*> lists[] = {
        {"throttleReadBpsDevice", &o.device_read_bps},
        {"throttleWriteBpsDevice", &o.device_write_bps},
        {"throttleReadIOPSDevice", &o.device_read_iops},
        {"throttleWriteIOPSDevice", &o.device_write_iops}};
    set(r.get(), "blockIO", b);
    for (const auto& [key, list] : lists) {
      if (list->empty()) continue;
      json_t* a = json_array();
      set(b, key, a);
      for (const auto& t : *list) {
        ASSIGN_OR_RETURN(DeviceInfo info, stat_dev(in, t.path, "throttle device"));
        if (info.type != "b") return invalid("throttle device \"" + t.path + "\": not a block device");
        json_t* e = json_object();
        set(e, "major", json_integer(info.major));
        set(e, "minor", json_integer(info.minor));
        set(e, "rate", u64(t.rate));
        json_array_append_new(a, e);
      }
    }
  }
  return r.release();
}

// Image healthcheck merged with the flags (moby's merge: each flag value
// that is set wins, the image's fills the rest).
void healthcheck(const Image& im, const RunOptions& o, ContainerSpec& out) {
  std::optional<std::vector<std::string>> test = o.health_test;
  int64_t interval = o.health_interval, timeout = o.health_timeout, start = o.health_start_period;
  int retries = o.health_retries;
  if (const json_t* h = im.healthcheck) {
    if (!test) {
      const json_t* t = json_object_get(h, "Test");
      if (json_is_array(t) && json_array_size(t) > 0) test = json::strings_of(t);
    }
    auto num = [&](const char* k) { return json_integer_value(json_object_get(h, k)); };
    if (!interval) interval = num("Interval");
    if (!timeout) timeout = num("Timeout");
    if (!start) start = num("StartPeriod");
    if (!retries) retries = static_cast<int>(num("Retries"));
  }
  if (!test || test->empty() || (*test)[0] == "NONE") return;
  out.health_test = test;
  out.health_interval = interval > 0 ? interval : 30 * kSecond;
  out.health_timeout = timeout > 0 ? timeout : 30 * kSecond;
  out.health_start_period = start > 0 ? start : 0;
  out.health_retries = retries > 0 ? retries : 3;
}

std::string rlimit_type(const std::string& name) { return "RLIMIT_" + upper(name); }

}  // namespace

const std::vector<std::string>& all_capabilities() { return kAllCaps; }

std::vector<std::string> anonymous_volume_targets(const json_t* image_config, const RunOptions& opts) {
  std::vector<std::string> out;
  const json_t* vols = image_config ? json_object_get(image_config, "Volumes") : nullptr;
  if (!json_is_object(vols)) return out;
  const char* k;
  json_t* v;
  json_object_foreach(const_cast<json_t*>(vols), k, v) {
    std::string path = k;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path.empty() || path[0] != '/') continue;
    bool covered = std::any_of(opts.mounts.begin(), opts.mounts.end(),
                               [&](const MountOption& m) { return m.target == path; });
    if (!covered && !contains(out, path)) out.push_back(path);
  }
  return out;
}

Result<ContainerSpec> build_spec(const SpecInputs& in) {
  const RunOptions& o = in.opts;
  Image im = read_image(in.image_config);
  ContainerSpec out;

  // Args: moby's merge. A --entrypoint (even "") replaces the image's and
  // drops the image's Cmd; without one, the image's Cmd fills an empty command.
  std::vector<std::string> entrypoint, cmd = o.command;
  if (o.entrypoint) {
    if (!o.entrypoint->empty()) entrypoint = {*o.entrypoint};
  } else {
    entrypoint = im.entrypoint.value_or(std::vector<std::string>{});
    if (cmd.empty()) cmd = im.cmd.value_or(std::vector<std::string>{});
  }
  out.args = entrypoint;
  out.args.insert(out.args.end(), cmd.begin(), cmd.end());
  if (out.args.empty()) return invalid("no command specified");

  // Hostname: -h, else the host's when sharing its uts or network, else the id's first 12.
  bool host_uts = o.uts_ns == "host";
  std::string hostname = o.hostname;
  if (hostname.empty() && (host_uts || o.network == "host")) hostname = in.host_hostname;
  if (hostname.empty()) hostname = in.id.substr(0, 12);

  // Env.
  std::vector<std::string> config_env = im.env;
  replace_or_append(config_env, o.env);
  out.env = {std::string("PATH=") + kDefaultPath};
  if (!hostname.empty()) out.env.push_back("HOSTNAME=" + hostname);
  if (o.tty) out.env.push_back("TERM=xterm");
  replace_or_append(out.env, config_env);

  // Working directory.
  out.workdir = !o.workdir.empty() ? o.workdir : !im.workdir.empty() ? im.workdir : "/";
  if (out.workdir[0] != '/')
    return invalid("the working directory '" + out.workdir + "' is invalid, it needs to be an absolute path");

  // User.
  out.user = !o.user.empty() ? o.user : im.user;
  auto read_optional = [&](const char* path) -> Result<std::optional<std::string>> {
    if (!in.read_image_file) return std::optional<std::string>();
    auto r = in.read_image_file(path);
    if (r.ok()) return std::optional<std::string>(std::move(*r));
    if (r.error().code() == ENOENT) return std::optional<std::string>();
    return std::move(r).error().context(std::string("read the image's ") + path);
  };
  ASSIGN_OR_RETURN(auto passwd, read_optional("/etc/passwd"));
  std::optional<std::string> group;
  if (out.user.find(':') != std::string::npos || passwd) {
    ASSIGN_OR_RETURN(group, read_optional("/etc/group"));
  }
  ASSIGN_OR_RETURN(ExecUser user, resolve_exec_user(out.user, passwd, group));

  // Stop signal, labels, health, anonymous volumes.
  out.stop_signal = !o.stop_signal.empty() ? o.stop_signal : !im.stop_signal.empty() ? im.stop_signal : "SIGTERM";
  out.labels = im.labels;
  for (const auto& [k, v] : o.labels) out.labels[k] = v;
  healthcheck(im, o, out);
  out.anonymous_volumes = anonymous_volume_targets(in.image_config, o);
  if (out.anonymous_volumes.size() != in.anonymous_sources.size())
    return invalid("the image declares " + std::to_string(out.anonymous_volumes.size()) +
                   " anonymous volumes but the engine made " + std::to_string(in.anonymous_sources.size()));

  ASSIGN_OR_RETURN(std::vector<std::string> caps, capabilities(o, in.host_caps));

  json::Ptr spec(json_object());
  json_t* s = spec.get();
  set_str(s, "ociVersion", "1.0.2");

  // process
  json_t* proc = json_object();
  set(s, "process", proc);
  set(proc, "terminal", json_boolean(o.tty));
  json_t* ju = json_object();
  set(ju, "uid", json_integer(user.uid));
  set(ju, "gid", json_integer(user.gid));
  if (!user.sgids.empty()) {
    json_t* g = json_array();
    for (uint32_t id : user.sgids) json_array_append_new(g, json_integer(id));
    set(ju, "additionalGids", g);
  }
  set(proc, "user", ju);
  std::vector<std::string> args = out.args;
  if (o.init) {
    if (in.init_binary.empty()) return invalid("--init: the engine has no init binary");
    args.insert(args.begin(), {"/.hutch-init", "--"});
  }
  set(proc, "args", strings(args));
  set(proc, "env", strings(out.env));
  set_str(proc, "cwd", out.workdir);
  // Inheritable and ambient stay empty (moby since CVE-2022-24769): a
  // non-root user keeps no capability across execve.
  json_t* jc = json_object();
  set(jc, "bounding", strings(caps));
  set(jc, "effective", strings(caps));
  set(jc, "permitted", strings(caps));
  set(proc, "capabilities", jc);
  // rlimits: --ulimit, with docker's (containerd's) RLIMIT_NOFILE default.
  {
    std::vector<Ulimit> ul = o.ulimits;
    auto has = [&](const char* n) {
      return std::any_of(ul.begin(), ul.end(), [&](const Ulimit& u) { return u.name == n; });
    };
    if (!has("nofile"))
      ul.insert(ul.begin(), Ulimit{"nofile", static_cast<int64_t>(in.default_nofile.first),
                                   static_cast<int64_t>(in.default_nofile.second)});
    json_t* rl = json_array();
    std::set<std::string> seen;
    for (auto it = ul.rbegin(); it != ul.rend(); ++it) {  // the last --ulimit of a name wins
      if (!seen.insert(it->name).second) continue;
      auto lim = [](int64_t v) { return v < 0 ? UINT64_MAX : static_cast<uint64_t>(v); };
      json_t* e = json_object();
      set_str(e, "type", rlimit_type(it->name));
      set(e, "hard", u64(lim(it->hard)));
      set(e, "soft", u64(lim(it->soft)));
      json_array_insert_new(rl, 0, e);
    }
    set(proc, "rlimits", rl);
  }
  if (o.no_new_privileges) set(proc, "noNewPrivileges", json_true());
  if (o.oom_score_adj) set(proc, "oomScoreAdj", json_integer(*o.oom_score_adj));

  // root, hostname
  set(s, "root", json_pack("{s:s, s:b}", "path", in.rootfs.c_str(), "readonly", o.read_only));
  if (!host_uts) set_str(s, "hostname", hostname);

  // mounts: docker's defaults minus those a user mount replaces, then the
  // user's, the init binary and the network files, parents before children.
  ASSIGN_OR_RETURN(UserMounts owned, user_mounts(in));
  std::vector<UserMount>& extra = owned.list;
  for (size_t i = 0; i < out.anonymous_volumes.size(); ++i)
    extra.push_back({out.anonymous_volumes[i], mount(out.anonymous_volumes[i], "bind", in.anonymous_sources[i],
                                                     {"rbind", "rprivate"})});
  if (o.init) extra.push_back({"/.hutch-init", mount("/.hutch-init", "bind", in.init_binary, {"bind", "ro"})});
  auto covered = [&](const std::string& d) {
    return std::any_of(extra.begin(), extra.end(), [&](const UserMount& m) { return m.dest == d; });
  };
  const std::pair<const char*, const std::string*> files[] = {
      {"/etc/resolv.conf", &in.resolv_file}, {"/etc/hostname", &in.hostname_file}, {"/etc/hosts", &in.hosts_file}};
  for (const auto& [dest, src] : files) {
    if (src->empty() || covered(dest)) continue;
    std::vector<std::string> opts = {"rbind", "rprivate"};
    if (o.read_only) opts.push_back("ro");
    extra.push_back({dest, mount(dest, "bind", *src, opts)});
  }
  std::stable_sort(extra.begin(), extra.end(),
                   [](const UserMount& a, const UserMount& b) { return depth(a.dest) < depth(b.dest); });
  json_t* mounts = json_array();
  set(s, "mounts", mounts);
  {
    std::string sys_mode = o.privileged ? "rw" : "ro";
    bool no_shm = o.ipc_ns == "none";
    std::string shm = "size=" + std::to_string(o.shm_size);
    struct Default {
      const char* dest;
      json_t* m;
    };
    std::vector<Default> defaults = {
        {"/proc", mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"})},
        {"/dev", mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"})},
        {"/dev/pts", mount("/dev/pts", "devpts", "devpts",
                           {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"})},
        {"/sys", mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", sys_mode})},
        {"/sys/fs/cgroup", mount("/sys/fs/cgroup", "cgroup", "cgroup", {sys_mode, "nosuid", "noexec", "nodev"})},
        {"/dev/mqueue", mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"})},
        {"/dev/shm", o.ipc_ns == "host"       ? mount("/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate"})
                     : !in.shared_shm.empty() ? mount("/dev/shm", "bind", in.shared_shm, {"rbind", "rprivate"})
                                              : mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", shm})},
    };
    bool user_dev = covered("/dev");
    for (auto& d : defaults) {
      std::string dest = d.dest;
      bool drop = covered(dest) || (user_dev && starts_with(dest, "/dev/")) || (no_shm && dest == "/dev/shm");
      if (drop) json_decref(d.m);
      else json_array_append_new(mounts, d.m);
    }
  }
  for (auto& m : extra) json_array_append_new(mounts, m.spec);
  extra.clear();

  // linux
  json_t* lin = json_object();
  set(s, "linux", lin);
  json_t* devices = json_array();
  set(lin, "devices", devices);
  ASSIGN_OR_RETURN(json_t* res, resources(in, devices));
  set(lin, "resources", res);
  ASSIGN_OR_RETURN(json_t* ns, namespaces(in));
  set(lin, "namespaces", ns);
  if (!o.sysctls.empty()) {
    json_t* sc = json_object();
    set(lin, "sysctl", sc);
    for (const auto& [k, v] : o.sysctls) {
      TRY(check_sysctl(o, k));
      set_str(sc, k.c_str(), v);
    }
  }
  if (!o.privileged) {
    set(lin, "maskedPaths", strings(kMaskedPaths));
    set(lin, "readonlyPaths", strings(kReadonlyPaths));
  }
  // seccomp: none for --privileged or "unconfined", else docker's default
  // or the named profile, filtered by our bounding set and architecture.
  if (!o.privileged && o.seccomp != "unconfined") {
    seccomp::Profile custom;
    const seccomp::Profile* profile = &seccomp::default_profile();
    if (!o.seccomp.empty()) {
      std::ifstream f(o.seccomp, std::ios::binary);
      if (!f) return Error(errno, "open seccomp profile \"" + o.seccomp + "\"");
      std::ostringstream text;
      text << f.rdbuf();
      ASSIGN_OR_RETURN(custom, seccomp::parse_profile(text.str(), o.seccomp));
      profile = &custom;
    }
    ASSIGN_OR_RETURN(json::Ptr sec, seccomp::to_oci(*profile, caps, seccomp::native_arch(), in.kernel));
    set(lin, "seccomp", sec.release());
  }

  out.spec = std::move(spec);
  return out;
}

}  // namespace hutch::engine
