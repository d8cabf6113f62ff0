// Unit tests for the runtime-spec parser: a full valid config, and every
// validation error with the JSON path it names.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>

#include <string>

#include "oci/spec.h"

namespace hutch::oci {
namespace {

// runc's `spec` output (as src/cli_rt/spec.cc writes it) with the other
// parts of the spec filled in.
constexpr const char* kFull = R"({
  "ociVersion": "1.0.2",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 24, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6]},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_KILL"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024},
                {"type": "RLIMIT_CORE", "hard": 9223372036854775807, "soft": 0}],
    "noNewPrivileges": true,
    "oomScoreAdj": -1000,
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 7},
    "scheduler": {"policy": "SCHED_BATCH", "nice": -5},
    "apparmorProfile": "unconfined"
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "hutchrt",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    {"destination": "data", "type": "bind", "source": "/srv/data", "options": ["rbind", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/fix-mounts", "args": ["fix-mounts", "arg1"], "env": ["KEY=value"]}],
    "createRuntime": [{"path": "/bin/true"}],
    "poststop": [{"path": "/usr/sbin/cleanup.sh", "timeout": 30}]
  },
  "annotations": {"com.example.key": "value"},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "sysctl": {"net.ipv4.ip_forward": "1"},
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824, "swappiness": 0,
                 "disableOOMKiller": false},
      "cpu": {"shares": 1024, "quota": 100000, "period": 100000, "cpus": "0-1", "mems": "0", "idle": 0},
      "pids": {"limit": 32771},
      "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 500}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
      "unified": {"memory.high": "max", "io.weight": "100"}
    },
    "cgroupsPath": "/myRuntime/myContainer",
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}, {"type": "cgroup"}, {"type": "user"},
                   {"type": "time"}],
    "timeOffsets": {"monotonic": {"secs": 3600, "nanosecs": 5}},
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
                {"path": "/dev/sda", "type": "b", "major": 8, "minor": 0},
                {"path": "/dev/fifo", "type": "p"}],
    "rootfsPropagation": "rslave",
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                   {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                             {"index": 5, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
                   {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
    },
    "maskedPaths": ["/proc/acpi", "/proc/kcore"],
    "readonlyPaths": ["/proc/bus", "/proc/sys"],
    "mountLabel": "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
    "personality": {"domain": "LINUX32"}
  }
})";

TEST(ParseSpec, FullConfig) {
  auto r = parse_spec(kFull);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Spec& s = *r;
  EXPECT_EQ(s.oci_version, "1.0.2");
  EXPECT_EQ(s.root.path, "rootfs");
  EXPECT_TRUE(s.root.readonly);
  EXPECT_EQ(s.hostname, "hutchrt");
  EXPECT_EQ(s.domainname, "example.org");
  EXPECT_EQ(s.annotations.at("com.example.key"), "value");

  ASSERT_TRUE(s.process);
  const Process& p = *s.process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size);
  EXPECT_EQ(p.console_size->height, 24u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.args, std::vector<std::string>{"sh"});
  EXPECT_EQ(p.env.size(), 2u);
  EXPECT_EQ(p.cwd, "/");
  ASSERT_TRUE(p.capabilities);
  EXPECT_EQ(p.capabilities->bounding.size(), 3u);
  EXPECT_EQ(p.capabilities->ambient, std::vector<std::string>{"CAP_KILL"});
  EXPECT_TRUE(p.capabilities->inheritable.empty());
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.rlimits[1].resource, RLIMIT_CORE);
  EXPECT_EQ(p.rlimits[1].hard, uint64_t{INT64_MAX});
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.oom_score_adj, -1000);
  ASSERT_TRUE(p.io_priority);
  EXPECT_EQ(p.io_priority->klass, "IOPRIO_CLASS_BE");
  EXPECT_EQ(p.io_priority->priority, 7);
  ASSERT_TRUE(p.scheduler);
  EXPECT_EQ(p.scheduler->policy, "SCHED_BATCH");
  EXPECT_EQ(p.scheduler->nice, -5);
  EXPECT_EQ(p.apparmor_profile, "unconfined");

  ASSERT_EQ(s.mounts.size(), 8u);
  EXPECT_EQ(s.mounts[1].destination, "/dev");
  EXPECT_EQ(s.mounts[1].options, (std::vector<std::string>{"nosuid", "strictatime", "mode=755", "size=65536k"}));
  EXPECT_TRUE(s.mounts[0].options.empty());
  EXPECT_EQ(s.mounts[7].destination, "/data");  // relative: below "/", as runc does
  ASSERT_EQ(s.mounts[7].uid_mappings.size(), 1u);
  EXPECT_EQ(s.mounts[7].uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(s.mounts[7].gid_mappings[0].size, 65536u);

  ASSERT_TRUE(s.hooks);
  ASSERT_EQ(s.hooks->prestart.size(), 1u);
  EXPECT_EQ(s.hooks->prestart[0].path, "/usr/bin/fix-mounts");
  EXPECT_EQ(s.hooks->prestart[0].args, (std::vector<std::string>{"fix-mounts", "arg1"}));
  EXPECT_EQ(s.hooks->prestart[0].env, std::vector<std::string>{"KEY=value"});
  EXPECT_FALSE(s.hooks->prestart[0].timeout);
  EXPECT_EQ(s.hooks->create_runtime.size(), 1u);
  EXPECT_TRUE(s.hooks->create_container.empty());
  ASSERT_EQ(s.hooks->poststop.size(), 1u);
  EXPECT_EQ(s.hooks->poststop[0].timeout, 30);

  ASSERT_TRUE(s.linux);
  const Linux& l = *s.linux;
  ASSERT_EQ(l.namespaces.size(), 8u);
  EXPECT_EQ(l.namespaces[6].type, NamespaceType::kUser);
  EXPECT_TRUE(s.has_new_namespace(NamespaceType::kNetwork));
  EXPECT_EQ(l.uid_mappings[0].size, 32000u);
  EXPECT_EQ(l.time_offsets.at("monotonic").secs, 3600);
  EXPECT_EQ(l.time_offsets.at("monotonic").nanosecs, 5u);
  ASSERT_EQ(l.devices.size(), 3u);
  EXPECT_EQ(l.devices[0].file_mode, 0666u);
  EXPECT_EQ(l.devices[1].major, 8);
  EXPECT_EQ(l.devices[2].type, "p");
  EXPECT_EQ(l.cgroups_path, "/myRuntime/myContainer");
  EXPECT_EQ(l.rootfs_propagation, "rslave");
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(l.masked_paths.size(), 2u);
  EXPECT_EQ(l.readonly_paths.size(), 2u);
  EXPECT_FALSE(l.mount_label.empty());
  ASSERT_TRUE(l.personality);
  EXPECT_EQ(l.personality->domain, "LINUX32");

  ASSERT_TRUE(l.resources);
  const Resources& res = *l.resources;
  ASSERT_EQ(res.devices.size(), 2u);
  EXPECT_FALSE(res.devices[0].allow);
  EXPECT_TRUE(res.devices[0].type.empty());
  EXPECT_FALSE(res.devices[0].major);
  EXPECT_EQ(res.devices[1].major, 10);
  EXPECT_EQ(res.devices[1].access, "rw");
  ASSERT_TRUE(res.memory);
  EXPECT_EQ(res.memory->limit, 536870912);
  EXPECT_EQ(res.memory->swap, 1073741824);
  EXPECT_EQ(res.memory->swappiness, 0u);  // present and zero, not absent
  EXPECT_EQ(res.memory->disable_oom_killer, false);
  EXPECT_FALSE(res.memory->kernel);
  ASSERT_TRUE(res.cpu);
  EXPECT_EQ(res.cpu->shares, 1024u);
  EXPECT_EQ(res.cpu->quota, 100000);
  EXPECT_EQ(res.cpu->cpus, "0-1");
  EXPECT_EQ(res.cpu->idle, 0);
  EXPECT_FALSE(res.cpu->burst);
  EXPECT_EQ(res.pids_limit, 32771);
  ASSERT_TRUE(res.block_io);
  EXPECT_EQ(res.block_io->weight, 500);
  EXPECT_EQ(res.block_io->weight_device.size(), 1u);
  EXPECT_EQ(res.block_io->throttle_read_bps[0].rate, 600u);
  EXPECT_EQ(res.hugepage_limits[0].page_size, "2MB");
  ASSERT_TRUE(res.network);
  EXPECT_EQ(res.network->class_id, 1048577u);
  EXPECT_EQ(res.network->priorities[0].name, "eth0");
  EXPECT_EQ(res.rdma.at("mlx5_1").hca_handles, 3u);
  EXPECT_EQ(res.unified.at("memory.high"), "max");

  ASSERT_TRUE(l.seccomp);
  const Seccomp& sc = *l.seccomp;
  EXPECT_EQ(sc.default_action, SeccompAction::kErrno);
  EXPECT_EQ(sc.default_errno_ret, 38u);
  EXPECT_EQ(sc.architectures.size(), 2u);
  ASSERT_EQ(sc.syscalls.size(), 3u);
  EXPECT_EQ(sc.syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  ASSERT_EQ(sc.syscalls[1].args.size(), 2u);
  EXPECT_EQ(sc.syscalls[1].args[1].index, 5u);
  EXPECT_EQ(sc.syscalls[1].args[1].value_two, 8u);
  EXPECT_EQ(sc.syscalls[1].args[1].op, SeccompOp::kMaskedEqual);
  EXPECT_EQ(sc.syscalls[2].errno_ret, 1u);
}

TEST(ParseSpec, MinimalConfigAndDefaults) {
  auto r = parse_spec(R"({"ociVersion": "1.2.0", "root": {"path": "/abs/rootfs"}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->process);
  EXPECT_FALSE(r->linux);
  EXPECT_FALSE(r->hooks);
  EXPECT_FALSE(r->root.readonly);
  EXPECT_EQ(r->find_namespace(NamespaceType::kPid), nullptr);
}

TEST(ParseSpec, JoinedUserNamespaceNeedsNoMappings) {
  auto r = parse_spec(R"({"ociVersion": "1.0.2", "root": {"path": "r"},
      "linux": {"namespaces": [{"type": "user", "path": "/proc/1/ns/user"}]}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->has_new_namespace(NamespaceType::kUser));
  EXPECT_NE(r->find_namespace(NamespaceType::kUser), nullptr);
}

TEST(Namespaces, NamesAndFlags) {
  EXPECT_STREQ(namespace_type_name(NamespaceType::kNetwork), "network");
  EXPECT_STREQ(namespace_proc_name(NamespaceType::kNetwork), "net");
  EXPECT_STREQ(namespace_proc_name(NamespaceType::kMount), "mnt");
  EXPECT_EQ(namespace_clone_flag(NamespaceType::kUser), CLONE_NEWUSER);
  EXPECT_EQ(namespace_clone_flag(NamespaceType::kTime), CLONE_NEWTIME);
}

// A config with `extra` members added to a minimal valid one.
std::string with(const std::string& extra) {
  return R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"})" + (extra.empty() ? "" : ", " + extra) + "}";
}

std::string spec_error(const std::string& text) {
  auto r = parse_spec(text);
  return r.ok() ? "no error" : r.error().message();
}

struct ErrorCase {
  const char* extra;  // members added to the minimal config
  const char* want;   // the whole message
};

class SpecErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SpecErrors, NamesTheJsonPath) {
  EXPECT_EQ(spec_error(with(GetParam().extra)), GetParam().want) << GetParam().extra;
}

INSTANTIATE_TEST_SUITE_P(
    All, SpecErrors,
    ::testing::Values(
        ErrorCase{R"("linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "foo"}]})",
                  R"(linux.namespaces[2].type: unknown value "foo")"},
        ErrorCase{R"("linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}]})",
                  "linux.namespaces[1].type: duplicate namespace type"},
        ErrorCase{R"("linux": {"namespaces": [{"type": "net", "path": "proc/1/ns/net"}]})",
                  R"(linux.namespaces[0].type: unknown value "net")"},
        ErrorCase{R"("linux": {"namespaces": [{"type": "network", "path": "proc/1/ns/net"}]})",
                  R"(linux.namespaces[0].path: must be an absolute path, got "proc/1/ns/net")"},
        ErrorCase{R"("linux": {"namespaces": {"type": "pid"}})", "linux.namespaces: expected an array"},
        ErrorCase{R"("process": {"cwd": "tmp"})", R"(process.cwd: must be an absolute path, got "tmp")"},
        ErrorCase{R"("process": {"cwd": ""})", R"(process.cwd: must be an absolute path, got "")"},
        ErrorCase{R"("process": {"env": ["A=1", "NOVALUE"]})", R"(process.env[1]: expected KEY=VALUE, got "NOVALUE")"},
        ErrorCase{R"("process": {"args": ["sh", 1]})", "process.args[1]: expected a string"},
        ErrorCase{R"("process": {"commandLine": "cmd.exe"})", "process.commandLine: is for Windows only"},
        ErrorCase{R"("process": {"terminal": "yes"})", "process.terminal: expected true or false"},
        ErrorCase{R"("process": {"user": {"uid": -1}})", "process.user.uid: expected a non-negative integer, got -1"},
        ErrorCase{R"("process": {"user": {"uid": 4294967296}})", "process.user.uid: value 4294967296 out of range"},
        ErrorCase{R"("process": {"user": {"umask": 512}})", "process.user.umask: must be at most 0777"},
        ErrorCase{R"("process": {"capabilities": {"bounding": ["CAP_KILL", "KILL"]}})",
                  R"(process.capabilities.bounding[1]: unknown capability "KILL")"},
        ErrorCase{R"("process": {"rlimits": [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]})",
                  R"(process.rlimits[0].type: unknown value "RLIMIT_FOO")"},
        ErrorCase{R"("process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                             {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]})",
                  R"(process.rlimits[1].type: duplicate "RLIMIT_NOFILE")"},
        ErrorCase{R"("process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]})",
                  "process.rlimits[0]: soft limit is above the hard limit"},
        ErrorCase{R"("process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1}]})",
                  "process.rlimits[0].hard: expected a non-negative integer"},
        ErrorCase{R"("process": {"oomScoreAdj": 1001})", "process.oomScoreAdj: must be between -1000 and 1000"},
        ErrorCase{R"("process": {"oomScoreAdj": -1001})", "process.oomScoreAdj: must be between -1000 and 1000"},
        ErrorCase{R"("process": {"ioPriority": {"class": "IOPRIO_CLASS_NONE"}})",
                  R"(process.ioPriority.class: unknown value "IOPRIO_CLASS_NONE")"},
        ErrorCase{R"("process": {"ioPriority": {"class": "IOPRIO_CLASS_RT", "priority": 8}})",
                  "process.ioPriority.priority: must be between 0 and 7"},
        ErrorCase{R"("process": {"scheduler": {"policy": "SCHED_FAST"}})",
                  R"(process.scheduler.policy: unknown value "SCHED_FAST")"},
        ErrorCase{R"("hooks": {"prestart": [{"path": "hook.sh"}]})",
                  R"(hooks.prestart[0].path: must be an absolute path, got "hook.sh")"},
        ErrorCase{R"("hooks": {"poststop": [{"path": "/a"}, {"path": "/b", "timeout": 0}]})",
                  "hooks.poststop[1].timeout: must be above 0"},
        ErrorCase{R"("hooks": {"createContainer": [{"args": ["x"]}]})", "hooks.createContainer[0].path: expected a string"},
        ErrorCase{R"("linux": {"devices": [{"path": "/dev/x", "type": "x", "major": 1, "minor": 1}]})",
                  R"(linux.devices[0].type: unknown value "x")"},
        ErrorCase{R"("linux": {"devices": [{"path": "/dev/x", "type": "c", "major": 1}]})",
                  R"(linux.devices[0]: major and minor are required for type "c")"},
        ErrorCase{R"("linux": {"devices": [{"path": "dev/x", "type": "b", "major": 1, "minor": 1}]})",
                  R"(linux.devices[0].path: must be an absolute path, got "dev/x")"},
        ErrorCase{R"("linux": {"namespaces": [{"type": "user"}]})",
                  "linux.uidMappings: a new user namespace needs uid and gid mappings"},
        ErrorCase{R"("linux": {"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]})",
                  "linux.uidMappings: a new user namespace needs uid and gid mappings"},
        ErrorCase{R"("linux": {"uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]})",
                  "linux.uidMappings: mappings need a user namespace"},
        ErrorCase{R"("linux": {"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1, "size": 0}]})",
                  "linux.uidMappings[0].size: must be above 0"},
        ErrorCase{R"("hostname": "box", "linux": {"namespaces": [{"type": "pid"}]})",
                  "hostname: setting the hostname needs a uts namespace"},
        ErrorCase{R"("domainname": "lan", "linux": {"namespaces": []})",
                  "domainname: setting the domainname needs a uts namespace"},
        ErrorCase{R"("linux": {"timeOffsets": {"monotonic": {"secs": 1}}})",
                  "linux.timeOffsets: time offsets need a new time namespace"},
        ErrorCase{R"("linux": {"namespaces": [{"type": "time"}], "timeOffsets": {"realtime": {"secs": 1}}})",
                  "linux.timeOffsets.realtime: unknown clock (expected monotonic or boottime)"},
        ErrorCase{R"("linux": {"rootfsPropagation": "recursive"})", R"(linux.rootfsPropagation: unknown value "recursive")"},
        ErrorCase{R"("linux": {"personality": {"domain": "LINUX64"}})", R"(linux.personality.domain: unknown value "LINUX64")"},
        ErrorCase{R"("linux": {"sysctl": {"net.ipv4.ip_forward": 1}})", "linux.sysctl.net.ipv4.ip_forward: expected a string"},
        ErrorCase{R"("mounts": [{"destination": "/a"}, {"destination": ""}])", "mounts[1].destination: must not be empty"},
        ErrorCase{R"("mounts": [{"type": "tmpfs"}])", "mounts[0].destination: expected a string"},
        ErrorCase{R"("mounts": [{"destination": "/a", "options": "ro"}])", "mounts[0].options: expected an array"},
        ErrorCase{R"("annotations": {"k": 1})", "annotations.k: expected a string"},
        ErrorCase{R"("windows": {})",
                  "config: only the Linux part of the runtime-spec is supported (found windows, solaris or vm)"}));

TEST(ParseSpec, RootIsRequired) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.2"})"), "root: is required");
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.2", "root": {"path": ""}})"), "root.path: must not be empty");
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.2", "root": {}})"), "root.path: expected a string");
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.2", "root": "rootfs"})"), "root: expected an object");
}

TEST(ParseSpec, OciVersion) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "2.0", "root": {"path": "r"}})"),
            R"(ociVersion: unsupported version "2.0" (want 1.x))");
  EXPECT_EQ(spec_error(R"({"ociVersion": "1", "root": {"path": "r"}})"),
            R"(ociVersion: unsupported version "1" (want 1.x))");
  EXPECT_EQ(spec_error(R"({"root": {"path": "r"}})"), "ociVersion: expected a string");
  EXPECT_EQ(spec_error("[]"), "config: expected an object");
}

TEST(ParseSpec, MalformedJsonNamesLineAndColumn) {
  auto r = parse_spec("{\n  \"ociVersion\": \"1.0.2\",\n  \"root\": {\"path\": }\n}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().innermost().rfind("invalid JSON at line 3 column 20: ", 0), 0u) << r.error().message();
  auto dup = parse_spec(R"({"ociVersion": "1.0.2", "ociVersion": "1.0.2", "root": {"path": "r"}})");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message().find("duplicate"), std::string::npos) << dup.error().message();
  EXPECT_FALSE(parse_spec("").ok());
}

// runc refuses a hostname without a private UTS namespace (libcontainer
// configs/validate: "unable to set hostname without a private UTS
// namespace"); with no "linux" section there are no namespaces at all.
TEST(ParseSpec, HostnameWithoutAnyLinuxSectionIsRejected) {
  EXPECT_EQ(spec_error(with(R"("hostname": "box")")), "hostname: setting the hostname needs a uts namespace");
}

// RLIM_INFINITY: podman, CRI-O and containerd write unlimited rlimits as
// 18446744073709551615 (uint64 max), which runc's Go decoder accepts.
TEST(ParseSpec, RlimitInfinityAsUint64Max) {
  auto r = parse_spec(with(R"("process": {"rlimits": [{"type": "RLIMIT_CORE",
      "soft": 18446744073709551615, "hard": 18446744073709551615}]})"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->process->rlimits[0].soft, UINT64_MAX);
  EXPECT_EQ(r->process->rlimits[0].hard, UINT64_MAX);
}

TEST(ParseProcess, ValidAndErrorsUseProcessPath) {
  auto p = parse_process(R"({"args": ["ls", "-l"], "cwd": "/tmp", "env": ["A=b"], "user": {"uid": 5}})");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->args, (std::vector<std::string>{"ls", "-l"}));
  EXPECT_EQ(p->cwd, "/tmp");
  EXPECT_EQ(p->user.uid, 5u);
  EXPECT_EQ(p->user.gid, 0u);
  auto bad = parse_process(R"({"args": ["ls"], "cwd": "rel"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), R"(process.cwd: must be an absolute path, got "rel")");
  auto bad2 = parse_process(R"({"rlimits": [{"type": "RLIMIT_AS", "soft": 10, "hard": 5}]})");
  ASSERT_FALSE(bad2.ok());
  EXPECT_EQ(bad2.error().message(), "process.rlimits[0]: soft limit is above the hard limit");
  EXPECT_FALSE(parse_process("{").ok());
}

}  // namespace
}  // namespace hutch::oci
