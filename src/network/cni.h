// CNI: connecting a container's network namespace to a network by running
// the plugins of a network configuration list, as the CNI spec (SPEC.md,
// section 3 "Execution of Network Configurations") tells a runtime to:
// ADD through the plugins in order, each given the previous one's result
// as "prevResult"; DEL in reverse; CHECK in order. Dynamic settings
// (published ports, a requested address or MAC) reach only the plugins
// whose "capabilities" ask for them, under "runtimeConfig" (CONVENTIONS.md).
//
// Plugins are executables found in the plugin directories (CNI_PATH); each
// runs with a clean environment, its configuration on stdin, and a time
// limit. No shell, no threads: the single-threaded static monitor uses this.
// Thread-safety: no shared state; forks children (waits only for its own).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "network/types.h"

namespace hutch::network {

// CONVENTIONS.md runtimeConfig: each key is given only to plugins whose
// "capabilities" enable it, and only when it has a value here.
struct RuntimeConfig {
  std::vector<PortMapping> port_mappings;  // "portMappings"
  std::vector<std::string> ips;            // "ips": "172.20.0.5/16" or "172.20.0.5"
  std::string mac;                         // "mac"
  std::vector<std::string> aliases;        // "aliases"
};

// One attachment of a container to a network: the CNI_* parameters.
struct Invocation {
  std::string container_id;              // CNI_CONTAINERID
  std::string netns;                     // CNI_NETNS, a path; "" for DEL when it is gone
  std::string ifname;                    // CNI_IFNAME ("eth0")
  std::vector<std::string> plugin_dirs;  // CNI_PATH, searched for each plugin's "type"
  // CNI_ARGS, "K=V;K2=V2" (deprecated by the spec, still read by host-local's IP=).
  std::vector<std::pair<std::string, std::string>> args;
  RuntimeConfig runtime_config;
  int timeout_ms = 60000;  // per plugin run; the plugin is killed after it
};

struct AddResult {
  std::string raw;            // the list's final result: give it back to del() and check()
  std::vector<IpConfig> ips;  // "ips" (or a 0.2.0 result's "ip4"/"ip6")
  std::string mac;            // of the interface named ifname inside the sandbox; may be ""
};

// A parsed network configuration list.
struct ConfList {
  std::string name;
  std::string cni_version;
  bool disable_check = false;            // "disableCheck"
  std::vector<std::string> plugin_json;  // each plugin's object, compact JSON
  std::vector<std::string> types;        // each plugin's "type"
};

// Validates a conflist: "name", "cniVersion" (x.y.z), a non-empty
// "plugins" array of objects each with a plain-name "type". A single
// plugin configuration (a .conf: "type" at the top) is taken as a list of
// one. Errors name the JSON path ("plugins[1].type").
Result<ConfList> parse_conflist(const std::string& json);

// Runs ADD through every plugin in order. When plugin k fails, runs DEL on
// plugins k..0 (best effort) so nothing stays half set up, and returns
// `network "NAME": plugin "TYPE": <msg>: <details>`.
// `first_prev` (a result) is given to the first plugin as prevResult: for
// a meta plugin run on its own (the firewall's per-network isolation).
Result<AddResult> add(const std::string& conflist_json, const Invocation& inv, const std::string& first_prev = "");

// Runs DEL through the plugins in reverse with `prev_result` (AddResult::raw;
// may be "") as prevResult. Best effort: goes on past failures and returns
// the first. Works with inv.netns "" (the plugins clean up the host side).
Status del(const std::string& conflist_json, const Invocation& inv, const std::string& prev_result);

// Runs CHECK through the plugins in order (cniVersion 0.4.0 and later;
// OK without running anything when the list sets "disableCheck").
Status check(const std::string& conflist_json, const Invocation& inv, const std::string& prev_result);

// $CNI_PATH split on ':', else those of /usr/lib/cni, /usr/libexec/cni and
// /opt/cni/bin that exist.
std::vector<std::string> default_plugin_dirs();

// Building blocks of the above, public for tests.

// The configuration plugin `index` of `list` gets on stdin: its object plus
// "name", "cniVersion", "prevResult" (when `prev_result` is not "") and
// "runtimeConfig" (the keys of `rc` its "capabilities" enable and that are set).
Result<std::string> plugin_config(const ConfList& list, size_t index, const RuntimeConfig& rc,
                                  const std::string& prev_result);

// Reads a plugin's ADD result of any spec version: "ips" (0.3.0 and later)
// or "ip4"/"ip6" (0.1.0, 0.2.0), and the MAC of the sandbox interface `ifname`.
Result<AddResult> parse_result(const std::string& json, const std::string& ifname);

// Compares two "x.y.z" versions: <0, 0, >0. Missing parts count as 0.
int compare_versions(const std::string& a, const std::string& b);

}  // namespace hutch::network
