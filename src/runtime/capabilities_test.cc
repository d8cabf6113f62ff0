#include "runtime/capabilities.h"

#include <gtest/gtest.h>
#include <linux/capability.h>

#include "base/fs.h"
#include "base/strings.h"

namespace hutch::runtime {
namespace {

TEST(Capabilities, NumberOfName) {
  EXPECT_EQ(capability_number("CAP_CHOWN"), 0);
  EXPECT_EQ(capability_number("CAP_KILL"), CAP_KILL);
  EXPECT_EQ(capability_number("CAP_NET_BIND_SERVICE"), CAP_NET_BIND_SERVICE);
  EXPECT_EQ(capability_number("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(capability_number("CAP_AUDIT_READ"), 37);
  EXPECT_EQ(capability_number("CAP_PERFMON"), 38);
  EXPECT_EQ(capability_number("CAP_BPF"), 39);
  EXPECT_EQ(capability_number("CAP_CHECKPOINT_RESTORE"), 40);
  for (const char* bad : {"", "CAP_", "chown", "cap_chown", "CHOWN", "CAP_FOO", "CAP_CHOWN "})
    EXPECT_EQ(capability_number(bad), std::nullopt) << bad;
}

TEST(Capabilities, NameRoundTrip) {
  for (int i = 0; i <= 40; ++i) {
    std::string name = capability_name(i);
    EXPECT_TRUE(starts_with(name, "CAP_")) << i;
    EXPECT_NE(name, "CAP_UNKNOWN") << i;
    EXPECT_EQ(capability_number(name), i) << name;
  }
  EXPECT_STREQ(capability_name(-1), "CAP_UNKNOWN");
  EXPECT_STREQ(capability_name(41), "CAP_UNKNOWN");
  EXPECT_STREQ(capability_name(CAP_SETPCAP), "CAP_SETPCAP");
}

TEST(Capabilities, LastCapabilityMatchesTheKernel) {
  auto text = fs::read_file("/proc/sys/kernel/cap_last_cap");
  if (!text.ok()) GTEST_SKIP() << "no /proc/sys/kernel/cap_last_cap: " << text.error().message();
  EXPECT_EQ(last_capability(), parse_int(trim(*text)).value_or(-1));
  EXPECT_GE(last_capability(), CAP_AUDIT_READ);
}

TEST(Capabilities, PlanBuildsMasksPerSet) {
  oci::Capabilities c;
  c.bounding = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  c.effective = {"CAP_KILL"};
  c.permitted = {"CAP_KILL", "CAP_CHOWN"};
  c.inheritable = {};
  c.ambient = {"CAP_CHECKPOINT_RESTORE"};
  std::vector<std::string> unknown;
  CapSets s = plan_capabilities(c, 40, &unknown);
  EXPECT_EQ(s.bounding, (1ULL << CAP_AUDIT_WRITE) | (1ULL << CAP_KILL) | (1ULL << CAP_NET_BIND_SERVICE));
  EXPECT_EQ(s.effective, 1ULL << CAP_KILL);
  EXPECT_EQ(s.permitted, (1ULL << CAP_KILL) | 1ULL);
  EXPECT_EQ(s.inheritable, 0u);
  EXPECT_EQ(s.ambient, 1ULL << 40);
  EXPECT_TRUE(unknown.empty());
}

TEST(Capabilities, UnknownAndNewerThanKernelAreCollected) {
  oci::Capabilities c;
  c.bounding = {"CAP_KILL", "CAP_FOO", "CAP_BPF"};
  c.effective = {"CAP_CHECKPOINT_RESTORE", "CAP_KILL"};
  std::vector<std::string> unknown;
  // A kernel whose last capability is CAP_AUDIT_READ (37): BPF and
  // CHECKPOINT_RESTORE are skipped with a warning, not an error.
  CapSets s = plan_capabilities(c, 37, &unknown);
  EXPECT_EQ(s.bounding, 1ULL << CAP_KILL);
  EXPECT_EQ(s.effective, 1ULL << CAP_KILL);
  EXPECT_EQ(unknown, (std::vector<std::string>{"CAP_FOO", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"}));
  CapSets same = plan_capabilities(c, 37, nullptr);  // no collector: still fine
  EXPECT_EQ(same.bounding, s.bounding);
}

}  // namespace
}  // namespace hutch::runtime
