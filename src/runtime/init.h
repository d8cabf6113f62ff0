// Container init: what the cloned child does, from its first instruction
// to execve of the user's process. It reports every failure to the parent
// over the sync channel and never returns. Internal to the runtime.
// Thread-safety: runs in a fresh single-threaded child.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "oci/spec.h"
#include "runtime/sync.h"

namespace hutch::runtime {

namespace seccomp {
class Filter;
}

struct InitContext {
  const oci::Spec* spec = nullptr;
  std::string id;
  std::string rootfs;
  std::string bundle;
  SyncChannel* sync = nullptr;
  int console_sock = -1;     // connected --console-socket, or -1
  int stdio[3] = {-1, -1, -1};  // become fds 0-2 first thing (-1: keep ours)
  int fifo_fd = -1;          // O_PATH exec.fifo, or -1 to start at once
  int listener_sock = -1;    // seccomp listener socket, or -1
  int preserve_fds = 0;
  bool no_pivot = false;
  bool new_user_ns = false;
  bool joined_user_ns = false;  // user namespace given by path
  bool new_mount_ns = true;
  bool new_cgroup_ns = false;
  bool new_net_ns = false;  // set its loopback up, as runc and crun do
  bool no_new_keyring = false;
  std::string mount_ns_path;  // join this mount namespace
  std::map<std::string, std::string> cgroup_paths;
  seccomp::Filter* seccomp = nullptr;
  pid_t host_pid = 0;        // set from the parent's go message
  std::vector<int> cgroup_join_fds;
  std::map<size_t, int> idmap_trees;  // mount index -> detached idmapped tree  // v1 "tasks" files the init writes "0" to
};

[[noreturn]] void container_init(InitContext& ctx);

}  // namespace hutch::runtime
