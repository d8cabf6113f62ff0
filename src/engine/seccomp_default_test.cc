#include "engine/seccomp_default.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace hutch::engine::seccomp {
namespace {

// Every name the converted profile allows (rules without args or errno).
std::vector<std::string> allowed(const json_t* oci) {
  std::vector<std::string> out;
  size_t i;
  json_t* r;
  json_array_foreach(json_object_get(oci, "syscalls"), i, r) {
    if (json::string_of(r, "action") != "SCMP_ACT_ALLOW" || json_object_get(r, "args")) continue;
    for (const auto& n : json::strings_of(json_object_get(r, "names"))) out.push_back(n);
  }
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

const std::vector<std::string> kDefaultCaps = {"CAP_CHOWN", "CAP_SYS_CHROOT", "CAP_KILL"};

TEST(SeccompDefault, Shape) {
  auto oci = to_oci(default_profile(), kDefaultCaps, "amd64");
  ASSERT_TRUE(oci.ok()) << oci.error().message();
  EXPECT_EQ(json::string_of(oci->get(), "defaultAction"), "SCMP_ACT_ERRNO");
  EXPECT_EQ(json_integer_value(json_object_get(oci->get(), "defaultErrnoRet")), EPERM);
  EXPECT_EQ(json::strings_of(json_object_get(oci->get(), "architectures")),
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  auto names = allowed(oci->get());
  for (const char* n : {"read", "write", "openat", "execve", "exit_group", "futex", "arch_prctl", "modify_ldt",
                        "chroot", "ptrace", "clone3"})
    EXPECT_EQ(has(names, n), std::string(n) != "clone3") << n;
  for (const char* n : {"mount", "umount2", "unshare", "setns", "reboot", "init_module", "bpf", "kexec_load",
                        "open_by_handle_at", "settimeofday", "cacheflush", "keyctl", "add_key"})
    EXPECT_FALSE(has(names, n)) << n;
  // clone3 answers ENOSYS so libc falls back to clone, whose flags are checked.
  std::string dump = json::dump(oci->get());
  EXPECT_NE(dump.find(R"({"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38})"), std::string::npos);
  EXPECT_NE(dump.find(R"({"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,)"
                      R"("valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]})"),
            std::string::npos);
  EXPECT_NE(dump.find(R"("value":40,"valueTwo":0,"op":"SCMP_CMP_NE")"), std::string::npos);  // no AF_VSOCK
  EXPECT_NE(dump.find(R"("value":4294967295,"valueTwo":0,"op":"SCMP_CMP_EQ")"), std::string::npos);
}

TEST(SeccompDefault, CapabilitiesOpenSyscalls) {
  auto oci = to_oci(default_profile(), {"CAP_SYS_ADMIN", "CAP_SYS_BOOT"}, "amd64");
  ASSERT_TRUE(oci.ok());
  auto names = allowed(oci->get());
  for (const char* n : {"mount", "umount2", "unshare", "setns", "clone", "clone3", "reboot", "sethostname"})
    EXPECT_TRUE(has(names, n)) << n;
  EXPECT_FALSE(has(names, "chroot"));  // no CAP_SYS_CHROOT
  // The restricted clone rules are gone with CAP_SYS_ADMIN.
  EXPECT_EQ(json::dump(oci->get()).find("SCMP_CMP_MASKED_EQ"), std::string::npos);
}

TEST(SeccompDefault, Arches) {
  auto oci = to_oci(default_profile(), kDefaultCaps, "arm64");
  ASSERT_TRUE(oci.ok());
  EXPECT_EQ(json::strings_of(json_object_get(oci->get(), "architectures")),
            (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  auto names = allowed(oci->get());
  EXPECT_TRUE(has(names, "cacheflush"));
  EXPECT_FALSE(has(names, "arch_prctl"));
  EXPECT_FALSE(to_oci(default_profile(), kDefaultCaps, "vax").ok());
  EXPECT_STRNE(native_arch(), "unknown");
}

TEST(SeccompDefault, MinKernel) {
  auto old = to_oci(default_profile(), kDefaultCaps, "amd64", {4, 4});
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(has(allowed(old->get()), "ptrace"));
  auto recent = to_oci(default_profile(), kDefaultCaps, "amd64", {6, 1});
  EXPECT_TRUE(has(allowed(recent->get()), "ptrace"));
}

TEST(SeccompProfile, ParsesDockerFormat) {
  const char* text = R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": []}],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"name": "mount", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "excludes": {"arches": ["amd64"]}},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}
    ]})";
  auto p = parse_profile(text, "p.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->syscalls.size(), 4u);
  EXPECT_EQ(p->syscalls[1].names, (std::vector<std::string>{"mount"}));
  EXPECT_EQ(p->syscalls[3].args[0].value, UINT64_MAX);
  auto oci = to_oci(*p, {"CAP_CHOWN"}, "amd64");
  ASSERT_TRUE(oci.ok());
  EXPECT_EQ(json::dump(oci->get()),
            R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64",)"
            R"("SCMP_ARCH_X86"],"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},)"
            R"({"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,)"
            R"("valueTwo":0,"op":"SCMP_CMP_EQ"}]}]})");
}

TEST(SeccompProfile, Errors) {
  auto err = [](const char* text) {
    auto p = parse_profile(text, "/etc/p.json");
    return p.ok() ? std::string("no error") : p.error().message();
  };
  EXPECT_EQ(err("{").rfind("seccomp profile \"/etc/p.json\": invalid JSON at line 1", 0), 0u);
  EXPECT_EQ(err("[]"), "seccomp profile \"/etc/p.json\": expected a JSON object");
  EXPECT_EQ(err("{}"), "seccomp profile \"/etc/p.json\": defaultAction: is required");
  EXPECT_EQ(err(R"({"defaultAction": "ALLOW"})"), "seccomp profile \"/etc/p.json\": defaultAction: unknown action \"ALLOW\"");
  EXPECT_EQ(err(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "x"}]})"),
            "seccomp profile \"/etc/p.json\": syscalls[0].action: unknown action \"x\"");
  EXPECT_EQ(err(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]})"),
            "seccomp profile \"/etc/p.json\": syscalls[0]: 'name' and 'names' were specified in the seccomp profile, "
            "use either 'name' or 'names'");
  EXPECT_EQ(err(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})"),
            "seccomp profile \"/etc/p.json\": syscalls[0].args[0].index: out of range");
  EXPECT_EQ(err(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 1, "value": 1, "op": "EQ"}]}]})"),
            "seccomp profile \"/etc/p.json\": syscalls[0].args[0].op: unknown operator \"EQ\"");
  EXPECT_NE(err(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                    "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})").find("use either 'architectures' or 'archMap'"),
            std::string::npos);
  EXPECT_EQ(err(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
                    "includes": {"minKernel": "four"}}]})"),
            "seccomp profile \"/etc/p.json\": syscalls[0].includes.minKernel: expected a kernel version such as "
            "\"4.8\", got \"four\"");
  EXPECT_EQ(err(R"({"defaultAction": "SCMP_ACT_NOTIFY"})"),
            "seccomp profile \"/etc/p.json\": listenerPath: SCMP_ACT_NOTIFY needs a listenerPath");
  EXPECT_EQ(err(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})"),
            "seccomp profile \"/etc/p.json\": syscalls: expected an array");
}

}  // namespace
}  // namespace hutch::engine::seccomp
