// Unit tests for linux.resources and linux.seccomp parsing (resources_parse.cc),
// inside a config and as `update --resources` documents.
#include <gtest/gtest.h>

#include <string>

#include "oci/spec.h"

namespace hutch::oci {
namespace {

std::string linux_error(const std::string& linux_member) {
  auto r = parse_spec(R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "linux": {)" + linux_member + "}}");
  return r.ok() ? "no error" : r.error().message();
}

struct ErrorCase {
  const char* extra;  // members of "linux"
  const char* want;   // the whole message
};

class ResourcesErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ResourcesErrors, NamesTheJsonPath) {
  EXPECT_EQ(linux_error(GetParam().extra), GetParam().want) << GetParam().extra;
}

INSTANTIATE_TEST_SUITE_P(
    All, ResourcesErrors,
    ::testing::Values(
        ErrorCase{R"("seccomp": {"defaultAction": "SCMP_ACT_FOO"})",
                  R"(linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO")"},
        ErrorCase{R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["x"], "action": "ALLOW"}]})",
                  R"(linux.seccomp.syscalls[1].action: unknown action "ALLOW")"},
        ErrorCase{R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
                  "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}]})",
                  R"(linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_FOO")"},
        ErrorCase{R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
                  "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQ"},
                  {"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
                  "linux.seccomp.syscalls[0].args[1].index: index 6 out of range (0-5)"},
        ErrorCase{R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [],
                  "action": "SCMP_ACT_ERRNO"}]})",
                  "linux.seccomp.syscalls[0].names: must list at least one syscall"},
        ErrorCase{R"("seccomp": {"defaultAction": "SCMP_ACT_NOTIFY"})",
                  "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs a listenerPath"},
        ErrorCase{R"("resources": {"memory": {"limit": 2097152, "swap": 1048576}})",
                  "linux.resources.memory.swap: memory+swap limit must not be below the memory limit"},
        ErrorCase{R"("resources": {"memory": {"swappiness": 101}})",
                  "linux.resources.memory.swappiness: must be between 0 and 100"},
        ErrorCase{R"("resources": {"unified": {"../cgroup.procs": "1"}})",
                  "linux.resources.unified.../cgroup.procs: not a cgroup interface file name"},
        ErrorCase{R"("resources": {"unified": {"memorymax": "1"}})",
                  "linux.resources.unified.memorymax: not a cgroup interface file name"},
        ErrorCase{R"("resources": {"devices": [{"allow": true, "access": "rwx"}]})",
                  R"(linux.resources.devices[0].access: unknown access "rwx")"},
        ErrorCase{R"("resources": {"devices": [{"allow": true, "type": "p"}]})",
                  R"(linux.resources.devices[0].type: unknown value "p")"},
        ErrorCase{R"("resources": {"devices": [{"access": "r"}]})",
                  "linux.resources.devices[0].allow: expected true or false"},
        ErrorCase{R"("resources": {"blockIO": {"weight": 5}})",
                  "linux.resources.blockIO.weight: must be between 10 and 1000, got 5"}));

TEST(ParseResources, SwapMinusOneMeansUnlimited) {
  auto r = parse_resources(R"({"memory": {"limit": 1048576, "swap": -1}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->memory->swap, -1);
}

TEST(ParseResources, ValidAndErrorsUseResourcesPath) {
  auto r = parse_resources(R"({"pids": {"limit": -1}, "cpu": {"quota": -1, "period": 100000},
                               "memory": {"limit": 1073741824}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->pids_limit, -1);
  EXPECT_EQ(r->cpu->quota, -1);
  EXPECT_FALSE(r->memory->swap);
  EXPECT_FALSE(r->block_io);
  auto bad = parse_resources(R"({"unified": {"a/b.max": "1"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "resources.unified.a/b.max: not a cgroup interface file name");
  auto bad2 = parse_resources(R"({"memory": {"limit": 100, "swap": 50}})");
  ASSERT_FALSE(bad2.ok());
  EXPECT_EQ(bad2.error().message(), "resources.memory.swap: memory+swap limit must not be below the memory limit");
  auto bad3 = parse_resources(R"({"blockIO": {"throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": -3}]}})");
  ASSERT_FALSE(bad3.ok());
  EXPECT_EQ(bad3.error().message(),
            "resources.blockIO.throttleWriteIOPSDevice[0].rate: expected a non-negative integer, got -3");
}

}  // namespace
}  // namespace hutch::oci
