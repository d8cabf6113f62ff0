// What `hutch create` / `hutch run` were asked for: docker's flags, parsed
// and validated into typed values (sizes in bytes, durations in ns), before
// any image is looked at. Every malformed value is an EINVAL error that
// names the flag and the value ("invalid argument \"12x\" for \"-m, --memory\"
// flag: invalid size: '12x'"). Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "network/ports.h"

namespace hutch::engine {

struct MountOption {
  std::string type;     // "bind", "volume", "tmpfs"
  std::string source;   // host path (bind), volume name ("" = anonymous), "" for tmpfs
  std::string target;   // absolute path in the container
  bool readonly = false;
  std::vector<std::string> options;  // extra: "rprivate", "z", "nocopy", tmpfs "size=64m", "mode=1777", ...
                                     // "nonrecursive" (bind-nonrecursive: "bind" instead of "rbind")
  bool create_host_dir = false;      // -v binds: docker creates a missing source dir; --mount refuses it
};

struct DeviceOption {  // --device /dev/host[:/dev/container][:rwm]
  std::string host, container, permissions = "rwm";
};

struct Ulimit {  // --ulimit nofile=1024:2048
  std::string name;  // "nofile"; mapped to RLIMIT_NOFILE by the spec builder
  int64_t soft = 0, hard = 0;
};

struct ThrottleDevice {  // --device-read-bps /dev/sda:1mb
  std::string path;
  uint64_t rate = 0;
};

struct RunOptions {
  // What to run.
  std::string image;
  std::vector<std::string> command;           // after the image name
  std::optional<std::string> entrypoint;       // --entrypoint ("" clears the image's)
  std::string name;
  std::vector<std::string> env;                // -e, --env-file, in order (KEY=VAL, or KEY taken from our env)
  std::string workdir, user, hostname;
  std::map<std::string, std::string> labels;   // -l, --label-file
  std::string platform;                        // --platform
  std::string pull = "missing";                // missing | always | never
  std::string runtime;                         // --runtime ("" = configured default)
  bool quiet = false;                          // -q: no pull progress
  // Terminal and attach.
  bool detach = false, interactive = false, tty = false, auto_remove = false;
  std::string detach_keys;                     // "" = ctrl-p,ctrl-q
  std::vector<std::string> attach;             // -a stdout|stderr|stdin
  // Storage.
  std::vector<MountOption> mounts;             // -v, --mount, --tmpfs, in order
  bool read_only = false;
  uint64_t shm_size = 64 << 20;
  // Restart and health.
  std::string restart = "no";                  // no | on-failure | always | unless-stopped
  int restart_max = 0;                         // on-failure:N
  std::optional<std::vector<std::string>> health_test;  // --health-cmd -> {"CMD-SHELL", cmd}; --no-healthcheck -> {"NONE"}
  int64_t health_interval = 0, health_timeout = 0, health_start_period = 0;  // ns; 0 = image's or docker default
  int health_retries = 0;                      // 0 = image's or default 3
  std::string health_on_failure = "none";      // none | kill | restart
  // Security.
  bool init = false, privileged = false, no_new_privileges = false;
  std::vector<std::string> cap_add, cap_drop;  // "NET_ADMIN" or "CAP_NET_ADMIN", "ALL"
  std::string seccomp;                         // "" = default profile, "unconfined", or a file path
  // Limits (0 / empty = not set).
  int64_t memory = 0, memory_swap = 0, memory_reservation = 0;  // bytes; memory_swap -1 = unlimited
  int64_t cpu_quota = 0, cpu_period = 0;       // from --cpus (period 100000)
  uint64_t cpu_shares = 0;
  std::string cpuset_cpus;
  int64_t pids_limit = 0;                      // -1 = unlimited
  std::vector<Ulimit> ulimits;
  std::vector<DeviceOption> devices;
  std::vector<ThrottleDevice> device_read_bps, device_write_bps, device_read_iops, device_write_iops;
  uint16_t blkio_weight = 0;
  std::map<std::string, std::string> sysctls;
  std::optional<int> oom_score_adj;
  // Stop.
  std::string stop_signal;                     // "" = image's or SIGTERM
  std::optional<int> stop_timeout;             // seconds
  // Logging (--log-opt): max-size, max-file, path, rate.
  std::map<std::string, std::string> log_opts;
  std::string log_driver;                      // "" = default file log; "json-file", "k8s-file", "local", "none"
  std::string cidfile;                         // --cidfile: write the id there
  bool sig_proxy = true;                       // --sig-proxy
  // Namespaces: "" = private; "host"; "container:<ref>".
  std::string pid_ns, ipc_ns, uts_ns;
  // Networking. network: "" (the default: docker's default bridge network,
  // as "bridge"), "bridge", "none", "host", "container:<ref>", or the name
  // of a user network ("default" is read as "bridge").
  std::string network = "";
  std::vector<std::string> network_aliases;    // --network-alias, --net-alias (user networks only)
  std::string ip;                              // --ip: IPv4 on a user network ("" = assigned)
  std::string mac_address;                     // --mac-address, lower case "02:42:ac:11:00:02" ("" = generated)
  std::vector<std::string> dns, dns_search, dns_options;  // --dns, --dns-search ("." = none), --dns-option/--dns-opt
  std::vector<std::string> add_hosts;          // --add-host as docker's ExtraHosts: "name:ip" (or "name:host-gateway")
  network::PortBindings publish;               // -p: {"80/tcp": [{host_ip, host_port}]}; empty with network host
  bool publish_all = false;                    // -P: every exposed port to a random host port
  std::set<std::string> expose;                // --expose, one port each: {"80/tcp", "8000/tcp", "8001/tcp"}
  // What docker prints as "WARNING: ..." on create (-p with --network
  // host: the ports are discarded); the CLI prints each on stderr.
  std::vector<std::string> warnings;
  // ipc_ns also takes "private", "shareable" (= new) and "none" (new, no /dev/shm).
  std::string cgroupns;                        // --cgroupns: "" / "private" = new; "host"
};

// Parsers for single flag values, shared with `update`. `flag` is shown as
// docker shows it in errors: "-m, --memory", "--shm-size".
Result<int64_t> parse_size(const std::string& flag, const std::string& value);  // "12m", "1g", "512" (bytes)
Result<int64_t> parse_duration(const std::string& flag, const std::string& value);  // "30s", "1m30s", "500ms" -> ns
Result<std::pair<int64_t, int64_t>> parse_cpus(const std::string& value);  // "1.5" -> {quota, period}
// As above against `ncpu` available CPUs (the other asks sysconf); "0" -> {0, 0} (not set).
Result<std::pair<int64_t, int64_t>> parse_cpus(const std::string& value, int ncpu);
Result<std::pair<std::string, int>> parse_restart(const std::string& value);  // "on-failure:3" -> {"on-failure", 3}
Result<Ulimit> parse_ulimit(const std::string& value);
Result<MountOption> parse_volume(const std::string& value);  // -v src:dst[:ro,...] or -v /anon
Result<MountOption> parse_mount(const std::string& value);   // --mount type=bind,source=...,target=...
Result<MountOption> parse_tmpfs(const std::string& value);   // --tmpfs /run:size=64m
Result<DeviceOption> parse_device(const std::string& value);
Result<ThrottleDevice> parse_throttle(const std::string& flag, const std::string& value);
// KEY=VAL lines of an env file (docker's rules: # comments, blank lines,
// bare KEY taken from our environment when set).
Result<std::vector<std::string>> read_env_file(const std::string& path);
// The same rules over text; `lookup` is getenv's shape (nullptr = unset).
Result<std::vector<std::string>> parse_env_file(const std::string& text, const std::string& name,
                                                const std::function<const char*(const std::string&)>& lookup);
// A signal name or number ("TERM", "SIGTERM", "15", "SIGRTMIN+3") -> "SIGTERM"
// ("SIGRTMIN+3" as given, real-time numbers as digits).
Result<std::string> parse_signal(const std::string& flag, const std::string& value);
// Network values. "invalid IPv4 address: x" (--ip), "x is not a valid mac
// address" (-> lower case, ':'-separated), "x is not a valid domain"
// (--dns-search; "." is valid and means none).
Result<std::string> parse_ipv4(const std::string& value);
Result<std::string> parse_mac_address(const std::string& value);
Result<std::string> parse_dns_search(const std::string& value);
// A user network: not "", "bridge", "default", "none", "host" nor "container:...".
bool is_user_network(const std::string& network);
// Config.ExposedPorts as docker computes it: the image's, --expose and
// every published container port.
std::set<std::string> exposed_ports_of(const std::set<std::string>& image_exposed, const RunOptions& o);
// HostConfig.PortBindings: -p, plus with -P a random host port for every
// exposed port not published otherwise. Empty unless the container has a
// network namespace of its own with a network (bridge or user network).
network::PortBindings port_bindings_of(const std::set<std::string>& exposed, const RunOptions& o);
// Cross-flag rules docker checks before creating (memory vs swap vs
// reservation, --rm with --restart, health durations, name syntax, network
// mode vs -p/--dns/--add-host/--mac-address/--ip/--network-alias, ...).
Status validate_run_options(const RunOptions& o);

}  // namespace hutch::engine
