#include "engine/container_network.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/scope.h"
#include "base/strings.h"
#include "network/attachments.h"
#include "network/cni.h"
#include "network/etc_files.h"
#include "network/isolation.h"
#include "network/nat.h"
#include "network/netns.h"
#include "network/ports.h"
#include "network/store.h"

namespace hutch::engine {

namespace {

constexpr const char* kComponent = "network";

bool running(state::Status s) {
  return s == state::Status::kRunning || s == state::Status::kPaused || s == state::Status::kRestarting;
}

Result<network::Store> open_store(const ContainerPaths& p) {
  return network::Store::open(p.networks_dir(), p.ipam_dir());
}

// Whether a record's container still holds what the record names: it
// runs, or a monitor (starting it, or tearing it down) or its process is
// alive. Records of containers that hold nothing are leftovers.
bool holds_network(const Result<state::ContainerRow>& row) {
  if (!row.ok()) return false;
  if (running(row->status) || Containers::monitor_alive(*row)) return true;
  return row->pid > 0 && process_start_time(row->pid) != 0;
}

// Containers that ended a moment ago may still be tearing their networks
// down (their monitor): their ports are about to be free, so wait for that
// (bounded) rather than refuse a port that is being let go. Called before
// taking the lock, which their teardown needs.
void wait_for_ending(Containers& c, const std::string& self) {
  for (int tries = 0; tries < 200; ++tries) {
    bool ending = false;
    for (const auto& r : network::load_all(c.paths().netns_dir())) {
      if (r.id == self) continue;
      auto row = c.db().get(r.id);
      ending |= row.ok() && !running(row->status) && Containers::monitor_alive(*row) && row->pid == 0;
    }
    if (!ending) return;
    ::usleep(50'000);
  }
}

// The ports other containers published: portmap binds nothing, so only
// these records tell a taken port from a free one. A container still
// starting counts (its row says running only once it started).
std::vector<network::PortMapping> ports_taken(Containers& c, const std::string& self) {
  std::vector<network::PortMapping> out;
  for (const auto& r : network::load_all(c.paths().netns_dir())) {
    if (r.id == self || !holds_network(c.db().get(r.id))) continue;
    for (const auto& a : r.attachments) out.insert(out.end(), a.ports.begin(), a.ports.end());
  }
  return out;
}

const json_t* host_config(const json_t* doc) { return json_object_get(doc, "HostConfig"); }

// The networks in the config, in the order they were joined (NetworkMode
// first): name -> endpoint settings ({Aliases, IPAMConfig, MacAddress}).
std::vector<std::pair<std::string, const json_t*>> endpoints_of(const json_t* doc) {
  std::vector<std::pair<std::string, const json_t*>> out;
  std::string mode = json::string_of(host_config(doc), "NetworkMode");
  const json_t* nets = json_object_get(doc, "Networks");
  if (const json_t* first = json_object_get(nets, mode.c_str())) out.push_back({mode, first});
  const char* k;
  json_t* v;
  json_object_foreach(const_cast<json_t*>(nets), k, v) if (k != mode) out.push_back({k, v});
  if (out.empty() && uses_cni(mode)) out.push_back({mode, nullptr});
  return out;
}

std::string endpoint_ip(const json_t* ep) {
  return json::string_of(json_object_get(ep, "IPAMConfig"), "IPv4Address");
}

// The conflist this container needs from a network hutch made: its
// portmap plugin only with published ports, its tuning plugin only with a
// --mac-address (each plugin run is an exec, and portmap's DEL several
// iptables runs). A user's own conflist is used as written. The record
// keeps what ADD was given, so DEL runs the same plugins.
Result<std::string> conflist_for(const network::Network& n, bool ports, bool mac) {
  if (!n.hutch_made || (ports && mac)) return n.conflist;
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(n.conflist));
  json_t* plugins = json_object_get(doc.get(), "plugins");
  json_t* kept = json_array();
  size_t i;
  json_t* p;
  json_array_foreach(plugins, i, p) {
    std::string type = json::string_of(p, "type");
    if ((type == "portmap" && !ports) || (type == "tuning" && !mac)) continue;
    json_array_append(kept, p);
  }
  json_object_set_new(doc.get(), "plugins", kept);
  return json::dump(doc.get());
}

// One network's attachment before CNI ADD; `index` names the interface
// (eth0, eth1...).
Result<network::Attachment> prepare_attachment(const network::Network& n, const json_t* ep, size_t index,
                                               std::vector<network::PortMapping> ports) {
  network::Attachment a;
  a.network = n.name;
  a.network_id = n.id;
  a.ifname = "eth" + std::to_string(index);
  a.dns = n.dns();
  a.ports = std::move(ports);
  a.aliases = json::strings_of(json_object_get(ep, "Aliases"));
  a.static_ip = endpoint_ip(ep);
  a.mac_request = json::string_of(ep, "MacAddress");
  ASSIGN_OR_RETURN(a.conflist, conflist_for(n, !a.ports.empty(), !a.mac_request.empty()));
  return a;
}

// The container's /etc/hosts (its own part, then the other containers on
// its user networks) and /etc/resolv.conf, from its config and what its
// networks gave it.
Status write_etc(const ContainerPaths& p, const state::ContainerRow& row, const json_t* doc, network::Record& rec) {
  const json_t* hc = host_config(doc);
  network::HostsInput& h = rec.hosts;
  h.hostname = json::string_of(json_object_get(doc, "Config"), "Hostname");
  std::string gateway;
  for (const auto& a : rec.attachments) {
    if (a.ipv4().empty()) continue;
    if (h.ip.empty()) {
      h.ip = a.ipv4();
      gateway = a.ipv4_config()->gateway;
    }
    if (!a.dns) continue;
    // docker: on user networks a container answers to its name and aliases.
    if (std::find(h.names.begin(), h.names.end(), row.name) == h.names.end()) h.names.push_back(row.name);
    for (const auto& alias : a.aliases)
      if (std::find(h.names.begin(), h.names.end(), alias) == h.names.end()) h.names.push_back(alias);
  }
  for (const auto& e : json::strings_of(json_object_get(hc, "ExtraHosts"))) {
    ASSIGN_OR_RETURN(network::ExtraHost x, network::parse_add_host(e));
    if (x.ip == "host-gateway") {
      if (gateway.empty())
        return Error::plain(EINVAL, "--add-host " + e + ": the container's network has no gateway for host-gateway");
      x.ip = gateway;
    }
    h.extra_hosts.push_back(std::move(x));
  }
  auto host_resolv = fs::read_file(network::host_resolv_conf_path());
  ASSIGN_OR_RETURN(std::string resolv,
                   network::render_resolv_conf(host_resolv.ok() ? *host_resolv : "",
                                               json::strings_of(json_object_get(hc, "Dns")),
                                               json::strings_of(json_object_get(hc, "DnsSearch")),
                                               json::strings_of(json_object_get(hc, "DnsOptions"))));
  std::string dir = p.dir(row.id);
  TRY(network::rewrite_in_place(dir + "/hosts", network::render_hosts(h)));
  TRY(network::rewrite_in_place(dir + "/resolv.conf", resolv));
  return {};
}

}  // namespace

bool uses_cni(const std::string& mode) {
  return !mode.empty() && mode != "none" && mode != "host" && !starts_with(mode, "container:");
}

Result<NetworkSetup> NetworkSetup::begin(Containers& c, const state::ContainerRow& row) {
  NetworkSetup setup;
  ASSIGN_OR_RETURN(json::Ptr doc, Containers::config_of(row));
  std::string mode = json::string_of(host_config(doc.get()), "NetworkMode");
  if (!uses_cni(mode)) return setup;
  const ContainerPaths& p = c.paths();
  std::string dir = p.netns_dir();
  // What a run that died half-way left.
  (void)network::teardown(dir, row.id);
  wait_for_ending(c, row.id);
  ASSIGN_OR_RETURN(network::Store store, open_store(p));
  ASSIGN_OR_RETURN(UniqueFd held, network::lock(dir));

  // Everything that can be refused is refused here, before anything is
  // set up: unknown networks, busy ports.
  std::vector<std::pair<network::Network, const json_t*>> nets;
  for (const auto& [name, ep] : endpoints_of(doc.get())) {
    ASSIGN_OR_RETURN(network::Network n, store.find(name));
    // The config names networks by name: an id prefix matching another
    // network (this one was removed) is not it.
    if (n.name != name) return Error::plain(ENOENT, "network \"" + name + "\" not found");
    if (n.pseudo) return Error::plain(EINVAL, "network \"" + name + "\" cannot be joined along with others");
    nets.push_back({std::move(n), ep});
  }
  const json_t* hc = host_config(doc.get());
  ASSIGN_OR_RETURN(network::PortBindings bindings, network::port_bindings_from_json(json_object_get(hc, "PortBindings")));
  if (json_is_true(json_object_get(hc, "PublishAllPorts"))) {
    ASSIGN_OR_RETURN(std::set<std::string> exposed,
                     network::exposed_ports_from_json(json_object_get(json_object_get(doc.get(), "Config"), "ExposedPorts")));
    bindings = network::publish_all(exposed, std::move(bindings));
  }
  ASSIGN_OR_RETURN(std::vector<network::PortMapping> ports, network::allocate(bindings, ports_taken(c, row.id)));

  network::Record rec;
  rec.id = row.id;
  rec.name = row.name;
  rec.netns = network::netns_path(dir, row.id);
  rec.plugin_dirs = network::default_plugin_dirs();
  rec.hosts_path = p.dir(row.id) + "/hosts";
  TRY(network::create_netns(rec.netns));
  setup.dir_ = dir;
  setup.id_ = row.id;

  // The plugins run in a child while the caller starts the monitor and the
  // runtime creates the container in the pinned namespace: the container
  // only starts after wait(). The child keeps the lock (its copy of the fd).
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    (void)network::remove_netns(rec.netns);
    return Error::from_errno("pipe");
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    (void)network::remove_netns(rec.netns);
    return Error(e, "fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    // A Ctrl-C meant for `hutch run` must not stop the set-up half-way
    // (the plugins run in their own process group for the same reason).
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGQUIT, SIG_IGN);
    Status st = [&]() -> Status {
      ScopeGuard undo([&] {
        for (auto it = rec.attachments.rbegin(); it != rec.attachments.rend(); ++it) (void)network::detach(rec, *it);
        ::unlink(network::record_path(dir, rec.id).c_str());
      });
      std::vector<std::string> names;
      for (size_t i = 0; i < nets.size(); ++i) {
        TRY(network::ensure_masquerade(nets[i].first));
        TRY(network::ensure_isolation(nets[i].first, dir, rec.plugin_dirs));
        ASSIGN_OR_RETURN(network::Attachment a, prepare_attachment(nets[i].first, nets[i].second, i,
                                                                   i == 0 ? ports : std::vector<network::PortMapping>{}));
        // Recorded before ADD: were we killed half-way, a teardown (the
        // next start, boot's sweep) still knows what to DEL.
        rec.attachments.push_back(std::move(a));
        TRY(network::save(dir, rec));
        if (auto st = network::attach(rec, rec.attachments.back()); !st.ok())
          return std::move(st).error().with_context("container \"" + row.name + "\"");
        names.push_back(nets[i].first.name);
      }
      TRY(write_etc(p, row, doc.get(), rec));
      TRY(network::save(dir, rec));
      undo.release();
      if (auto r = network::refresh_hosts(dir, names); !r.ok()) log::warn(kComponent, r.error().message());
      return {};
    }();
    std::string msg = st.ok() ? "" : std::to_string(st.error().code()) + " " + st.error().message();
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(st.ok() ? 0 : 1);
  }
  ::close(fds[1]);
  setup.pid_ = pid;
  setup.result_.reset(fds[0]);
  return setup;
}

Status NetworkSetup::wait() {
  if (pid_ <= 0) return {};
  std::string msg;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(result_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = 0;
  result_.reset();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  (void)network::teardown(dir_, id_);
  if (msg.empty()) return Error::plain(EIO, "set up the container's networks: the helper process died");
  size_t sp = msg.find(' ');
  int code = static_cast<int>(parse_int(msg.substr(0, sp)).value_or(EIO));
  return Error::plain(code ? code : EIO, sp == std::string::npos ? msg : msg.substr(sp + 1));
}

NetworkSetup::~NetworkSetup() {
  if (pid_ > 0) (void)wait();
}

Status setup_networks(Containers& c, const state::ContainerRow& row) {
  ASSIGN_OR_RETURN(NetworkSetup s, NetworkSetup::begin(c, row));
  return s.wait();
}

Status teardown_networks(const ContainerPaths& paths, const std::string& id) {
  return network::teardown(paths.netns_dir(), id);
}

void sweep_networks(Containers& c) {
  for (const auto& r : network::load_all(c.paths().netns_dir())) {
    auto row = c.db().get(r.id);
    if (holds_network(row)) continue;  // runs, or a live monitor is starting or ending it
    if (auto st = network::teardown(c.paths().netns_dir(), r.id); !st.ok())
      log::warn(kComponent, "container \"" + r.name + "\": " + st.error().message());
  }
}

std::vector<network::PortMapping> published_ports(const ContainerPaths& paths, const std::string& id) {
  auto rec = network::load(paths.netns_dir(), id);
  if (!rec.ok()) return {};
  std::vector<network::PortMapping> out;
  for (const auto& a : rec->attachments) out.insert(out.end(), a.ports.begin(), a.ports.end());
  return out;
}

json::Ptr network_settings(const ContainerPaths& paths, const state::ContainerRow& row, const json_t* config) {
  json::Ptr ns(json_object());
  bool live = running(row.status);
  std::optional<network::Record> rec;
  if (live)
    if (auto r = network::load(paths.netns_dir(), row.id); r.ok()) rec = std::move(*r);
  json_object_set_new(ns.get(), "Bridge", json::str(""));
  json_object_set_new(ns.get(), "SandboxID", json::str(""));
  json_object_set_new(ns.get(), "HairpinMode", json_false());
  // Ports: docker's {"80/tcp": [{"HostIp","HostPort"}]}, exposed-only ports null.
  json_t* ports = json_object();
  if (const json_t* exposed = json_object_get(json_object_get(config, "Config"), "ExposedPorts")) {
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(exposed), k, v) json_object_set_new(ports, k, json_null());
  }
  if (rec)
    for (const auto& a : rec->attachments)
      for (const auto& m : a.ports) {
        std::string key = std::to_string(m.container_port) + "/" + m.protocol;
        json_t* list = json_object_get(ports, key.c_str());
        if (!json_is_array(list)) {
          list = json_array();
          json_object_set_new(ports, key.c_str(), list);
        }
        json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", m.host_ip.empty() ? "0.0.0.0" : m.host_ip.c_str(),
                                              "HostPort", std::to_string(m.host_port).c_str()));
      }
  json_object_set_new(ns.get(), "Ports", ports);
  std::string sandbox;
  if (rec) sandbox = rec->netns;
  else if (live && row.pid) sandbox = "/proc/" + std::to_string(row.pid) + "/ns/net";
  json_object_set_new(ns.get(), "SandboxKey", json::str(sandbox));
  json_t* nets = json_object();
  std::string first_ip, first_gw, first_mac;
  int first_prefix = 0;
  std::string mode = json::string_of(host_config(config), "NetworkMode");
  auto endpoints = endpoints_of(config);
  if (!uses_cni(mode) && (mode == "host" || mode == "none")) endpoints = {{mode, nullptr}};
  for (const auto& [name, ep] : endpoints) {
    json_t* e = json_object();
    const network::Attachment* a = nullptr;
    if (rec)
      for (const auto& x : rec->attachments)
        if (x.network == name) a = &x;
    std::string ip = endpoint_ip(ep);
    json_object_set_new(e, "IPAMConfig", ip.empty() ? json_null() : json_pack("{s:s}", "IPv4Address", ip.c_str()));
    json_object_set_new(e, "Links", json_null());
    json_t* aliases = json::string_array(json::strings_of(json_object_get(ep, "Aliases")));
    json_object_set_new(e, "Aliases", aliases);
    json_object_set_new(e, "NetworkID", json::str(a ? a->network_id : ""));
    json_object_set_new(e, "EndpointID", json::str(a ? a->network_id.substr(0, 32) + row.id.substr(0, 32) : ""));
    std::string addr, gw;
    int prefix = 0;
    if (const network::IpConfig* ip = a ? a->ipv4_config() : nullptr) {
      addr = a->ipv4();
      gw = ip->gateway;
      auto slash = ip->address.find('/');
      if (slash != std::string::npos) prefix = static_cast<int>(parse_int(ip->address.substr(slash + 1)).value_or(0));
    }
    json_object_set_new(e, "Gateway", json::str(gw));
    json_object_set_new(e, "IPAddress", json::str(addr));
    json_object_set_new(e, "IPPrefixLen", json_integer(prefix));
    json_object_set_new(e, "IPv6Gateway", json::str(""));
    json_object_set_new(e, "GlobalIPv6Address", json::str(""));
    json_object_set_new(e, "GlobalIPv6PrefixLen", json_integer(0));
    json_object_set_new(e, "MacAddress", json::str(a ? a->mac : ""));
    json_object_set_new(e, "DriverOpts", json_null());
    json_object_set_new(nets, name.c_str(), e);
    if (first_ip.empty() && !addr.empty()) {
      first_ip = addr;
      first_gw = gw;
      first_prefix = prefix;
      first_mac = a->mac;
    }
  }
  json_object_set_new(ns.get(), "Gateway", json::str(first_gw));
  json_object_set_new(ns.get(), "IPAddress", json::str(first_ip));
  json_object_set_new(ns.get(), "IPPrefixLen", json_integer(first_prefix));
  json_object_set_new(ns.get(), "MacAddress", json::str(first_mac));
  json_object_set_new(ns.get(), "Networks", nets);
  return ns;
}

// --- network connect / disconnect -----------------------------------------------

Status connect_network(Containers& c, const std::string& container_ref, const std::string& network_ref,
                       const EndpointOptions& o) {
  ASSIGN_OR_RETURN(network::Store store, open_store(c.paths()));
  ASSIGN_OR_RETURN(network::Network n, store.find(network_ref));
  ASSIGN_OR_RETURN(state::ContainerRow row, c.find(container_ref));
  ASSIGN_OR_RETURN(json::Ptr doc, Containers::config_of(row));
  std::string mode = json::string_of(host_config(doc.get()), "NetworkMode");
  if (n.pseudo || !uses_cni(mode))
    return Error::plain(EINVAL, "container \"" + row.name + "\" cannot be connected to network \"" + n.name +
                                    "\": it uses network mode \"" + (n.pseudo ? n.name : mode) + "\"");
  json_t* nets = json_object_get(doc.get(), "Networks");
  if (json_object_get(nets, n.name.c_str()))
    return Error::plain(EEXIST, "endpoint with name " + row.name + " already exists in network " + n.name);
  if (!o.aliases.empty() && !n.dns())
    return Error::plain(EINVAL, "network-scoped alias is supported only for containers in user defined networks");
  if (!o.ip.empty()) TRY(network::check_static_ip(n, o.ip));
  json::Ptr ep(json_object());
  json_object_set_new(ep.get(), "Aliases", json::string_array(o.aliases));
  json_object_set_new(ep.get(), "IPAMConfig",
                      o.ip.empty() ? json_null() : json_pack("{s:s}", "IPv4Address", o.ip.c_str()));
  json_object_set_new(ep.get(), "MacAddress", json::str(o.mac));

  if (running(row.status)) {
    std::string dir = c.paths().netns_dir();
    ASSIGN_OR_RETURN(UniqueFd held, network::lock(dir));
    ASSIGN_OR_RETURN(network::Record rec, network::load(dir, row.id));
    size_t index = 0;
    for (bool taken = true; taken; ++index) {
      taken = false;
      for (const auto& a : rec.attachments) taken |= a.ifname == "eth" + std::to_string(index);
      if (!taken) break;
    }
    TRY(network::ensure_masquerade(n));
    TRY(network::ensure_isolation(n, dir, network::default_plugin_dirs()));
    ASSIGN_OR_RETURN(network::Attachment a, prepare_attachment(n, ep.get(), index, {}));
    TRY(network::attach(rec, a));
    rec.attachments.push_back(std::move(a));
    if (auto st = network::save(dir, rec); !st.ok()) {
      (void)network::detach(rec, rec.attachments.back());
      return st;
    }
    if (auto st = network::refresh_hosts(dir, {n.name}); !st.ok()) log::warn(kComponent, st.error().message());
  }
  return c.db().update(row.id, [&](state::ContainerRow& r) -> Status {
    ASSIGN_OR_RETURN(json::Ptr d, Containers::config_of(r));
    json_t* ns = json_object_get(d.get(), "Networks");
    if (!json_is_object(ns)) {
      ns = json_object();
      json_object_set_new(d.get(), "Networks", ns);
    }
    json_object_set(ns, n.name.c_str(), ep.get());
    r.config = json::dump(d.get());
    return {};
  });
}

Status disconnect_network(Containers& c, const std::string& container_ref, const std::string& network_ref,
                          bool force) {
  ASSIGN_OR_RETURN(state::ContainerRow row, c.find(container_ref));
  ASSIGN_OR_RETURN(json::Ptr doc, Containers::config_of(row));
  std::string name = network_ref;
  if (auto store = open_store(c.paths()); store.ok())
    if (auto n = store->find(network_ref); n.ok()) name = n->name;
  json_t* nets = json_object_get(doc.get(), "Networks");
  if (!json_object_get(nets, name.c_str()))
    return Error::plain(ENOENT, "container " + row.id.substr(0, 12) + " is not connected to network " + network_ref);
  if (running(row.status)) {
    std::string dir = c.paths().netns_dir();
    ASSIGN_OR_RETURN(UniqueFd held, network::lock(dir));
    auto rec = network::load(dir, row.id);
    if (rec.ok()) {
      for (auto it = rec->attachments.begin(); it != rec->attachments.end(); ++it) {
        if (it->network != name) continue;
        if (auto st = network::detach(*rec, *it); !st.ok() && !force) return st;
        rec->attachments.erase(it);
        break;
      }
      TRY(network::save(dir, *rec));
      if (auto st = network::refresh_hosts(dir, {name}); !st.ok()) log::warn(kComponent, st.error().message());
    }
  }
  return c.db().update(row.id, [&](state::ContainerRow& r) -> Status {
    ASSIGN_OR_RETURN(json::Ptr d, Containers::config_of(r));
    json_object_del(json_object_get(d.get(), "Networks"), name.c_str());
    // docker: a container left with no network has none.
    json_t* hc = json_object_get(d.get(), "HostConfig");
    if (json::string_of(hc, "NetworkMode") == name) {
      const char* k = nullptr;
      json_t* v;
      std::string next = "none";
      json_object_foreach(json_object_get(d.get(), "Networks"), k, v) {
        next = k;
        break;
      }
      json_object_set_new(hc, "NetworkMode", json::str(next));
    }
    r.config = json::dump(d.get());
    return {};
  });
}

Result<std::vector<Endpoint>> endpoints_on(Containers& c, const std::string& network_name) {
  std::vector<Endpoint> out;
  for (const auto& r : network::load_all(c.paths().netns_dir())) {
    auto row = c.db().get(r.id);
    if (!row.ok() || !running(row->status)) continue;
    for (const auto& a : r.attachments) {
      if (a.network != network_name) continue;
      Endpoint e;
      e.container_id = r.id;
      e.container_name = row->name;
      e.endpoint_id = a.network_id.substr(0, 32) + r.id.substr(0, 32);
      e.mac = a.mac;
      for (const auto& ip : a.ips)
        if (ip.address.find(':') == std::string::npos) {
          e.ipv4 = ip.address;
          break;
        }
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<std::vector<std::string>> prune_networks(Containers& c) {
  ASSIGN_OR_RETURN(network::Store store, open_store(c.paths()));
  ASSIGN_OR_RETURN(auto list, store.list());
  std::vector<std::string> removed;
  for (const auto& n : list) {
    if (n.builtin || n.pseudo || !n.hutch_made) continue;
    ASSIGN_OR_RETURN(auto ids, containers_on_network(c, n.name));
    if (!ids.empty()) continue;
    TRY(store.remove(n.id));
    removed.push_back(n.name);
  }
  return removed;
}

Result<json::Ptr> inspect_network(Containers& c, const network::Network& n) {
  json::Ptr obj(network::docker_json(n));
  if (n.pseudo) return obj;
  ASSIGN_OR_RETURN(auto eps, endpoints_on(c, n.name));
  json_t* containers = json_object_get(obj.get(), "Containers");
  for (const auto& e : eps) {
    json_t* o = json_object();
    json_object_set_new(o, "Name", json::str(e.container_name));
    json_object_set_new(o, "EndpointID", json::str(e.endpoint_id));
    json_object_set_new(o, "MacAddress", json::str(e.mac));
    json_object_set_new(o, "IPv4Address", json::str(e.ipv4));
    json_object_set_new(o, "IPv6Address", json::str(""));
    json_object_set_new(containers, e.container_id.c_str(), o);
  }
  return obj;
}

Result<std::vector<std::string>> containers_on_network(Containers& c, const std::string& network_name) {
  ASSIGN_OR_RETURN(auto rows, c.db().list());
  std::vector<std::string> out;
  for (const auto& r : rows) {
    auto doc = Containers::config_of(r);
    if (!doc.ok()) continue;
    bool on = json::string_of(host_config(doc->get()), "NetworkMode") == network_name ||
              json_object_get(json_object_get(doc->get(), "Networks"), network_name.c_str()) != nullptr;
    if (on) out.push_back(r.id);
  }
  return out;
}

}  // namespace hutch::engine
