#include "network/store.h"

#include <dirent.h>
#include <net/if.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "network/cni.h"
#include "network/isolation.h"
#include "network/nat.h"

namespace hutch::network {

namespace {

constexpr std::string_view kSuffix = ".conflist";

// docker's stringid.GenerateRandomID: 32 random bytes in hex.
Result<std::string> random_id() {
  unsigned char buf[32];
  if (getrandom(buf, sizeof buf, 0) != ssize_t(sizeof buf)) return Error::from_errno("generate a network id");
  std::string out;
  char hex[3];
  for (unsigned char b : buf) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    out += hex;
  }
  return out;
}

std::string now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return format_rfc3339(ts);
}

std::string mtime_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return now();
  return format_rfc3339(st.st_mtim);
}

Error not_found(const std::string& ref) { return Error::plain(ENOENT, "network \"" + ref + "\" not found"); }

}  // namespace

Result<Store> Store::open(std::string dir, std::string ipam_dir) {
  TRY_CTX(fs::mkdir_p(dir, 0755), "open the network store");
  return Store(std::move(dir), std::move(ipam_dir));
}

Status Store::ensure_default(bool locked) {
  std::string path = path_of(kDefaultNetwork);
  if (fs::exists(path)) return Ok{};
  UniqueFd lock;
  if (!locked) {
    ASSIGN_OR_RETURN(lock, fs::lock_file(dir_ + "/.lock"));
    if (fs::exists(path)) return Ok{};
  }
  Network n;
  n.name = kDefaultNetwork;
  ASSIGN_OR_RETURN(n.id, random_id());
  n.created = now();
  n.driver = "bridge";
  n.subnets = {{kDefaultSubnet, kDefaultGateway, ""}};
  n.builtin = true;
  n.bridge = kDefaultBridge;
  n.options = {{"com.docker.network.bridge.default_bridge", "true"},
               {"com.docker.network.bridge.enable_icc", "true"},
               {"com.docker.network.bridge.enable_ip_masquerade", "true"},
               {"com.docker.network.bridge.name", kDefaultBridge}};
  TRY_CTX(fs::write_file_atomic(path, conflist_text(n)), "create the default network");
  return Ok{};
}

Result<std::vector<Network>> Store::read_all() {
  std::vector<std::string> files;
  {
    DIR* d = ::opendir(dir_.c_str());
    if (!d) return Error::from_errno("list networks: open \"" + dir_ + "\"");
    while (struct dirent* e = ::readdir(d)) {
      std::string f = e->d_name;
      if (f[0] == '.' || f.size() <= kSuffix.size() || f.compare(f.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
        continue;
      files.push_back(f);
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end());
  std::vector<Network> out;
  std::set<std::string> names;
  for (const auto& f : files) {
    std::string path = dir_ + "/" + f;
    auto text = fs::read_file(path);
    if (!text.ok()) {
      if (text.error().code() != ENOENT)  // removed meanwhile
        log::warn("network", "skipping " + text.error().message());
      continue;
    }
    auto n = parse_conflist(*text, ipam_dir_, mtime_of(path));
    if (!n.ok()) {
      log::warn("network", "skipping \"" + path + "\": " + n.error().message());
      continue;
    }
    if (!names.insert(n->name).second) {
      log::warn("network", "skipping \"" + path + "\": network \"" + n->name + "\" is defined twice");
      continue;
    }
    n->path = path;
    out.push_back(std::move(n).value());
  }
  std::sort(out.begin(), out.end(), [](const Network& a, const Network& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<Network>> Store::list() {
  TRY(ensure_default(false));
  return read_all();
}

Result<Network> Store::find_in(const std::vector<Network>& all, const std::string& ref) {
  if (ref.empty()) return not_found(ref);
  for (const auto& n : all)
    if (n.name == ref || n.id == ref) return n;
  const Network* match = nullptr;
  int count = 0;
  for (const auto& n : all)
    if (starts_with(n.id, ref)) {
      match = &n;
      ++count;
    }
  if (count > 1)
    return Error::plain(EINVAL, "network " + ref + " is ambiguous (" + std::to_string(count) +
                                    " matches found based on ID)");
  if (!match) return not_found(ref);
  return *match;
}

Result<Network> Store::find(const std::string& ref) {
  ASSIGN_OR_RETURN(auto all, list());
  return find_in(all, ref);
}

Result<Network> Store::create(const CreateOptions& o) {
  TRY(validate_create(o));
  if (o.driver != "bridge") {
    std::string parent = o.options.at("parent");
    // if_nametoindex asks this network namespace; /sys/class/net shows the
    // one sysfs was mounted in, which need not be ours.
    if (::if_nametoindex(parent.c_str()) == 0 && !fs::exists(sys_class_net_ + "/" + parent))
      return Error::plain(ENODEV, "network \"" + o.name + "\": parent interface \"" + parent +
                                      "\" does not exist (see `ip link`)");
  }
  ASSIGN_OR_RETURN(UniqueFd lock, fs::lock_file(dir_ + "/.lock"));
  TRY(ensure_default(true));
  ASSIGN_OR_RETURN(auto all, read_all());
  std::vector<Existing> existing;
  for (const auto& n : all) {
    if (n.name == o.name) return Error::plain(EEXIST, "network with name " + o.name + " already exists");
    for (const auto& s : n.subnets) {
      auto c = parse_cidr(s.subnet);
      if (c.ok()) existing.push_back({n.name, *c});
    }
  }
  for (const auto& p : pseudo_networks())
    if (p.name == o.name) return Error::plain(EEXIST, "network with name " + o.name + " already exists");
  std::vector<Cidr> routes;
  if (auto text = fs::read_file(routes_file_); text.ok()) routes = parse_proc_routes(*text);

  Network n;
  n.name = o.name;
  ASSIGN_OR_RETURN(n.subnets, assign_subnets(o, existing, routes));
  ASSIGN_OR_RETURN(n.id, random_id());
  n.created = now();
  n.driver = o.driver;
  n.internal = o.internal;
  n.labels = o.labels;
  n.options = o.options;
  if (n.driver == "bridge") {
    auto it = o.options.find("com.docker.network.bridge.name");
    n.bridge = it != o.options.end() ? it->second : "br-" + n.id.substr(0, 12);
    for (const auto& other : all)
      if (other.bridge == n.bridge)
        return Error::plain(EEXIST, "network \"" + o.name + "\": bridge " + n.bridge + " is used by network \"" +
                                        other.name + "\"");
  }
  std::string path = path_of(n.name);
  TRY_CTX(fs::write_file_atomic(path, conflist_text(n)), "create network \"" + n.name + "\"");
  ASSIGN_OR_RETURN(auto text, fs::read_file(path));
  ASSIGN_OR_RETURN(Network made, parse_conflist(text, ipam_dir_, n.created));
  made.path = path;
  return made;
}

Status Store::remove(const std::string& ref) {
  ASSIGN_OR_RETURN(UniqueFd lock, fs::lock_file(dir_ + "/.lock"));
  TRY(ensure_default(true));
  ASSIGN_OR_RETURN(auto all, read_all());
  ASSIGN_OR_RETURN(Network n, find_in(all, ref));
  if (n.builtin) return Error::plain(EPERM, n.name + " is a pre-defined network and cannot be removed");
  if (::unlink(n.path.c_str()) != 0 && errno != ENOENT)
    return Error::from_errno("remove network \"" + n.name + "\": unlink \"" + n.path + "\"");
  if (auto nat = remove_masquerade(n); !nat.ok()) log::warn("network", nat.error().message());
  // The isolation marker lives beside the containers' records: <runroot>/netns.
  if (auto iso = remove_isolation(n, fs::dirname(ipam_dir_) + "/netns", default_plugin_dirs()); !iso.ok())
    log::warn("network", iso.error().message());
  // host-local keeps its leases in <dataDir>/<network name> (ours only:
  // a user's conflist names its own dataDir, and its name is not checked).
  if (n.hutch_made && valid_network_name(n.name)) {
    auto st = fs::remove_all(ipam_dir_ + "/" + n.name);
    if (!st.ok()) log::warn("network", "remove network \"" + n.name + "\": " + st.error().message());
  }
  return Ok{};
}

}  // namespace hutch::network
