// What a running container has set up on its networks, one record per
// container beside its pinned namespace:
//   <runroot>/netns/<id[:12]>        the network namespace (netns.h)
//   <runroot>/netns/<id[:12]>.json   this record: per network, the conflist
//                                    given to CNI ADD and its result, the
//                                    published ports, the names it answers to
// The record is all a teardown needs (CNI DEL wants the same conflist and
// the ADD result), so the monitor, the engine's reconcile and `hutch boot`
// can each undo a container's networking without the network definitions.
// It lives under the tmpfs runroot: a reboot takes it along with the
// namespaces, the veths, the firewall rules and host-local's leases
// (kept in <runroot>/ipam).
//
// Names on user networks resolve through each container's /etc/hosts: the
// record keeps what the file says of the container itself (hosts) and
// refresh_hosts() renders it again with the other containers on the same
// networks whenever one comes or goes.
// Thread-safety: every change runs under an exclusive lock on
// <runroot>/netns/.lock, so any number of processes may set up and tear
// down at once.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "network/etc_files.h"
#include "network/types.h"

namespace hutch::network {

struct Attachment {
  std::string network, network_id;  // name and id of the network definition
  std::string ifname;               // eth0, eth1...
  std::string conflist;             // as given to CNI ADD (DEL takes the same)
  std::string result;               // CNI ADD's result (DEL's prevResult)
  std::vector<PortMapping> ports;   // published through this network (portmap)
  std::string static_ip, mac_request;  // --ip / --mac-address asked for
  std::vector<std::string> aliases;    // extra names on this network (--network-alias)
  bool dns = false;                    // user network: containers find each other by name
  // From the result.
  std::vector<IpConfig> ips;
  std::string mac;

  std::string ipv4() const;  // first IPv4 address without its prefix length ("" if none)
  const IpConfig* ipv4_config() const;  // its entry (address with prefix, gateway), or null
};

struct Record {
  std::string id, name;         // the container's
  std::string netns;            // the pinned namespace's path
  std::vector<std::string> plugin_dirs;
  std::string hosts_path;       // the container's /etc/hosts on the host (bind-mounted into it)
  HostsInput hosts;             // that file's own part (peers are filled in by refresh_hosts)
  std::vector<Attachment> attachments;
};

std::string record_path(const std::string& dir, const std::string& id);  // <dir>/<id[:12]>.json
std::string netns_path(const std::string& dir, const std::string& id);   // <dir>/<id[:12]>

// Takes the directory's lock (blocking); the fd holds it.
Result<UniqueFd> lock(const std::string& dir);

Status save(const std::string& dir, const Record& r);
// ENOENT when the container has no record.
Result<Record> load(const std::string& dir, const std::string& id);
// Every record in the directory (unreadable ones are skipped with a warning).
std::vector<Record> load_all(const std::string& dir);

// Rewrites, in place, the /etc/hosts of every container in `dir` that is on
// one of `networks` with name resolution: its own part, then the other
// containers there ("IP name alias... id"). Call with the lock held.
Status refresh_hosts(const std::string& dir, const std::vector<std::string>& networks);

// CNI ADD of one attachment (conflist, ifname and requests filled in) into
// the record's namespace; fills in its result, addresses and MAC.
Status attach(const Record& r, Attachment& a);
// CNI DEL of one attachment (the record is not changed).
Status detach(const Record& r, const Attachment& a);

// Undoes all of a container's networking: CNI DEL of each attachment (last
// first), the namespace, the record, and its names from the others'
// /etc/hosts. Best effort past failures (the first error is returned);
// OK when there is no record. Takes the lock.
Status teardown(const std::string& dir, const std::string& id);

}  // namespace hutch::network
