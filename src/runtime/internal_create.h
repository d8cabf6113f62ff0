// Shared pieces of create and run (internal to the runtime module).
// Thread-safety: single threaded.
#pragma once

#include <memory>
#include <string>

#include "cgroup/manager.h"
#include "oci/spec.h"
#include "runtime/container.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"

namespace hutch::runtime {

struct Prepared {
  std::unique_ptr<oci::Spec> spec;
  std::string config_text;
  ContainerState state;
  std::unique_ptr<seccomp::Filter> seccomp;
  std::unique_ptr<cgroup::Manager> cgroup;
  std::unique_ptr<SyncChannel> sync;  // to init, after kCreated (run only)
};

// What a failed create must undo, in reverse order.
struct Cleanup {
  pid_t pid = 0;
  cgroup::Manager* cgroup = nullptr;
  bool state_dir = false;
  void run(const StateStore& store, const std::string& id);
};

Result<Prepared> prepare_create(const StateStore& store, const CreateOptions& opts, bool start_now);
Result<pid_t> spawn_init(const StateStore& store, const CreateOptions& opts, Prepared& pr, bool start_now,
                         Cleanup& undo);
// The state document hooks read on stdin (runtime-spec "State").
std::string hook_state_json(const std::string& oci_version, const std::string& id, const char* status, pid_t pid,
                            const std::string& bundle, const std::map<std::string, std::string>& annotations);
std::string hook_state_json(const ContainerState& st, const char* status);

}  // namespace hutch::runtime
