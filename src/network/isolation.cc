#include "network/isolation.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/fs.h"
#include "base/json.h"
#include "network/cni.h"

namespace hutch::network {

namespace {

std::string marker(const Network& n, const std::string& dir) { return dir + "/.isolated-" + n.id.substr(0, 12); }

Invocation invocation(const Network& n, const std::vector<std::string>& plugin_dirs) {
  Invocation inv;
  inv.container_id = "hutch-network-" + n.id.substr(0, 12);
  // The plugin works in the host's namespace; CNI wants a path all the same.
  inv.netns = "/proc/self/ns/net";
  inv.ifname = "eth0";
  inv.plugin_dirs = plugin_dirs;
  return inv;
}

}  // namespace

bool isolated(const Network& n) {
  return n.driver == "bridge" && n.hutch_made && !n.pseudo && !n.bridge.empty() && !n.subnets.empty();
}

std::string isolation_conflist(const Network& n) {
  json::Ptr fw(json_pack("{s:s,s:s,s:s}", "type", "firewall", "backend", "iptables", "ingressPolicy", "same-bridge"));
  json::Ptr list(json_object());
  json_object_set_new(list.get(), "cniVersion", json::str("1.0.0"));
  json_object_set_new(list.get(), "name", json::str(n.name));
  json_t* plugins = json_array();
  json_array_append(plugins, fw.get());
  json_object_set_new(list.get(), "plugins", plugins);
  return json::dump(list.get());
}

std::string isolation_prev_result(const Network& n) {
  const Subnet& s = n.subnets.front();
  std::string prefix = s.subnet.substr(s.subnet.find('/'));
  json::Ptr r(json_pack("{s:s,s:[{s:s}],s:[{s:s,s:i}]}", "cniVersion", "1.0.0", "interfaces", "name", n.bridge.c_str(),
                        "ips", "address", (s.gateway + prefix).c_str(), "interface", 0));
  return json::dump(r.get());
}

Status ensure_isolation(const Network& n, const std::string& marker_dir, const std::vector<std::string>& plugin_dirs) {
  if (!isolated(n) || fs::exists(marker(n, marker_dir))) return {};
  auto added = add(isolation_conflist(n), invocation(n, plugin_dirs), isolation_prev_result(n));
  if (!added.ok()) return std::move(added).error().with_context("isolate network \"" + n.name + "\"");
  TRY(fs::mkdir_p(marker_dir, 0700));
  TRY(fs::write_file(marker(n, marker_dir), added->raw, 0600));
  return {};
}

Status remove_isolation(const Network& n, const std::string& marker_dir, const std::vector<std::string>& plugin_dirs) {
  if (!isolated(n)) return {};
  Invocation inv = invocation(n, plugin_dirs);
  inv.netns = "";
  Status st = del(isolation_conflist(n), inv, isolation_prev_result(n));
  if (::unlink(marker(n, marker_dir).c_str()) != 0 && errno != ENOENT && st.ok())
    st = Error::from_errno("remove \"" + marker(n, marker_dir) + "\"");
  return st;
}

}  // namespace hutch::network
