// The store of network definitions: one CNI conflist per network,
// <dir>/<name>.conflist (engine::ContainerPaths::networks_dir()).
// hutch writes its own with a "hutch" object (config.h); users may drop in
// conflists of their own, which are listed and used as they are. The default
// network "bridge" (device hutch0, 172.17.0.0/16) is written on first use
// and cannot be removed. host-local's lease directory is not in the files:
// find() and list() inject ipam.dataDir = the store's ipam_dir (a tmpfs
// directory, so leases vanish at reboot with the namespaces).
// "host" and "none" are not stored (config.h's pseudo_networks()).
// Thread-safety: one instance per thread; processes serialise create and
// remove with a lock file in the directory.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "network/config.h"

namespace hutch::network {

class Store {
 public:
  // Creates `dir` when missing; `ipam_dir` is created by host-local itself.
  static Result<Store> open(std::string dir, std::string ipam_dir);

  // Every network, by name, the default one included (written when
  // missing). Files that do not parse are skipped with a warning.
  Result<std::vector<Network>> list();
  // By name, full id, or unique id prefix. ENOENT `network "x" not found`;
  // EINVAL when a prefix matches several.
  Result<Network> find(const std::string& ref);
  // docker network create: validates, picks or checks subnets (no overlap
  // with any network's, pools also avoid this namespace's routes), writes
  // the conflist. EEXIST when the name is taken.
  Result<Network> create(const CreateOptions& o);
  // Deletes the network's file (by name, id or prefix) and its leases.
  // EPERM for the default network. Callers check for containers first.
  Status remove(const std::string& ref);

  const std::string& dir() const { return dir_; }
  const std::string& ipam_dir() const { return ipam_dir_; }

  // Tests: where the host's routes (/proc/net/route) and interfaces
  // (/sys/class/net) are read.
  void set_host_paths(std::string proc_net_route, std::string sys_class_net) {
    routes_file_ = std::move(proc_net_route);
    sys_class_net_ = std::move(sys_class_net);
  }

 private:
  Store(std::string dir, std::string ipam_dir) : dir_(std::move(dir)), ipam_dir_(std::move(ipam_dir)) {}
  std::string path_of(const std::string& name) const { return dir_ + "/" + name + ".conflist"; }
  Status ensure_default(bool locked);
  Result<std::vector<Network>> read_all();
  Result<Network> find_in(const std::vector<Network>& all, const std::string& ref);

  std::string dir_, ipam_dir_;
  std::string routes_file_ = "/proc/net/route";
  std::string sys_class_net_ = "/sys/class/net";
};

}  // namespace hutch::network
