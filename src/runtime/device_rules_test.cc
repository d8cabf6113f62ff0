#include "runtime/device_rules.h"

#include <gtest/gtest.h>

namespace hutch::runtime {
namespace {

std::string show(const oci::DeviceCgroup& d) {
  auto num = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("*"); };
  return std::string(d.allow ? "allow " : "deny ") + (d.type.empty() ? "a" : d.type) + " " + num(d.major) + ":" +
         num(d.minor) + " " + d.access;
}

std::vector<std::string> show_all(const std::vector<oci::DeviceCgroup>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) out.push_back(show(r));
  return out;
}

oci::Spec spec_with_rules(std::vector<oci::DeviceCgroup> rules) {
  oci::Spec s;
  s.linux.emplace();
  s.linux->resources.emplace();
  s.linux->resources->devices = std::move(rules);
  return s;
}

const std::vector<std::string> kImplicit = {
    "allow c *:* m",    "allow b *:* m",    "allow c 1:3 rwm",  "allow c 1:5 rwm", "allow c 1:7 rwm",
    "allow c 1:8 rwm",  "allow c 1:9 rwm",  "allow c 5:0 rwm",  "allow c 5:1 rwm", "allow c 5:2 rwm",
    "allow c 10:200 rwm", "allow c 136:* rwm",
};

TEST(DeviceRules, NothingWithoutSpecRules) {
  oci::Spec s;
  EXPECT_TRUE(effective_device_rules(s).empty());
  s.linux.emplace();
  s.linux->devices.push_back({"c", "/dev/fuse", 10, 229});
  EXPECT_TRUE(effective_device_rules(s).empty());  // host policy stands
  s.linux->resources.emplace();
  EXPECT_TRUE(effective_device_rules(s).empty());
}

TEST(DeviceRules, DenyAllThenImplicitDefaults) {
  oci::DeviceCgroup deny;
  deny.access = "rwm";
  auto rules = effective_device_rules(spec_with_rules({deny}));
  std::vector<std::string> want = {"deny a *:* rwm"};
  want.insert(want.end(), kImplicit.begin(), kImplicit.end());
  EXPECT_EQ(show_all(rules), want);
}

TEST(DeviceRules, SpecRulesKeepTheirOrderAndLinuxDevicesAreAllowed) {
  oci::DeviceCgroup deny;
  deny.access = "rwm";
  oci::DeviceCgroup allow_null{true, "c", 1, 3, "r"};
  oci::Spec s = spec_with_rules({deny, allow_null});
  s.linux->devices.push_back({"c", "/dev/fuse", 10, 229});
  s.linux->devices.push_back({"b", "/dev/sda", 8, 0});
  s.linux->devices.push_back({"p", "/dev/fifo", 0, 0});  // a fifo needs no cgroup rule
  s.linux->devices.push_back({"u", "/dev/raw", 162, 1});  // unbuffered char device
  auto got = show_all(effective_device_rules(s));
  std::vector<std::string> want = {"deny a *:* rwm", "allow c 1:3 r"};
  want.insert(want.end(), kImplicit.begin(), kImplicit.end());
  want.insert(want.end(), {"allow c 10:229 rwm", "allow b 8:0 rwm", "allow c 162:1 rwm"});
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace hutch::runtime
