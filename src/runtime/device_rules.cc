#include "runtime/device_rules.h"

namespace hutch::runtime {
namespace {

oci::DeviceCgroup allow(const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                        const char* access) {
  oci::DeviceCgroup d;
  d.allow = true;
  d.type = type;
  d.major = major;
  d.minor = minor;
  d.access = access;
  return d;
}

}  // namespace

std::vector<oci::DeviceCgroup> effective_device_rules(const oci::Spec& spec) {
  std::vector<oci::DeviceCgroup> rules;
  if (spec.linux && spec.linux->resources) rules = spec.linux->resources->devices;
  // Without any rule the host's policy stands (nothing to add to).
  if (rules.empty()) return rules;
  rules.push_back(allow("c", std::nullopt, std::nullopt, "m"));
  rules.push_back(allow("b", std::nullopt, std::nullopt, "m"));
  for (auto [maj, min] : {std::pair{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {10, 200}})
    rules.push_back(allow("c", maj, min, "rwm"));
  rules.push_back(allow("c", 136, std::nullopt, "rwm"));  // /dev/pts/*
  if (spec.linux) {
    for (const auto& d : spec.linux->devices) {
      if (d.type == "p") continue;
      rules.push_back(allow(d.type == "b" ? "b" : "c", d.major, d.minor, "rwm"));
    }
  }
  return rules;
}

}  // namespace hutch::runtime
