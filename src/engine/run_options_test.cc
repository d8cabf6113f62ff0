#include "engine/run_options.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace hutch::engine {
namespace {

template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? "no error" : r.error().message();
}

TEST(RunOptions, Sizes) {
  EXPECT_EQ(*parse_size("-m, --memory", "512"), 512);
  EXPECT_EQ(*parse_size("-m, --memory", "512b"), 512);
  EXPECT_EQ(*parse_size("-m, --memory", "12m"), 12 << 20);
  EXPECT_EQ(*parse_size("-m, --memory", "64mb"), 64 << 20);
  EXPECT_EQ(*parse_size("-m, --memory", "64MiB"), 64 << 20);
  EXPECT_EQ(*parse_size("-m, --memory", "1G"), int64_t{1} << 30);
  EXPECT_EQ(*parse_size("-m, --memory", "1.5k"), 1536);
  EXPECT_EQ(*parse_size("-m, --memory", "2 t"), int64_t{2} << 40);
  EXPECT_EQ(error_of(parse_size("-m, --memory", "12x")),
            "invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'");
  EXPECT_EQ(parse_size("-m, --memory", "12x").error().code(), EINVAL);
  for (const char* bad : {"", "m", "-1", "1mm", "1kbb", "1.2.3m", "0x10", "1mib2"})
    EXPECT_FALSE(parse_size("--shm-size", bad).ok()) << bad;
}

TEST(RunOptions, Durations) {
  EXPECT_EQ(*parse_duration("--health-interval", "30s"), 30'000'000'000);
  EXPECT_EQ(*parse_duration("--health-interval", "1m30s"), 90'000'000'000);
  EXPECT_EQ(*parse_duration("--health-interval", "500ms"), 500'000'000);
  EXPECT_EQ(*parse_duration("--health-interval", "1.5h"), 5400'000'000'000);
  EXPECT_EQ(*parse_duration("--health-interval", "2us"), 2000);
  EXPECT_EQ(*parse_duration("--health-interval", "2\xc2\xb5s"), 2000);
  EXPECT_EQ(*parse_duration("--health-interval", "0"), 0);
  EXPECT_EQ(*parse_duration("--health-interval", "-1s"), -1'000'000'000);
  EXPECT_EQ(*parse_duration("--health-interval", ".5s"), 500'000'000);
  EXPECT_EQ(error_of(parse_duration("--health-interval", "10")),
            "invalid argument \"10\" for \"--health-interval\" flag: time: missing unit in duration \"10\"");
  EXPECT_EQ(error_of(parse_duration("--health-interval", "10x")),
            "invalid argument \"10x\" for \"--health-interval\" flag: time: unknown unit \"x\" in duration \"10x\"");
  EXPECT_EQ(error_of(parse_duration("--health-timeout", "")),
            "invalid argument \"\" for \"--health-timeout\" flag: time: invalid duration \"\"");
  EXPECT_FALSE(parse_duration("--health-timeout", "s").ok());
  EXPECT_FALSE(parse_duration("--health-timeout", "1.s.").ok());
  EXPECT_FALSE(parse_duration("--health-timeout", "99999999999h").ok());
}

TEST(RunOptions, Cpus) {
  auto r = parse_cpus("1.5", 4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 150000);
  EXPECT_EQ(r->second, 100000);
  EXPECT_EQ(parse_cpus("0.01", 4)->first, 1000);
  EXPECT_EQ(parse_cpus("0", 4)->first, 0);
  EXPECT_EQ(error_of(parse_cpus("-1", 8)),
            "invalid argument \"-1\" for \"--cpus\" flag: range of CPUs is from 0.01 to 8.00, as there are only 8 "
            "CPUs available");
  EXPECT_FALSE(parse_cpus("5", 4).ok());
  EXPECT_FALSE(parse_cpus("0.001", 4).ok());
  EXPECT_EQ(error_of(parse_cpus("abc", 4)),
            "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number");
  EXPECT_FALSE(parse_cpus("-1").ok());  // against the real CPU count
}

TEST(RunOptions, Restart) {
  EXPECT_EQ(*parse_restart("no"), (std::pair<std::string, int>{"no", 0}));
  EXPECT_EQ(*parse_restart("always"), (std::pair<std::string, int>{"always", 0}));
  EXPECT_EQ(*parse_restart("unless-stopped"), (std::pair<std::string, int>{"unless-stopped", 0}));
  EXPECT_EQ(*parse_restart("on-failure"), (std::pair<std::string, int>{"on-failure", 0}));
  EXPECT_EQ(*parse_restart("on-failure:3"), (std::pair<std::string, int>{"on-failure", 3}));
  EXPECT_EQ(error_of(parse_restart("sometimes")),
            "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or "
            "'unless-stopped'");
  EXPECT_EQ(error_of(parse_restart("on-failure:x")),
            "invalid restart policy format: maximum retry count must be an integer");
  EXPECT_EQ(error_of(parse_restart(":3")), "invalid restart policy format: no policy provided before colon");
  EXPECT_EQ(error_of(parse_restart("always:3")),
            "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  EXPECT_EQ(error_of(parse_restart("on-failure:-1")),
            "invalid restart policy: maximum retry count cannot be negative");
}

TEST(RunOptions, Ulimit) {
  auto u = parse_ulimit("nofile=1024:2048");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->name, "nofile");
  EXPECT_EQ(u->soft, 1024);
  EXPECT_EQ(u->hard, 2048);
  u = parse_ulimit("core=-1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->soft, -1);
  EXPECT_EQ(u->hard, -1);
  EXPECT_EQ(parse_ulimit("nproc=10")->hard, 10);
  EXPECT_EQ(error_of(parse_ulimit("nofile")), "invalid ulimit argument: nofile");
  EXPECT_EQ(error_of(parse_ulimit("files=1")), "invalid ulimit type: files");
  EXPECT_EQ(error_of(parse_ulimit("nofile=2:1")), "ulimit soft limit must be less than or equal to hard limit: 2 > 1");
  EXPECT_EQ(error_of(parse_ulimit("nofile=-1:1")),
            "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 1");
  EXPECT_FALSE(parse_ulimit("nofile=1:2:3").ok());
  EXPECT_FALSE(parse_ulimit("nofile=x").ok());
  for (const char* n : {"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc",
                        "rss", "rtprio", "rttime", "sigpending", "stack"})
    EXPECT_TRUE(parse_ulimit(std::string(n) + "=1").ok()) << n;
}

TEST(RunOptions, Volumes) {
  auto m = parse_volume("/host:/ctr:ro");
  ASSERT_TRUE(m.ok()) << error_of(m);
  EXPECT_EQ(m->type, "bind");
  EXPECT_EQ(m->source, "/host");
  EXPECT_EQ(m->target, "/ctr");
  EXPECT_TRUE(m->readonly);
  EXPECT_TRUE(m->create_host_dir);
  m = parse_volume("data:/var/lib/data");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, "volume");
  EXPECT_EQ(m->source, "data");
  EXPECT_FALSE(m->readonly);
  m = parse_volume("/anon");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, "volume");
  EXPECT_EQ(m->source, "");
  EXPECT_EQ(m->target, "/anon");
  m = parse_volume("/h:/c:rw,z,rshared");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->options, (std::vector<std::string>{"z", "rshared"}));
  m = parse_volume("vol:/c:nocopy");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->options, (std::vector<std::string>{"nocopy"}));
  m = parse_volume("./rel:/c");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, "bind");
  EXPECT_EQ(m->source[0], '/');

  EXPECT_EQ(error_of(parse_volume("/h:rel")),
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute");
  EXPECT_EQ(error_of(parse_volume("rel")),
            "invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute");
  EXPECT_EQ(error_of(parse_volume("/h:/c:xx")), "invalid mode: xx");
  EXPECT_EQ(error_of(parse_volume("/h:/c:ro,rw")), "invalid mode: ro,rw");
  EXPECT_EQ(error_of(parse_volume("/foo:rw")), "invalid volume specification: '/foo:rw'");
  EXPECT_EQ(error_of(parse_volume("a:/b:ro:d")), "invalid volume specification: 'a:/b:ro:d'");
  EXPECT_EQ(error_of(parse_volume(":/b")), "invalid volume specification: ':/b'");
  EXPECT_FALSE(parse_volume("/h:/").ok());
  EXPECT_FALSE(parse_volume("vol:/c:rshared").ok());
  EXPECT_NE(error_of(parse_volume("a/b:/c")).find("includes invalid characters for a local volume name"),
            std::string::npos);
}

TEST(RunOptions, Mount) {
  auto m = parse_mount("type=bind,source=/h,target=/c,readonly,bind-propagation=rslave");
  ASSERT_TRUE(m.ok()) << error_of(m);
  EXPECT_EQ(m->type, "bind");
  EXPECT_EQ(m->source, "/h");
  EXPECT_EQ(m->target, "/c");
  EXPECT_TRUE(m->readonly);
  EXPECT_FALSE(m->create_host_dir);
  EXPECT_EQ(m->options, (std::vector<std::string>{"rslave"}));
  m = parse_mount("src=vol,dst=/data,volume-nocopy");
  ASSERT_TRUE(m.ok()) << error_of(m);
  EXPECT_EQ(m->type, "volume");
  EXPECT_EQ(m->source, "vol");
  EXPECT_EQ(m->options, (std::vector<std::string>{"nocopy"}));
  m = parse_mount("type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1770");
  ASSERT_TRUE(m.ok()) << error_of(m);
  EXPECT_EQ(m->options, (std::vector<std::string>{"size=65536k", "mode=1770"}));
  m = parse_mount("type=bind,\"source=/a,b\",target=/c,ro=false,bind-nonrecursive=true");
  ASSERT_TRUE(m.ok()) << error_of(m);
  EXPECT_EQ(m->source, "/a,b");
  EXPECT_FALSE(m->readonly);
  EXPECT_EQ(m->options, (std::vector<std::string>{"nonrecursive"}));

  EXPECT_EQ(error_of(parse_mount("type=bind,source=/h")),
            "invalid argument \"type=bind,source=/h\" for \"--mount\" flag: target is required");
  EXPECT_EQ(error_of(parse_mount("type=bind,foo=1,target=/c")),
            "invalid argument \"type=bind,foo=1,target=/c\" for \"--mount\" flag: unexpected key 'foo' in 'foo=1'");
  EXPECT_EQ(error_of(parse_mount("bogus,target=/c")),
            "invalid argument \"bogus,target=/c\" for \"--mount\" flag: invalid field 'bogus' must be a key=value pair");
  EXPECT_FALSE(parse_mount("type=bind,target=/c").ok());
  EXPECT_FALSE(parse_mount("type=bind,source=rel,target=/c").ok());
  EXPECT_FALSE(parse_mount("type=tmpfs,source=/x,target=/c").ok());
  EXPECT_FALSE(parse_mount("type=volume,target=/c,bind-propagation=shared").ok());
  EXPECT_FALSE(parse_mount("type=bind,source=/h,target=/c,volume-nocopy").ok());
  EXPECT_FALSE(parse_mount("type=npipe,source=/h,target=/c").ok());
  EXPECT_FALSE(parse_mount("type=tmpfs,target=/c,tmpfs-mode=99").ok());
  EXPECT_FALSE(parse_mount("type=bind,source=/h,target=/c,readonly=maybe").ok());
}

TEST(RunOptions, Tmpfs) {
  auto m = parse_tmpfs("/run:rw,size=64m,exec");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, "tmpfs");
  EXPECT_EQ(m->target, "/run");
  EXPECT_EQ(m->options, (std::vector<std::string>{"size=64m", "exec"}));
  EXPECT_TRUE(parse_tmpfs("/tmp")->options.empty());
  EXPECT_TRUE(parse_tmpfs("/tmp:ro")->readonly);
  EXPECT_FALSE(parse_tmpfs("tmp").ok());
}

TEST(RunOptions, Device) {
  auto d = parse_device("/dev/fuse");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "/dev/fuse");
  EXPECT_EQ(d->container, "/dev/fuse");
  EXPECT_EQ(d->permissions, "rwm");
  d = parse_device("/dev/sda:/dev/xvdc");
  EXPECT_EQ(d->container, "/dev/xvdc");
  d = parse_device("/dev/sda:r");
  EXPECT_EQ(d->container, "/dev/sda");
  EXPECT_EQ(d->permissions, "r");
  d = parse_device("/dev/sda:/dev/xvdc:rw");
  EXPECT_EQ(d->permissions, "rw");
  EXPECT_EQ(error_of(parse_device("/dev/sda:/dev/xvdc:rx")),
            "invalid argument \"/dev/sda:/dev/xvdc:rx\" for \"--device\" flag: bad mode specified: rx");
  EXPECT_FALSE(parse_device("/a:/b:r:w").ok());
  EXPECT_FALSE(parse_device("/dev/sda:xvdc").ok());
  EXPECT_FALSE(parse_device(":/x").ok());
}

TEST(RunOptions, Throttle) {
  auto t = parse_throttle("--device-read-bps", "/dev/sda:1mb");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/dev/sda");
  EXPECT_EQ(t->rate, 1u << 20);
  t = parse_throttle("--device-write-iops", "/dev/sda:1000");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->rate, 1000u);
  EXPECT_FALSE(parse_throttle("--device-write-iops", "/dev/sda:1k").ok());
  EXPECT_EQ(error_of(parse_throttle("--device-read-bps", "sda:1")),
            "invalid argument \"sda:1\" for \"--device-read-bps\" flag: bad format for device path: sda:1");
  EXPECT_FALSE(parse_throttle("--device-read-bps", "/dev/sda").ok());
  EXPECT_FALSE(parse_throttle("--device-read-bps", "/dev/sda:fast").ok());
}

TEST(RunOptions, EnvFile) {
  auto lookup = [](const std::string& k) -> const char* { return k == "FROM_HOST" ? "yes" : nullptr; };
  auto env = parse_env_file("\xef\xbb\xbf# comment\nA=1\n\n  B=two \nFROM_HOST\nUNSET\nC=\"q\"\r\nD=\n", "f", lookup);
  ASSERT_TRUE(env.ok()) << error_of(env);
  EXPECT_EQ(*env, (std::vector<std::string>{"A=1", "B=two ", "FROM_HOST=yes", "C=\"q\"", "D="}));
  EXPECT_EQ(error_of(parse_env_file("=x\n", "f", lookup)), "env file \"f\": no variable name on line '=x'");
  EXPECT_EQ(error_of(parse_env_file("B = two\n", "f", lookup)), "env file \"f\": variable 'B ' contains whitespaces");
  EXPECT_EQ(read_env_file("/nonexistent/env").error().code(), ENOENT);
}

TEST(RunOptions, Signals) {
  EXPECT_EQ(*parse_signal("--stop-signal", "TERM"), "SIGTERM");
  EXPECT_EQ(*parse_signal("--stop-signal", "sigkill"), "SIGKILL");
  EXPECT_EQ(*parse_signal("--stop-signal", "9"), "SIGKILL");
  EXPECT_EQ(*parse_signal("--stop-signal", "SIGRTMIN+3"), "SIGRTMIN+3");
  EXPECT_EQ(*parse_signal("--stop-signal", "40"), "40");
  EXPECT_FALSE(parse_signal("--stop-signal", "SIGFOO").ok());
  EXPECT_FALSE(parse_signal("--stop-signal", "0").ok());
  EXPECT_FALSE(parse_signal("--stop-signal", "65").ok());
}

TEST(RunOptions, Validate) {
  RunOptions o;
  EXPECT_TRUE(validate_run_options(o).ok());
  o.memory = 1 << 20;
  EXPECT_EQ(validate_run_options(o).error().innermost(), "minimum memory limit allowed is 6MB");
  o = RunOptions{};
  o.memory_swap = 100 << 20;
  EXPECT_FALSE(validate_run_options(o).ok());
  o.memory = 200 << 20;
  EXPECT_FALSE(validate_run_options(o).ok());
  o.memory_swap = -1;
  EXPECT_TRUE(validate_run_options(o).ok());
  o.memory_reservation = 300 << 20;
  EXPECT_FALSE(validate_run_options(o).ok());
  o = RunOptions{};
  o.auto_remove = true;
  o.restart = "always";
  EXPECT_FALSE(validate_run_options(o).ok());
  o = RunOptions{};
  o.name = "bad name";
  EXPECT_FALSE(validate_run_options(o).ok());
  o.name = "good_name-1.x";
  EXPECT_TRUE(validate_run_options(o).ok());
  o.workdir = "rel";
  EXPECT_FALSE(validate_run_options(o).ok());
  o = RunOptions{};
  o.hostname = "h";
  o.uts_ns = "host";
  EXPECT_FALSE(validate_run_options(o).ok());
}

TEST(RunOptions, NetworkValues) {
  EXPECT_EQ(*parse_ipv4("172.30.100.104"), "172.30.100.104");
  EXPECT_EQ(error_of(parse_ipv4("172.30.100")), "invalid IPv4 address: 172.30.100");
  EXPECT_EQ(error_of(parse_ipv4("fe80::1")), "invalid IPv4 address: fe80::1");
  EXPECT_EQ(*parse_mac_address("92:D0:C6:0A:29:33"), "92:d0:c6:0a:29:33");
  EXPECT_EQ(*parse_mac_address("92-d0-c6-0a-29-33"), "92:d0:c6:0a:29:33");
  for (const char* bad : {"", "92:d0:c6:0a:29", "92:d0:c6:0a:29:3g", "92:d0-c6:0a:29:33", "92d0c60a2933xxxxx"})
    EXPECT_EQ(error_of(parse_mac_address(bad)), std::string(bad) + " is not a valid mac address");
  EXPECT_EQ(*parse_dns_search("example.com"), "example.com");
  EXPECT_EQ(*parse_dns_search("a-b.example.com."), "a-b.example.com.");
  EXPECT_EQ(*parse_dns_search("."), ".");
  for (const char* bad : {"", "-a.com", "a..com", "a_b.com", "a.com-"})
    EXPECT_EQ(error_of(parse_dns_search(bad)), std::string(bad) + " is not a valid domain");
  EXPECT_FALSE(parse_dns_search(std::string(256, 'a')).ok());
  for (const char* n : {"", "bridge", "default", "none", "host", "container:db"}) EXPECT_FALSE(is_user_network(n)) << n;
  EXPECT_TRUE(is_user_network("mynet"));
}

TEST(RunOptions, ExposedAndBindings) {
  RunOptions o;
  o.expose = {"7000/tcp"};
  o.publish = {{"80/tcp", {{"", "8080"}}}};
  auto exposed = exposed_ports_of({"443/tcp", "80/tcp"}, o);
  EXPECT_EQ(exposed, (std::set<std::string>{"443/tcp", "7000/tcp", "80/tcp"}));
  EXPECT_EQ(port_bindings_of(exposed, o), o.publish);
  o.publish_all = true;
  network::PortBindings all = {{"443/tcp", {{"", ""}}}, {"7000/tcp", {{"", ""}}}, {"80/tcp", {{"", "8080"}}}};
  EXPECT_EQ(port_bindings_of(exposed, o), all);
  o.network = "mynet";
  EXPECT_EQ(port_bindings_of(exposed, o), all);
  for (const char* net : {"host", "none", "container:db"}) {
    o.network = net;
    EXPECT_TRUE(port_bindings_of(exposed, o).empty()) << net;
  }
}

TEST(RunOptions, ValidateNetwork) {
  RunOptions o;
  o.network = "container:db";
  o.publish = {{"80/tcp", {{"", ""}}}};
  EXPECT_EQ(validate_run_options(o).error().message(),
            "conflicting options: port publishing and the container type network mode");
  o = RunOptions{};
  o.network = "container:";
  EXPECT_EQ(validate_run_options(o).error().message(),
            "invalid network mode: invalid container format container:<name|id>");
  o = RunOptions{};
  o.network = "container:db";
  o.dns_search = {"example.com"};
  EXPECT_EQ(validate_run_options(o).error().message(), "conflicting options: dns and the network mode");
  o = RunOptions{};
  o.network = "none";
  o.mac_address = "92:d0:c6:0a:29:33";
  EXPECT_EQ(validate_run_options(o).error().message(), "conflicting options: mac-address and the network mode");
  o = RunOptions{};
  o.ip = "10.0.0.2";
  EXPECT_EQ(validate_run_options(o).error().message(),
            "user specified IP address is supported on user defined networks only");
  o.network = "mynet";
  o.network_aliases = {"web"};
  o.mac_address = "92:d0:c6:0a:29:33";
  o.publish_all = true;
  o.dns = {"1.1.1.1"};
  o.add_hosts = {"a:1.2.3.4"};
  EXPECT_TRUE(validate_run_options(o).ok()) << validate_run_options(o).error().message();
  // docker's daemon drops -p for host networking with a warning; the
  // flags do that, and the rules let such options through.
  o = RunOptions{};
  o.network = "host";
  o.publish = {{"80/tcp", {{"", ""}}}};
  EXPECT_TRUE(validate_run_options(o).ok());
}

}  // namespace
}  // namespace hutch::engine
