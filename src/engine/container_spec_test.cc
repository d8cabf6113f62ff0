#include "engine/container_spec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "oci/spec.h"

namespace hutch::engine {
namespace {

const char* kImageConfig = R"({
  "Env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8", "KEEP=1"],
  "Entrypoint": ["/entry.sh"],
  "Cmd": ["serve", "--port", "80"],
  "WorkingDir": "/app",
  "User": "user",
  "Labels": {"a": "image", "b": "image"},
  "StopSignal": "SIGQUIT",
  "Volumes": {"/data": {}, "/cache": {}},
  "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5000000000, "Retries": 5}
})";

const std::map<std::string, std::string> kFiles = {
    {"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n"},
    {"/etc/group", "root:x:0:\nuser:x:1000:\nextra:x:1001:user\n"},
};

struct Fixture {
  json::Ptr image;
  SpecInputs in;
  explicit Fixture(const char* config = kImageConfig) {
    if (config) image = json::parse(config).value();
    in.image_config = image.get();
    in.id = "0123456789abcdef0123456789abcdef";
    in.rootfs = "rootfs";
    in.opts.image = "example";
    in.read_image_file = [](const std::string& p) -> Result<std::string> {
      auto it = kFiles.find(p);
      if (it == kFiles.end()) return Error(ENOENT, "open " + p);
      return it->second;
    };
    in.stat_device = [](const std::string& p) -> Result<DeviceInfo> {
      if (p == "/dev/sda") return DeviceInfo{"b", 8, 0, 0660, 0, 6};
      if (p == "/dev/fuse") return DeviceInfo{"c", 10, 229, 0666, 0, 0};
      if (p == "/dev/notadev") return DeviceInfo{"d", 0, 0, 0755, 0, 0};
      if (p == "/dev/snd" || p == "/dev/snd/" || p == "/dev/empty") return Error::plain(EISDIR, p + " is a directory");
      return Error(ENOENT, "stat " + p);
    };
    in.list_devices = [](const std::string& dir) {
      std::vector<std::pair<std::string, DeviceInfo>> out;
      if (dir == "/dev/snd") {
        out.emplace_back("/dev/snd/controlC0", DeviceInfo{"c", 116, 0, 0660, 0, 29});
        out.emplace_back("/dev/snd/by-path/pcm", DeviceInfo{"c", 116, 3, 0660, 0, 29});
      }
      return out;
    };
    if (config == kImageConfig) in.anonymous_sources = {"/vols/anon1", "/vols/anon2"};
  }
  Result<ContainerSpec> build() { return build_spec(in); }
};

// The runtime's own parser must accept every spec we build.
oci::Spec parsed(const ContainerSpec& cs) {
  auto s = oci::parse_spec(json::dump(cs.spec.get(), 2));
  EXPECT_TRUE(s.ok()) << s.error().message() << "\n" << json::dump(cs.spec.get(), 2);
  return s.ok() ? std::move(*s) : oci::Spec{};
}

std::vector<std::string> destinations(const oci::Spec& s) {
  std::vector<std::string> out;
  for (const auto& m : s.mounts) out.push_back(m.destination);
  return out;
}

const oci::Mount* find_mount(const oci::Spec& s, const std::string& dest) {
  for (const auto& m : s.mounts)
    if (m.destination == dest) return &m;
  return nullptr;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

TEST(ContainerSpec, ImageDefaults) {
  Fixture f;
  auto cs = f.build();
  ASSERT_TRUE(cs.ok()) << cs.error().message();
  EXPECT_EQ(cs->args, (std::vector<std::string>{"/entry.sh", "serve", "--port", "80"}));
  EXPECT_EQ(cs->env, (std::vector<std::string>{"PATH=/usr/bin:/bin", "HOSTNAME=0123456789ab", "LANG=C.UTF-8", "KEEP=1"}));
  EXPECT_EQ(cs->workdir, "/app");
  EXPECT_EQ(cs->user, "user");
  EXPECT_EQ(cs->stop_signal, "SIGQUIT");
  EXPECT_EQ(cs->labels, (std::map<std::string, std::string>{{"a", "image"}, {"b", "image"}}));
  EXPECT_EQ(cs->anonymous_volumes, (std::vector<std::string>{"/data", "/cache"}));
  ASSERT_TRUE(cs->health_test);
  EXPECT_EQ(*cs->health_test, (std::vector<std::string>{"CMD", "true"}));
  EXPECT_EQ(cs->health_interval, 5'000'000'000);
  EXPECT_EQ(cs->health_timeout, 30'000'000'000);
  EXPECT_EQ(cs->health_start_period, 0);
  EXPECT_EQ(cs->health_retries, 5);

  oci::Spec s = parsed(*cs);
  ASSERT_TRUE(s.process && s.linux);
  EXPECT_EQ(s.process->args, cs->args);
  EXPECT_EQ(s.process->cwd, "/app");
  EXPECT_EQ(s.process->user.uid, 1000u);
  EXPECT_EQ(s.process->user.gid, 1000u);
  EXPECT_EQ(s.process->user.additional_gids, (std::vector<uint32_t>{1001}));
  EXPECT_FALSE(s.process->terminal);
  EXPECT_FALSE(s.process->no_new_privileges);
  EXPECT_EQ(s.hostname, "0123456789ab");
  EXPECT_EQ(s.root.path, "rootfs");
  EXPECT_FALSE(s.root.readonly);
  ASSERT_TRUE(s.process->capabilities);
  EXPECT_EQ(s.process->capabilities->bounding.size(), 14u);
  EXPECT_EQ(s.process->capabilities->effective, s.process->capabilities->bounding);
  EXPECT_TRUE(s.process->capabilities->inheritable.empty());
  EXPECT_TRUE(s.process->capabilities->ambient.empty());
  ASSERT_EQ(s.process->rlimits.size(), 1u);
  EXPECT_EQ(s.process->rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(s.process->rlimits[0].soft, 1048576u);
  f.in.default_nofile = {20000, 20000};
  EXPECT_EQ(parsed(*f.build()).process->rlimits[0].hard, 20000u);
  EXPECT_EQ(destinations(s), (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup",
                                                        "/dev/mqueue", "/dev/shm", "/data", "/cache"}));
  EXPECT_EQ(find_mount(s, "/data")->source, "/vols/anon1");
  EXPECT_EQ(find_mount(s, "/dev/shm")->options.back(), "size=67108864");
  EXPECT_TRUE(has(find_mount(s, "/sys")->options, "ro"));
  std::vector<std::string> ns;
  for (const auto& n : s.linux->namespaces) {
    ns.push_back(oci::namespace_type_name(n.type));
    EXPECT_TRUE(n.path.empty());
  }
  EXPECT_EQ(ns, (std::vector<std::string>{"pid", "ipc", "uts", "mount", "network", "cgroup"}));
  EXPECT_TRUE(has(s.linux->masked_paths, "/proc/kcore"));
  EXPECT_TRUE(has(s.linux->readonly_paths, "/proc/sys"));
  ASSERT_TRUE(s.linux->seccomp);
  EXPECT_EQ(s.linux->seccomp->default_action, oci::SeccompAction::kErrno);
  ASSERT_TRUE(s.linux->resources);
  ASSERT_FALSE(s.linux->resources->devices.empty());
  EXPECT_FALSE(s.linux->resources->devices[0].allow);
  EXPECT_FALSE(s.linux->resources->memory);
}

TEST(ContainerSpec, DeviceDirectoryExpands) {
  // docker's --device /dev/snd:/dev/audio: every node below, moved along.
  Fixture f;
  f.in.opts.devices = {{"/dev/snd/", "/dev/audio", "rw"}};
  auto cs = f.build();
  ASSERT_TRUE(cs.ok()) << cs.error().message();
  oci::Spec s = parsed(*cs);
  ASSERT_EQ(s.linux->devices.size(), 2u);
  EXPECT_EQ(s.linux->devices[0].path, "/dev/audio/controlC0");
  EXPECT_EQ(s.linux->devices[1].path, "/dev/audio/by-path/pcm");
  EXPECT_EQ(s.linux->devices[1].minor, 3);
  const auto& rules = s.linux->resources->devices;
  ASSERT_GE(rules.size(), 2u);
  EXPECT_EQ(*rules[rules.size() - 2].major, 116);
  EXPECT_EQ(*rules.back().minor, 3);
  // A directory without device nodes is refused by name.
  f.in.opts.devices = {{"/dev/empty", "/dev/empty", "rwm"}};
  auto none = f.build();
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("/dev/empty"), std::string::npos) << none.error().message();
}

TEST(ContainerSpec, Args) {
  Fixture f;
  f.in.opts.command = {"sh", "-c", "x"};
  EXPECT_EQ(f.build()->args, (std::vector<std::string>{"/entry.sh", "sh", "-c", "x"}));
  f.in.opts.entrypoint = "/bin/other";
  EXPECT_EQ(f.build()->args, (std::vector<std::string>{"/bin/other", "sh", "-c", "x"}));
  f.in.opts.command.clear();
  EXPECT_EQ(f.build()->args, (std::vector<std::string>{"/bin/other"}));  // the image's Cmd is dropped
  f.in.opts.entrypoint = "";
  f.in.opts.command = {"ls"};
  EXPECT_EQ(f.build()->args, (std::vector<std::string>{"ls"}));
  f.in.opts.command.clear();
  auto r = f.build();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().message(), "no command specified");
  Fixture bare(nullptr);
  EXPECT_EQ(bare.build().error().message(), "no command specified");
  bare.in.opts.command = {"true"};
  bare.in.opts.init = true;
  bare.in.init_binary = "/usr/libexec/hutch/init";
  auto cs = bare.build();
  ASSERT_TRUE(cs.ok()) << cs.error().message();
  EXPECT_EQ(cs->args, (std::vector<std::string>{"true"}));
  oci::Spec s = parsed(*cs);
  EXPECT_EQ(s.process->args, (std::vector<std::string>{"/.hutch-init", "--", "true"}));
  const oci::Mount* init = find_mount(s, "/.hutch-init");
  ASSERT_TRUE(init);
  EXPECT_EQ(init->source, "/usr/libexec/hutch/init");
  EXPECT_TRUE(has(init->options, "ro"));
  bare.in.init_binary.clear();
  EXPECT_FALSE(bare.build().ok());
}

TEST(ContainerSpec, Env) {
  Fixture f;
  f.in.opts.env = {"LANG=fr_FR", "NEW=x", "KEEP", "HOSTNAME=mine"};
  f.in.opts.tty = true;
  f.in.opts.hostname = "web";
  auto cs = f.build();
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->env, (std::vector<std::string>{"PATH=/usr/bin:/bin", "HOSTNAME=mine", "TERM=xterm", "LANG=fr_FR",
                                               "NEW=x"}));
  EXPECT_EQ(parsed(*cs).hostname, "web");
  EXPECT_TRUE(parsed(*cs).process->terminal);
  Fixture bare(nullptr);
  bare.in.opts.command = {"sh"};
  EXPECT_EQ(bare.build()->env, (std::vector<std::string>{
                                   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                   "HOSTNAME=0123456789ab"}));
  EXPECT_EQ(bare.build()->workdir, "/");
  EXPECT_EQ(bare.build()->stop_signal, "SIGTERM");
  EXPECT_FALSE(bare.build()->health_test);
}

TEST(ContainerSpec, User) {
  Fixture f;
  f.in.opts.user = "1000:0";
  oci::Spec s = parsed(*f.build());
  EXPECT_EQ(s.process->user.uid, 1000u);
  EXPECT_EQ(s.process->user.gid, 0u);
  EXPECT_TRUE(s.process->user.additional_gids.empty());
  f.in.opts.user = "ghost";
  auto r = f.build();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "unable to find user ghost: no matching entries in passwd file");
  f.in.opts.user = "root";
  EXPECT_EQ(parsed(*f.build()).process->user.uid, 0u);
  f.in.read_image_file = [](const std::string& p) -> Result<std::string> { return Error(ENOENT, p); };
  f.in.opts.user = "123:456";
  s = parsed(*f.build());
  EXPECT_EQ(s.process->user.uid, 123u);
  EXPECT_EQ(s.process->user.gid, 456u);
  f.in.read_image_file = [](const std::string& p) -> Result<std::string> { return Error(EIO, p); };
  EXPECT_EQ(f.build().error().code(), EIO);
}

TEST(ContainerSpec, Capabilities) {
  Fixture f;
  f.in.opts.cap_add = {"net_admin", "CAP_SYS_PTRACE"};
  f.in.opts.cap_drop = {"MKNOD", "cap_net_raw"};
  auto caps = parsed(*f.build()).process->capabilities->bounding;
  EXPECT_EQ(caps.size(), 14u);
  EXPECT_TRUE(has(caps, "CAP_NET_ADMIN"));
  EXPECT_TRUE(has(caps, "CAP_SYS_PTRACE"));
  EXPECT_FALSE(has(caps, "CAP_MKNOD"));
  EXPECT_FALSE(has(caps, "CAP_NET_RAW"));
  f.in.opts.cap_add = {"CHOWN"};
  f.in.opts.cap_drop = {"ALL"};
  EXPECT_EQ(parsed(*f.build()).process->capabilities->bounding, (std::vector<std::string>{"CAP_CHOWN"}));
  f.in.opts.cap_add = {"ALL"};
  f.in.opts.cap_drop = {"SYS_ADMIN"};
  caps = parsed(*f.build()).process->capabilities->bounding;
  EXPECT_EQ(caps.size(), 40u);
  EXPECT_FALSE(has(caps, "CAP_SYS_ADMIN"));
  f.in.opts.cap_add = {"NET_FOO"};
  EXPECT_EQ(f.build().error().message(), "unknown capability: \"CAP_NET_FOO\"");
  // CAP_SYS_ADMIN opens mount(2) in the default seccomp profile.
  f.in.opts.cap_add = {"SYS_ADMIN"};
  f.in.opts.cap_drop.clear();
  bool mount_allowed = false;
  oci::Spec with_admin = parsed(*f.build());
  for (const auto& r : with_admin.linux->seccomp->syscalls)
    mount_allowed = mount_allowed || has(r.names, "mount");
  EXPECT_TRUE(mount_allowed);
}

// What the host's bounding set lacks (this test machine lacks
// CAP_SYS_RESOURCE) no container gets: --privileged and ALL leave it out,
// --cap-add of it is refused by name.
TEST(ContainerSpec, CapabilitiesWithinHostBoundingSet) {
  Fixture f;
  for (const auto& c : all_capabilities())
    if (c != "CAP_SYS_RESOURCE") f.in.host_caps.push_back(c);
  f.in.opts.privileged = true;
  auto caps = parsed(*f.build()).process->capabilities->bounding;
  EXPECT_EQ(caps.size(), 40u);
  EXPECT_FALSE(has(caps, "CAP_SYS_RESOURCE"));
  f.in.opts.privileged = false;
  f.in.opts.cap_add = {"ALL"};
  caps = parsed(*f.build()).process->capabilities->bounding;
  EXPECT_EQ(caps.size(), 40u);
  f.in.opts.cap_add = {"sys_resource"};
  auto r = f.build();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "--cap-add sys_resource: CAP_SYS_RESOURCE is not in this host's capability bounding "
                                 "set, so no container can have it");
}

TEST(ContainerSpec, Privileged) {
  Fixture f;
  f.in.opts.privileged = true;
  f.in.opts.cap_drop = {"ALL"};  // docker ignores cap flags with --privileged
  oci::Spec s = parsed(*f.build());
  EXPECT_EQ(s.process->capabilities->bounding.size(), 41u);
  EXPECT_FALSE(s.linux->seccomp);
  EXPECT_TRUE(s.linux->masked_paths.empty());
  EXPECT_TRUE(s.linux->readonly_paths.empty());
  EXPECT_TRUE(has(find_mount(s, "/sys")->options, "rw"));
  EXPECT_TRUE(has(find_mount(s, "/sys/fs/cgroup")->options, "rw"));
  ASSERT_EQ(s.linux->resources->devices.size(), 1u);
  EXPECT_TRUE(s.linux->resources->devices[0].allow);
  EXPECT_TRUE(s.linux->devices.empty());
  f.in.host_devices = {{"/dev/sda", DeviceInfo{"b", 8, 0, 0660, 0, 6}}, {"/dev/fuse", DeviceInfo{"c", 10, 229}}};
  f.in.opts.devices = {{"/dev/fuse", "/dev/fuse", "r"}};
  s = parsed(*f.build());
  ASSERT_EQ(s.linux->devices.size(), 2u);
  EXPECT_EQ(s.linux->devices[0].path, "/dev/sda");
  EXPECT_EQ(s.linux->devices[0].type, "b");
  EXPECT_EQ(s.linux->devices[1].path, "/dev/fuse");
  EXPECT_EQ(s.linux->resources->devices.size(), 1u);  // allow-all already covers --device
  f.in.opts.privileged = false;
  f.in.opts.cap_drop.clear();
  f.in.opts.devices.clear();
  EXPECT_TRUE(parsed(*f.build()).linux->devices.empty());  // host devices only with --privileged
}

TEST(ContainerSpec, Mounts) {
  Fixture f;
  f.in.opts.mounts = {
      {"volume", "named", "/data", false, {}},
      {"bind", "/host/conf", "/etc/app", true, {"rshared"}},
      {"tmpfs", "", "/run", false, {"size=64m", "exec"}},
      {"bind", "/host/deep", "/etc/app/sub/dir", false, {"nonrecursive"}},
      {"tmpfs", "", "/dev/shm", false, {}},
      {"volume", "", "/anon", false, {"nocopy"}},
  };
  f.in.volume_sources = {"/vols/named/_data", "/vols/anonX/_data"};
  f.in.anonymous_sources = {"/vols/cache"};  // /data is covered by a mount; /cache is not
  f.in.hosts_file = "/c/hosts";
  f.in.resolv_file = "/c/resolv.conf";
  f.in.hostname_file = "/c/hostname";
  f.in.opts.read_only = true;
  f.in.opts.shm_size = 1 << 20;
  auto cs = f.build();
  ASSERT_TRUE(cs.ok()) << cs.error().message();
  EXPECT_EQ(cs->anonymous_volumes, (std::vector<std::string>{"/cache"}));
  oci::Spec s = parsed(*cs);
  EXPECT_TRUE(s.root.readonly);
  EXPECT_EQ(destinations(s),
            (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/data",
                                      "/run", "/anon", "/cache", "/etc/app", "/dev/shm", "/etc/resolv.conf",
                                      "/etc/hostname", "/etc/hosts", "/etc/app/sub/dir"}));
  const oci::Mount* m = find_mount(s, "/data");
  EXPECT_EQ(m->type, "bind");
  EXPECT_EQ(m->source, "/vols/named/_data");
  EXPECT_EQ(m->options, (std::vector<std::string>{"rbind", "rprivate"}));
  m = find_mount(s, "/etc/app");
  EXPECT_EQ(m->options, (std::vector<std::string>{"rbind", "rshared", "ro"}));
  m = find_mount(s, "/etc/app/sub/dir");
  EXPECT_EQ(m->options, (std::vector<std::string>{"bind", "rprivate"}));
  m = find_mount(s, "/run");
  EXPECT_EQ(m->type, "tmpfs");
  EXPECT_EQ(m->options, (std::vector<std::string>{"nosuid", "nodev", "rprivate", "size=64m", "exec"}));
  m = find_mount(s, "/dev/shm");
  EXPECT_EQ(m->options, (std::vector<std::string>{"noexec", "nosuid", "nodev", "rprivate"}));
  EXPECT_EQ(find_mount(s, "/anon")->source, "/vols/anonX/_data");
  EXPECT_EQ(find_mount(s, "/etc/hosts")->options, (std::vector<std::string>{"rbind", "rprivate", "ro"}));
  // A tmpfs over /dev replaces every default below it.
  f.in.opts.mounts = {{"tmpfs", "", "/dev", false, {}}};
  f.in.volume_sources.clear();
  f.in.anonymous_sources = {"/vols/anon1", "/vols/anon2"};
  s = parsed(*f.build());
  EXPECT_EQ(destinations(s), (std::vector<std::string>{"/proc", "/sys", "/sys/fs/cgroup", "/dev", "/data", "/cache",
                                                        "/etc/resolv.conf", "/etc/hostname", "/etc/hosts"}));
  // The engine must give a directory for each volume.
  f.in.opts.mounts = {{"volume", "v", "/v", false, {}}};
  EXPECT_EQ(f.build().error().code(), EINVAL);
  f.in.volume_sources = {"/vols/v"};
  f.in.anonymous_sources.clear();
  EXPECT_EQ(f.build().error().code(), EINVAL);
}

TEST(ContainerSpec, Namespaces) {
  Fixture f;
  f.in.opts.pid_ns = "host";
  f.in.opts.ipc_ns = "container:db";
  f.in.opts.network = "container:db";
  f.in.opts.uts_ns = "host";
  f.in.opts.cgroupns = "host";
  f.in.host_hostname = "box";
  f.in.joined_namespaces = {{"ipc", "/proc/42/ns/ipc"}, {"network", "/proc/42/ns/net"}};
  auto cs = f.build();
  ASSERT_TRUE(cs.ok()) << cs.error().message();
  EXPECT_TRUE(has(cs->env, "HOSTNAME=box"));
  oci::Spec s = parsed(*cs);
  EXPECT_EQ(s.hostname, "");
  std::vector<std::string> ns;
  for (const auto& n : s.linux->namespaces) ns.push_back(std::string(oci::namespace_type_name(n.type)) + "=" + n.path);
  EXPECT_EQ(ns, (std::vector<std::string>{"ipc=/proc/42/ns/ipc", "mount=", "network=/proc/42/ns/net"}));
  // The other container's shareable /dev/shm comes along with its IPC
  // namespace.
  f.in.shared_shm = "/run/hutch/0123/shm";
  oci::Spec shared = parsed(*f.build());
  const oci::Mount* shm = find_mount(shared, "/dev/shm");
  ASSERT_TRUE(shm);
  EXPECT_EQ(shm->source, "/run/hutch/0123/shm");
  EXPECT_EQ(shm->type, "bind");
  f.in.joined_namespaces.erase("network");
  EXPECT_EQ(f.build().error().code(), EINVAL);
  Fixture none;
  none.in.opts.ipc_ns = "none";
  none.in.opts.network = "host";
  s = parsed(*none.build());
  EXPECT_FALSE(find_mount(s, "/dev/shm"));
  EXPECT_FALSE(s.find_namespace(oci::NamespaceType::kNetwork));
  Fixture host_ipc;
  host_ipc.in.opts.ipc_ns = "host";
  EXPECT_EQ(find_mount(parsed(*host_ipc.build()), "/dev/shm")->source, "/dev/shm");
}

TEST(ContainerSpec, Resources) {
  Fixture f;
  RunOptions& o = f.in.opts;
  o.memory = 256 << 20;
  o.memory_reservation = 128 << 20;
  o.cpu_quota = 150000;
  o.cpu_period = 100000;
  o.cpu_shares = 512;
  o.cpuset_cpus = "0-1";
  o.pids_limit = 100;
  o.blkio_weight = 300;
  o.device_read_bps = {{"/dev/sda", 1 << 20}};
  o.device_write_iops = {{"/dev/sda", 1000}};
  o.devices = {{"/dev/fuse", "/dev/fuse", "rw"}};
  o.ulimits = {{"nproc", 10, 20}, {"core", -1, -1}, {"nofile", 100, 200}, {"nofile", 300, 400}};
  o.sysctls = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "100000"}};
  o.oom_score_adj = 500;
  o.no_new_privileges = true;
  auto cs = f.build();
  ASSERT_TRUE(cs.ok()) << cs.error().message();
  oci::Spec s = parsed(*cs);
  const oci::Resources& r = *s.linux->resources;
  ASSERT_TRUE(r.memory && r.cpu && r.block_io);
  EXPECT_EQ(*r.memory->limit, 256 << 20);
  EXPECT_EQ(*r.memory->reservation, 128 << 20);
  EXPECT_EQ(*r.memory->swap, 512 << 20);
  EXPECT_EQ(*r.cpu->quota, 150000);
  EXPECT_EQ(*r.cpu->period, 100000u);
  EXPECT_EQ(*r.cpu->shares, 512u);
  EXPECT_EQ(r.cpu->cpus, "0-1");
  EXPECT_EQ(*r.pids_limit, 100);
  EXPECT_EQ(*r.block_io->weight, 300);
  ASSERT_EQ(r.block_io->throttle_read_bps.size(), 1u);
  EXPECT_EQ(r.block_io->throttle_read_bps[0].major, 8);
  EXPECT_EQ(r.block_io->throttle_read_bps[0].rate, 1u << 20);
  EXPECT_EQ(r.block_io->throttle_write_iops[0].rate, 1000u);
  ASSERT_EQ(s.linux->devices.size(), 1u);
  EXPECT_EQ(s.linux->devices[0].path, "/dev/fuse");
  EXPECT_EQ(s.linux->devices[0].major, 10);
  EXPECT_EQ(*s.linux->devices[0].file_mode, 0666u);
  const oci::DeviceCgroup& last = r.devices.back();  // after docker's deny of 10:229
  EXPECT_TRUE(last.allow);
  EXPECT_EQ(*last.major, 10);
  EXPECT_EQ(last.access, "rw");
  std::vector<std::string> rl;
  for (const auto& l : s.process->rlimits) rl.push_back(l.type + "=" + std::to_string(l.soft) + ":" + std::to_string(l.hard));
  EXPECT_EQ(rl, (std::vector<std::string>{"RLIMIT_NPROC=10:20", "RLIMIT_CORE=18446744073709551615:18446744073709551615",
                                          "RLIMIT_NOFILE=300:400"}));
  EXPECT_EQ(s.linux->sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(*s.process->oom_score_adj, 500);
  EXPECT_TRUE(s.process->no_new_privileges);

  o.memory_swap = -1;
  o.pids_limit = -1;
  s = parsed(*f.build());
  EXPECT_EQ(*s.linux->resources->memory->swap, -1);
  EXPECT_EQ(*s.linux->resources->pids_limit, -1);

  o.sysctls = {{"kernel.panic", "1"}};
  EXPECT_EQ(f.build().error().message(), "sysctl 'kernel.panic' is not allowed");
  o.sysctls = {{"net.core.somaxconn", "1"}};
  o.network = "host";
  EXPECT_FALSE(f.build().ok());
  o.sysctls.clear();
  o.network.clear();
  o.devices = {{"/dev/nope", "/dev/nope", "rwm"}};
  auto r2 = f.build();
  EXPECT_EQ(r2.error().code(), ENOENT);
  EXPECT_NE(r2.error().message().find("device \"/dev/nope\""), std::string::npos);
  o.devices = {{"/dev/notadev", "/dev/x", "rwm"}};
  EXPECT_EQ(f.build().error().code(), EINVAL);
  o.devices.clear();
  o.device_read_bps = {{"/dev/fuse", 1}};
  EXPECT_EQ(f.build().error().message(), "throttle device \"/dev/fuse\": not a block device");
  f.in.stat_device = nullptr;
  o.device_read_bps = {{"/dev/sda", 1}};
  EXPECT_EQ(f.build().error().code(), EINVAL);
}

TEST(ContainerSpec, Seccomp) {
  Fixture f;
  f.in.opts.seccomp = "unconfined";
  EXPECT_FALSE(parsed(*f.build()).linux->seccomp);
  char dir[] = "/tmp/hutch-spec-test-XXXXXX";
  ASSERT_TRUE(::mkdtemp(dir));
  std::string path = std::string(dir) + "/profile.json";
  std::ofstream(path) << R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]})";
  f.in.opts.seccomp = path;
  oci::Spec s = parsed(*f.build());
  ASSERT_TRUE(s.linux->seccomp);
  EXPECT_EQ(s.linux->seccomp->default_action, oci::SeccompAction::kAllow);
  ASSERT_EQ(s.linux->seccomp->syscalls.size(), 1u);
  EXPECT_EQ(s.linux->seccomp->syscalls[0].names, (std::vector<std::string>{"chmod"}));
  std::ofstream(path) << R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"]}]})";
  EXPECT_EQ(f.build().error().message(), "seccomp profile \"" + path + "\": syscalls[0].action: is required");
  ::unlink(path.c_str());
  ::rmdir(dir);
  EXPECT_EQ(f.build().error().code(), ENOENT);
}

TEST(ContainerSpec, Health) {
  Fixture f;
  f.in.opts.health_test = std::vector<std::string>{"CMD-SHELL", "curl -f localhost"};
  f.in.opts.health_timeout = 2'000'000'000;
  auto cs = f.build();
  EXPECT_EQ(*cs->health_test, (std::vector<std::string>{"CMD-SHELL", "curl -f localhost"}));
  EXPECT_EQ(cs->health_interval, 5'000'000'000);  // the image's
  EXPECT_EQ(cs->health_timeout, 2'000'000'000);
  EXPECT_EQ(cs->health_retries, 5);
  f.in.opts.health_test = std::vector<std::string>{"NONE"};
  EXPECT_FALSE(f.build()->health_test);
  Fixture g;
  g.in.opts.health_interval = 1'000'000'000;  // flags without a test keep the image's test
  EXPECT_EQ(*g.build()->health_test, (std::vector<std::string>{"CMD", "true"}));
  EXPECT_EQ(g.build()->health_interval, 1'000'000'000);
}

TEST(ContainerSpec, LabelsAndStopSignal) {
  Fixture f;
  f.in.opts.labels = {{"b", "flag"}, {"c", "flag"}};
  f.in.opts.stop_signal = "SIGINT";
  auto cs = f.build();
  EXPECT_EQ(cs->labels, (std::map<std::string, std::string>{{"a", "image"}, {"b", "flag"}, {"c", "flag"}}));
  EXPECT_EQ(cs->stop_signal, "SIGINT");
}

TEST(ContainerSpec, AnonymousVolumeTargets) {
  auto image = json::parse(R"({"Volumes": {"/a/": {}, "/b": {}, "rel": {}}})");
  RunOptions o;
  o.mounts = {{"bind", "/h", "/b", false, {}}};
  EXPECT_EQ(anonymous_volume_targets(image->get(), o), (std::vector<std::string>{"/a"}));
  EXPECT_TRUE(anonymous_volume_targets(nullptr, o).empty());
}

}  // namespace
}  // namespace hutch::engine
