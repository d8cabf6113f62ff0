#include "cli/run_flags.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

namespace hutch::cli {
namespace {

Result<engine::RunOptions> from(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"hutch", "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = parse_args(argv, 2, run_flag_specs(), true);
  if (!p.ok()) return std::move(p).error();
  return run_options_from(*p);
}

std::string error_of(const std::vector<std::string>& args) {
  auto r = from(args);
  return r.ok() ? "no error" : r.error().message();
}

TEST(RunFlags, TableHasDockerAliases) {
  std::map<std::string, std::string> alias;
  for (const auto& s : run_flag_specs()) {
    EXPECT_EQ(alias.count(s.name), 0u) << "duplicate " << s.name;
    alias[s.name] = s.alias;
  }
  std::map<std::string, std::string> want = {{"detach", "d"}, {"interactive", "i"}, {"tty", "t"},  {"env", "e"},
                                             {"volume", "v"}, {"workdir", "w"},     {"user", "u"}, {"label", "l"},
                                             {"publish", "p"}, {"publish-all", "P"}, {"hostname", "h"},
                                             {"memory", "m"}, {"cpu-shares", "c"},  {"attach", "a"}};
  for (const auto& [name, a] : want) EXPECT_EQ(alias[name], a) << name;
}

TEST(RunFlags, Typical) {
  ::setenv("HUTCH_RUN_FLAGS_TEST", "from-host", 1);
  auto o = from({"-d", "--name", "web", "-e", "A=1", "-e", "HUTCH_RUN_FLAGS_TEST", "-e", "UNSET_HUTCH_X",
                 "-v", "/srv:/srv:ro", "--mount", "type=tmpfs,target=/cache", "--tmpfs", "/run:size=1m",
                 "-w", "/srv", "-u", "1000:1000", "-h", "box", "-l", "tier=web", "--restart", "on-failure:3",
                 "-m", "64mb", "--memory-swap=-1", "--cpus", "0.5", "--pids-limit", "50", "--ulimit", "nofile=10:20",
                 "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                 "--security-opt", "seccomp=unconfined", "--stop-signal", "INT", "--stop-timeout", "5",
                 "--health-cmd", "true", "--health-interval", "10s", "--init", "--read-only", "--network", "none",
                 "--log-opt", "max-size=1m", "--log-driver", "k8s-file", "--sysctl", "net.ipv4.ip_forward=1",
                 "nginx:alpine", "nginx", "-g", "daemon off;"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->image, "nginx:alpine");
  EXPECT_EQ(o->command, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  EXPECT_TRUE(o->detach && o->init && o->read_only && o->no_new_privileges);
  EXPECT_FALSE(o->auto_remove);
  EXPECT_EQ(o->name, "web");
  EXPECT_EQ(o->env, (std::vector<std::string>{"A=1", "HUTCH_RUN_FLAGS_TEST=from-host", "UNSET_HUTCH_X"}));
  ASSERT_EQ(o->mounts.size(), 3u);
  EXPECT_EQ(o->mounts[0].type, "bind");
  EXPECT_EQ(o->mounts[1].type, "tmpfs");
  EXPECT_EQ(o->mounts[2].target, "/run");
  EXPECT_EQ(o->workdir, "/srv");
  EXPECT_EQ(o->user, "1000:1000");
  EXPECT_EQ(o->hostname, "box");
  EXPECT_EQ(o->labels.at("tier"), "web");
  EXPECT_EQ(o->restart, "on-failure");
  EXPECT_EQ(o->restart_max, 3);
  EXPECT_EQ(o->memory, 64 << 20);
  EXPECT_EQ(o->memory_swap, -1);
  EXPECT_EQ(o->cpu_quota, 50000);
  EXPECT_EQ(o->cpu_period, 100000);
  EXPECT_EQ(o->pids_limit, 50);
  ASSERT_EQ(o->ulimits.size(), 1u);
  EXPECT_EQ(o->ulimits[0].hard, 20);
  EXPECT_EQ(o->cap_add, (std::vector<std::string>{"NET_ADMIN"}));
  EXPECT_EQ(o->cap_drop, (std::vector<std::string>{"ALL"}));
  EXPECT_EQ(o->seccomp, "unconfined");
  EXPECT_EQ(o->stop_signal, "SIGINT");
  EXPECT_EQ(*o->stop_timeout, 5);
  EXPECT_EQ(*o->health_test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(o->health_interval, 10'000'000'000);
  EXPECT_EQ(o->network, "none");
  EXPECT_EQ(o->log_opts.at("max-size"), "1m");
  EXPECT_EQ(o->log_driver, "k8s-file");
  EXPECT_EQ(o->sysctls.at("net.ipv4.ip_forward"), "1");
  EXPECT_FALSE(o->entrypoint);
}

TEST(RunFlags, CombinedShortFlagsAndImageStops) {
  auto o = from({"-it", "--rm", "busybox", "ls", "-l", "--name", "x"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_TRUE(o->interactive && o->tty && o->auto_remove);
  EXPECT_EQ(o->command, (std::vector<std::string>{"ls", "-l", "--name", "x"}));
  EXPECT_EQ(o->name, "");
  o = from({"--entrypoint", "", "busybox"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o->entrypoint, "");
  o = from({"--net", "host", "--pid", "host", "--ipc", "container:db", "--uts", "host", "alpine"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->network, "host");
  EXPECT_EQ(o->ipc_ns, "container:db");
  o = from({"--no-healthcheck", "-a", "STDOUT", "--pull", "never", "--privileged", "--device", "/dev/fuse", "alpine"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(*o->health_test, (std::vector<std::string>{"NONE"}));
  EXPECT_EQ(o->attach, (std::vector<std::string>{"stdout"}));
  EXPECT_EQ(o->pull, "never");
  EXPECT_EQ(o->devices.size(), 1u);
}

TEST(RunFlags, FilesAndRelativeSeccomp) {
  char dir[] = "/tmp/hutch-run-flags-XXXXXX";
  ASSERT_TRUE(::mkdtemp(dir));
  std::string env = std::string(dir) + "/env", labels = std::string(dir) + "/labels";
  std::ofstream(env) << "# x\nFROM_FILE=1\nA=file\n";
  std::ofstream(labels) << "team=core\nbare\n";
  auto o = from({"--env-file", env, "-e", "A=flag", "--label-file", labels, "-l", "team=edge", "--security-opt",
                 "seccomp=rel.json", "alpine"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->env, (std::vector<std::string>{"FROM_FILE=1", "A=file", "A=flag"}));
  EXPECT_EQ(o->labels, (std::map<std::string, std::string>{{"bare", ""}, {"team", "edge"}}));
  EXPECT_EQ(o->seccomp[0], '/');
  ::unlink(env.c_str());
  ::unlink(labels.c_str());
  ::rmdir(dir);
  EXPECT_EQ(from({"--env-file", env, "alpine"}).error().code(), ENOENT);
}

TEST(RunFlags, BadValues) {
  EXPECT_EQ(error_of({"--memory", "12x", "alpine"}),
            "invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'");
  EXPECT_EQ(error_of({"--restart", "sometimes", "alpine"}),
            "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or "
            "'unless-stopped'");
  std::string cpus = error_of({"--cpus", "-1", "alpine"});
  EXPECT_EQ(cpus.rfind("invalid argument \"-1\" for \"--cpus\" flag: range of CPUs is from 0.01 to ", 0), 0u) << cpus;
  EXPECT_EQ(error_of({"-v", "/a:rel", "alpine"}),
            "invalid argument \"/a:rel\" for \"-v, --volume\" flag: invalid mount config for type \"bind\": invalid "
            "mount path: 'rel' mount path must be absolute");
  EXPECT_EQ(error_of({"--ulimit", "bogus=1", "alpine"}),
            "invalid argument \"bogus=1\" for \"--ulimit\" flag: invalid ulimit type: bogus");
  EXPECT_EQ(error_of({"--health-interval", "5", "alpine"}),
            "invalid argument \"5\" for \"--health-interval\" flag: time: missing unit in duration \"5\"");
  EXPECT_EQ(error_of({"--no-healthcheck", "--health-cmd", "true", "alpine"}),
            "--no-healthcheck conflicts with --health-* options");
  EXPECT_EQ(error_of({"--rm", "--restart", "always", "alpine"}),
            "conflicting options: cannot specify both --restart and --rm");
  EXPECT_EQ(error_of({"-m", "1m", "alpine"}), "minimum memory limit allowed is 6MB");
  EXPECT_EQ(error_of({"--memory-swap", "1g", "alpine"}),
            "you should always set the memory limit when using memory swap limit, see usage");
  EXPECT_EQ(error_of({"--pull", "sometimes", "alpine"}),
            "invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\"");
  EXPECT_EQ(error_of({"-a", "stdweird", "alpine"}),
            "invalid argument \"stdweird\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR");
  EXPECT_EQ(error_of({"--stop-signal", "SIGNOPE", "alpine"}),
            "invalid argument \"SIGNOPE\" for \"--stop-signal\" flag: invalid signal: SIGNOPE");
  EXPECT_EQ(error_of({"--pid", "bogus", "alpine"}), "--pid: invalid PID mode");
  EXPECT_EQ(error_of({"--oom-score-adj", "2000", "alpine"}), "invalid value 2000, range for oom score adj is [-1000, 1000]");
  EXPECT_EQ(error_of({"-v", "/a:/x", "--tmpfs", "/x", "alpine"}), "duplicate mount point: /x");
  EXPECT_EQ(error_of({"--name", "no spaces", "alpine"}),
            "invalid container name (no spaces), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  EXPECT_EQ(error_of({"--stop-timeout", "soon", "alpine"}),
            "invalid argument \"soon\" for \"--stop-timeout\" flag: strconv.ParseInt: parsing \"soon\": invalid syntax");
  EXPECT_EQ(error_of({}), "requires at least 1 argument: IMAGE [COMMAND] [ARG...]");
  EXPECT_EQ(error_of({"--bogus", "alpine"}), "flag provided but not defined: -bogus");
}

TEST(RunFlags, Refused) {
  EXPECT_EQ(error_of({"--link", "db:db", "nginx"}),
            "hutch: --link is not supported (--link is a legacy docker feature; use a user network)");
  EXPECT_EQ(error_of({"--ip6", "2001:db8::2", "nginx"}), "hutch: --ip6 is not supported (hutch networks are IPv4 only)");
  EXPECT_EQ(error_of({"--link-local-ip", "169.254.1.1", "nginx"}), "hutch: --link-local-ip is not supported yet");
  EXPECT_EQ(error_of({"--gpus", "all", "nginx"}), "hutch: --gpus is not supported yet");
  EXPECT_EQ(error_of({"--isolation", "hyperv", "nginx"}), "hutch: --isolation is not supported (Windows only)");
  EXPECT_EQ(error_of({"--security-opt", "label=disable", "nginx"}),
            "hutch: --security-opt label is not supported (hutch has no SELinux support)");
  EXPECT_EQ(error_of({"--security-opt", "apparmor=unconfined", "nginx"}),
            "hutch: --security-opt apparmor is not supported (hutch has no AppArmor support)");
  EXPECT_EQ(error_of({"--security-opt", "bogus", "nginx"}), "invalid --security-opt: \"bogus\"");
  EXPECT_EQ(error_of({"--log-driver", "syslog", "nginx"}),
            "hutch: log driver \"syslog\" is not supported (json-file, k8s-file, local or none)");
  EXPECT_EQ(error_of({"--log-opt", "tag=x", "nginx"}),
            "unknown log opt 'tag' for the file log driver (max-size, max-file, path, rate)");
}

TEST(RunFlags, NetworkModes) {
  auto o = from({"nginx"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->network, "");  // docker's default bridge
  EXPECT_TRUE(o->publish.empty() && !o->publish_all && o->expose.empty() && o->warnings.empty());
  o = from({"--network", "bridge", "nginx"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->network, "bridge");
  o = from({"--net", "default", "nginx"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->network, "bridge");
  o = from({"--network", "mynet", "--network-alias", "web", "--net-alias", "www", "--ip", "10.89.0.10", "nginx"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->network, "mynet");
  EXPECT_EQ(o->network_aliases, (std::vector<std::string>{"web", "www"}));
  EXPECT_EQ(o->ip, "10.89.0.10");
}

TEST(RunFlags, Publish) {
  auto o = from({"-p", "8080:80", "--publish", "127.0.0.1::53/udp", "-p", "8000-8001:90-91", "-P", "--expose",
                 "7000-7001", "--expose", "9/udp", "nginx"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  network::PortBindings want = {{"80/tcp", {{"", "8080"}}},
                                {"53/udp", {{"127.0.0.1", ""}}},
                                {"90/tcp", {{"", "8000"}}},
                                {"91/tcp", {{"", "8001"}}}};
  EXPECT_EQ(o->publish, want);
  EXPECT_TRUE(o->publish_all);
  EXPECT_EQ(o->expose, (std::set<std::string>{"7000/tcp", "7001/tcp", "9/udp"}));
  EXPECT_EQ(error_of({"-p", "8080:x", "nginx"}), "invalid containerPort: x");
  EXPECT_EQ(error_of({"-p", "x:80", "nginx"}), "invalid hostPort: x");
  EXPECT_EQ(error_of({"-p", "80/icmp", "nginx"}), "invalid proto: icmp");
  EXPECT_EQ(error_of({"-p", "1.2.3:80:80", "nginx"}), "invalid IP address: 1.2.3");
  EXPECT_EQ(error_of({"-p", "8000-8001:80-82", "nginx"}),
            "invalid ranges specified for container and host Ports: 80-82 and 8000-8001");
  EXPECT_EQ(error_of({"--expose", "80:80", "nginx"}), "invalid port format for --expose: 80:80");
  EXPECT_EQ(from({"-p", "x", "nginx"}).error().code(), EINVAL);
}

TEST(RunFlags, PublishWithHostNetworkIsDiscarded) {
  auto o = from({"--network", "host", "-p", "80:80", "-P", "nginx"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_TRUE(o->publish.empty());
  EXPECT_FALSE(o->publish_all);
  EXPECT_EQ(o->warnings, (std::vector<std::string>{"Published ports are discarded when using host network mode"}));
}

TEST(RunFlags, DnsHostsMac) {
  auto o = from({"--dns", "1.1.1.1", "--dns", "2606:4700::1111", "--dns-search", "example.com", "--dns-search", ".",
                 "--dns-option", "ndots:2", "--dns-opt", "timeout:1", "--add-host", "db:10.0.0.5", "--add-host",
                 "gw=host-gateway", "--add-host", "v6:[::1]", "--mac-address", "92:D0:C6:0A:29:33", "nginx"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->dns, (std::vector<std::string>{"1.1.1.1", "2606:4700::1111"}));
  EXPECT_EQ(o->dns_search, (std::vector<std::string>{"example.com", "."}));
  EXPECT_EQ(o->dns_options, (std::vector<std::string>{"ndots:2", "timeout:1"}));
  EXPECT_EQ(o->add_hosts, (std::vector<std::string>{"db:10.0.0.5", "gw:host-gateway", "v6:::1"}));
  EXPECT_EQ(o->mac_address, "92:d0:c6:0a:29:33");
  EXPECT_EQ(error_of({"--dns", "one.one", "nginx"}),
            "invalid argument \"one.one\" for \"--dns\" flag: one.one is not an ip address");
  EXPECT_EQ(error_of({"--dns-search", "-bad-", "nginx"}),
            "invalid argument \"-bad-\" for \"--dns-search\" flag: -bad- is not a valid domain");
  EXPECT_EQ(error_of({"--add-host", "nocolon", "nginx"}),
            "invalid argument \"nocolon\" for \"--add-host\" flag: bad format for add-host: \"nocolon\"");
  EXPECT_EQ(error_of({"--add-host", "db:nope", "nginx"}),
            "invalid argument \"db:nope\" for \"--add-host\" flag: invalid IP address in add-host: \"nope\"");
  EXPECT_EQ(error_of({"--mac-address", "92:d0:c6:0a:29", "nginx"}), "92:d0:c6:0a:29 is not a valid mac address");
  EXPECT_EQ(error_of({"--network", "n1", "--ip", "10.0.0.300", "nginx"}), "invalid IPv4 address: 10.0.0.300");
  EXPECT_EQ(error_of({"--network", "n1", "--ip", "::1", "nginx"}), "invalid IPv4 address: ::1");
}

TEST(RunFlags, NetworkConflicts) {
  const std::string joined = "container:db";
  EXPECT_EQ(error_of({"--network", joined, "-p", "80:80", "nginx"}),
            "conflicting options: port publishing and the container type network mode");
  EXPECT_EQ(error_of({"--network", joined, "-P", "nginx"}),
            "conflicting options: port publishing and the container type network mode");
  EXPECT_EQ(error_of({"--network", joined, "--expose", "80", "nginx"}),
            "conflicting options: port exposing and the container type network mode");
  EXPECT_EQ(error_of({"--network", joined, "--dns", "1.1.1.1", "nginx"}),
            "conflicting options: dns and the network mode");
  EXPECT_EQ(error_of({"--network", joined, "--add-host", "a:1.2.3.4", "nginx"}),
            "conflicting options: custom host-to-IP mapping and the network mode");
  EXPECT_EQ(error_of({"--network", joined, "-h", "box", "nginx"}),
            "conflicting options: hostname and the network mode");
  EXPECT_EQ(error_of({"--network", joined, "--mac-address", "92:d0:c6:0a:29:33", "nginx"}),
            "conflicting options: mac-address and the network mode");
  EXPECT_EQ(error_of({"--network", "host", "--mac-address", "92:d0:c6:0a:29:33", "nginx"}),
            "conflicting options: mac-address and the network mode");
  EXPECT_EQ(error_of({"--network", "none", "-p", "80", "nginx"}),
            "conflicting options: port publishing and the none network mode");
  for (const char* net : {"bridge", "host", "none", "container:db"}) {
    EXPECT_EQ(error_of({"--network", net, "--network-alias", "a", "nginx"}),
              "network-scoped alias is supported only for containers in user defined networks")
        << net;
    EXPECT_EQ(error_of({"--network", net, "--ip", "10.0.0.2", "nginx"}),
              "user specified IP address is supported on user defined networks only")
        << net;
  }
  EXPECT_EQ(error_of({"--net-alias", "a", "nginx"}),
            "network-scoped alias is supported only for containers in user defined networks");
  // Allowed: DNS and extra hosts with host networking (docker too).
  auto o = from({"--network", "host", "--dns", "1.1.1.1", "--add-host", "a:1.2.3.4", "nginx"});
  EXPECT_TRUE(o.ok()) << o.error().message();
}

}  // namespace
}  // namespace hutch::cli
