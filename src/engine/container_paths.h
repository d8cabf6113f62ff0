// Where a container's files live; the one place these names are built.
//
//   <root>/state.db                     the engine database (state/db.h)
//   <root>/containers/<id>/             the OCI bundle: config.json, rootfs/ (mount
//                                       point), monitor.json, and the writable
//                                       overlay dirs upper/ and work/, ctr.log,
//                                       hosts, hostname, resolv.conf
//   <root>/volumes/<name>/_data         named volumes (engine/volumes.h)
//   <runroot>/<id[:12]>/                tmpfs: attach socket, monitor.pid, pid
//   <runroot>/runtime-<name>/           the OCI runtime's --root
//   <runroot>/netns/<id[:12]>{,.json}   a running container's network namespace
//                                       and what was set up in it (network/attachments.h)
//   <runroot>/ipam/                     host-local's address leases (gone at reboot,
//                                       with everything that used them)
//   <root>/networks/<name>.conflist     network definitions, CNI conflists
//                                       ($HUTCH_NETWORK_DIR overrides the directory)
// <runroot> is /run/hutch for the default root, else
// /run/hutch/s-<12 hex of the root's path hash>, so two stores never share
// runtime state and socket paths stay under 108 bytes.
// Thread-safety: pure functions.
#pragma once

#include <cstdlib>
#include <string>

namespace hutch::engine {

struct ContainerPaths {
  std::string root, runroot;

  static std::string default_runroot(const std::string& root);

  std::string db() const { return root + "/state.db"; }
  std::string containers() const { return root + "/containers"; }
  std::string dir(const std::string& id) const { return containers() + "/" + id; }
  std::string rootfs(const std::string& id) const { return dir(id) + "/rootfs"; }
  std::string upper(const std::string& id) const { return dir(id) + "/upper"; }
  std::string work(const std::string& id) const { return dir(id) + "/work"; }
  std::string log(const std::string& id) const { return dir(id) + "/ctr.log"; }
  // The short id keeps socket paths (console.sock, attach) well under the
  // 108 bytes of sun_path even below a long --runroot.
  std::string rundir(const std::string& id) const { return runroot + "/" + id.substr(0, 12); }
  std::string runtime_root(const std::string& runtime_name) const { return runroot + "/runtime-" + runtime_name; }
  std::string netns_dir() const { return runroot + "/netns"; }
  std::string ipam_dir() const { return runroot + "/ipam"; }
  std::string networks_dir() const {
    const char* env = std::getenv("HUTCH_NETWORK_DIR");
    return env && *env ? env : root + "/networks";
  }
};

}  // namespace hutch::engine
