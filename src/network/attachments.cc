#include "network/attachments.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <map>
#include <set>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"
#include "network/cni.h"
#include "network/netns.h"

namespace hutch::network {

namespace {

constexpr const char* kComponent = "network";

std::string short_id(const std::string& id) { return id.substr(0, 12); }

json_t* ports_json(const std::vector<PortMapping>& ports) {
  json_t* a = json_array();
  for (const auto& p : ports)
    json_array_append_new(a, json_pack("{s:s,s:i,s:i,s:s}", "hostIP", p.host_ip.c_str(), "hostPort", p.host_port,
                                       "containerPort", p.container_port, "protocol", p.protocol.c_str()));
  return a;
}

std::vector<PortMapping> ports_of(const json_t* a) {
  std::vector<PortMapping> out;
  size_t i;
  json_t* v;
  json_array_foreach(a, i, v) {
    PortMapping p;
    p.host_ip = json::string_of(v, "hostIP");
    p.host_port = static_cast<uint16_t>(json_integer_value(json_object_get(v, "hostPort")));
    p.container_port = static_cast<uint16_t>(json_integer_value(json_object_get(v, "containerPort")));
    p.protocol = json::string_of(v, "protocol");
    out.push_back(std::move(p));
  }
  return out;
}

json_t* to_json(const Record& r) {
  json_t* o = json_object();
  json_object_set_new(o, "id", json::str(r.id));
  json_object_set_new(o, "name", json::str(r.name));
  json_object_set_new(o, "netns", json::str(r.netns));
  json_object_set_new(o, "plugin_dirs", json::string_array(r.plugin_dirs));
  json_object_set_new(o, "hosts_path", json::str(r.hosts_path));
  json_t* h = json_object();
  json_object_set_new(h, "hostname", json::str(r.hosts.hostname));
  json_object_set_new(h, "ip", json::str(r.hosts.ip));
  json_object_set_new(h, "names", json::string_array(r.hosts.names));
  json_t* extra = json_array();
  for (const auto& e : r.hosts.extra_hosts)
    json_array_append_new(extra, json_pack("{s:s,s:s}", "name", e.name.c_str(), "ip", e.ip.c_str()));
  json_object_set_new(h, "extra_hosts", extra);
  json_object_set_new(o, "hosts", h);
  json_t* atts = json_array();
  for (const auto& a : r.attachments) {
    json_t* j = json_object();
    json_object_set_new(j, "network", json::str(a.network));
    json_object_set_new(j, "network_id", json::str(a.network_id));
    json_object_set_new(j, "ifname", json::str(a.ifname));
    json_object_set_new(j, "conflist", json::str(a.conflist));
    json_object_set_new(j, "result", json::str(a.result));
    json_object_set_new(j, "ports", ports_json(a.ports));
    json_object_set_new(j, "static_ip", json::str(a.static_ip));
    json_object_set_new(j, "mac_request", json::str(a.mac_request));
    json_object_set_new(j, "aliases", json::string_array(a.aliases));
    json_object_set_new(j, "dns", json_boolean(a.dns));
    json_t* ips = json_array();
    for (const auto& ip : a.ips)
      json_array_append_new(ips, json_pack("{s:s,s:s}", "address", ip.address.c_str(), "gateway", ip.gateway.c_str()));
    json_object_set_new(j, "ips", ips);
    json_object_set_new(j, "mac", json::str(a.mac));
    json_array_append_new(atts, j);
  }
  json_object_set_new(o, "attachments", atts);
  return o;
}

Result<Record> from_json(const json_t* o) {
  if (!json_is_object(o)) return Error::plain(EINVAL, "not a JSON object");
  Record r;
  r.id = json::string_of(o, "id");
  r.name = json::string_of(o, "name");
  r.netns = json::string_of(o, "netns");
  r.plugin_dirs = json::strings_of(json_object_get(o, "plugin_dirs"));
  r.hosts_path = json::string_of(o, "hosts_path");
  const json_t* h = json_object_get(o, "hosts");
  r.hosts.hostname = json::string_of(h, "hostname");
  r.hosts.ip = json::string_of(h, "ip");
  r.hosts.names = json::strings_of(json_object_get(h, "names"));
  {
    size_t k;
    json_t* e;
    json_array_foreach(json_object_get(h, "extra_hosts"), k, e)
        r.hosts.extra_hosts.push_back({json::string_of(e, "name"), json::string_of(e, "ip")});
  }
  if (r.id.empty()) return Error::plain(EINVAL, "no container id");
  size_t i;
  json_t* j;
  json_array_foreach(json_object_get(o, "attachments"), i, j) {
    Attachment a;
    a.network = json::string_of(j, "network");
    a.network_id = json::string_of(j, "network_id");
    a.ifname = json::string_of(j, "ifname");
    a.conflist = json::string_of(j, "conflist");
    a.result = json::string_of(j, "result");
    a.ports = ports_of(json_object_get(j, "ports"));
    a.static_ip = json::string_of(j, "static_ip");
    a.mac_request = json::string_of(j, "mac_request");
    a.aliases = json::strings_of(json_object_get(j, "aliases"));
    a.dns = json_is_true(json_object_get(j, "dns"));
    size_t k;
    json_t* ip;
    json_array_foreach(json_object_get(j, "ips"), k, ip)
        a.ips.push_back({json::string_of(ip, "address"), json::string_of(ip, "gateway")});
    a.mac = json::string_of(j, "mac");
    r.attachments.push_back(std::move(a));
  }
  return r;
}

}  // namespace

const IpConfig* Attachment::ipv4_config() const {
  for (const auto& ip : ips)
    if (ip.address.find(':') == std::string::npos) return &ip;
  return nullptr;
}

std::string Attachment::ipv4() const {
  const IpConfig* ip = ipv4_config();
  return ip ? ip->address.substr(0, ip->address.find('/')) : "";
}

std::string record_path(const std::string& dir, const std::string& id) { return dir + "/" + short_id(id) + ".json"; }
std::string netns_path(const std::string& dir, const std::string& id) { return dir + "/" + short_id(id); }

Result<UniqueFd> lock(const std::string& dir) {
  TRY(fs::mkdir_p(dir, 0700));
  return fs::lock_file(dir + "/.lock");
}

Status save(const std::string& dir, const Record& r) {
  json::Ptr j(to_json(r));
  // tmpfs: durability buys nothing here, the rename keeps readers whole.
  std::string path = record_path(dir, r.id);
  std::string tmp = path + ".tmp";
  TRY(fs::write_file(tmp, json::dump(j.get()), 0600));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error(e, "rename \"" + tmp + "\"");
  }
  return {};
}

Result<Record> load(const std::string& dir, const std::string& id) {
  std::string path = record_path(dir, id);
  ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  auto j = json::parse(text);
  if (!j.ok()) return std::move(j).error().with_context("read \"" + path + "\"");
  auto r = from_json(j->get());
  if (!r.ok()) return std::move(r).error().with_context("read \"" + path + "\"");
  return r;
}

std::vector<Record> load_all(const std::string& dir) {
  std::vector<Record> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() == 17 && n.compare(12, 5, ".json") == 0) names.push_back(n.substr(0, 12));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    auto r = load(dir, n);
    if (r.ok()) out.push_back(std::move(*r));
    else if (r.error().code() != ENOENT) log::warn(kComponent, r.error().message());
  }
  return out;
}

Status refresh_hosts(const std::string& dir, const std::vector<std::string>& networks) {
  std::set<std::string> wanted(networks.begin(), networks.end());
  std::vector<Record> all = load_all(dir);
  // Per network with names: every member's address and names.
  std::map<std::string, std::vector<std::pair<const Record*, const Attachment*>>> members;
  for (const auto& r : all)
    for (const auto& a : r.attachments)
      if (a.dns && !a.ipv4().empty()) members[a.network].push_back({&r, &a});
  Status first;
  for (const auto& r : all) {
    bool touched = false;
    for (const auto& a : r.attachments) touched |= a.dns && wanted.count(a.network);
    if (!touched || r.hosts_path.empty()) continue;
    HostsInput in = r.hosts;
    std::set<std::string> seen;
    for (const auto& a : r.attachments) {
      if (!a.dns) continue;
      for (const auto& [peer, pa] : members[a.network]) {
        if (peer->id == r.id || !seen.insert(peer->id + "/" + pa->network).second) continue;
        HostEntry e;
        e.ip = pa->ipv4();
        e.names.push_back(peer->name);
        for (const auto& alias : pa->aliases) e.names.push_back(alias);
        e.names.push_back(peer->id.substr(0, 12));
        in.peers.push_back(std::move(e));
      }
    }
    if (auto st = rewrite_in_place(r.hosts_path, render_hosts(in)); !st.ok() && first.ok()) first = std::move(st);
  }
  return first;
}

namespace {

// The CNI parameters of one attachment; ADD and DEL take the same ones.
Invocation invocation(const Record& r, const Attachment& a) {
  Invocation inv;
  inv.container_id = r.id;
  inv.netns = r.netns;
  inv.ifname = a.ifname;
  inv.plugin_dirs = r.plugin_dirs;
  inv.runtime_config.port_mappings = a.ports;
  if (!a.static_ip.empty()) inv.runtime_config.ips = {a.static_ip};
  inv.runtime_config.mac = a.mac_request;
  inv.runtime_config.aliases = a.aliases;
  return inv;
}

}  // namespace

Status attach(const Record& r, Attachment& a) {
  ASSIGN_OR_RETURN(AddResult res, add(a.conflist, invocation(r, a)));
  a.result = std::move(res.raw);
  a.ips = std::move(res.ips);
  a.mac = std::move(res.mac);
  return {};
}

Status detach(const Record& r, const Attachment& a) {
  Invocation inv = invocation(r, a);
  if (!is_netns(r.netns)) inv.netns = "";  // gone: the plugins clean up the host side
  return del(a.conflist, inv, a.result);   // its errors name the network
}

Status teardown(const std::string& dir, const std::string& id) {
  ASSIGN_OR_RETURN(UniqueFd held, lock(dir));
  auto rec = load(dir, id);
  if (!rec.ok()) {
    if (rec.error().code() != ENOENT) return std::move(rec).error();
    // No record: a setup that died before writing one may have left the namespace.
    return remove_netns(netns_path(dir, id));
  }
  Status first;
  std::vector<std::string> networks;
  for (auto it = rec->attachments.rbegin(); it != rec->attachments.rend(); ++it) {
    networks.push_back(it->network);
    if (auto st = detach(*rec, *it); !st.ok()) {
      log::warn(kComponent, "container \"" + rec->name + "\": " + st.error().message());
      if (first.ok()) first = std::move(st);
    }
  }
  if (auto st = remove_netns(rec->netns.empty() ? netns_path(dir, id) : rec->netns); !st.ok() && first.ok())
    first = std::move(st);
  if (::unlink(record_path(dir, id).c_str()) != 0 && errno != ENOENT && first.ok())
    first = Error::from_errno("remove \"" + record_path(dir, id) + "\"");
  if (auto st = refresh_hosts(dir, networks); !st.ok()) log::warn(kComponent, st.error().message());
  return first;
}

}  // namespace hutch::network
