// SyncChannel: typed messages between the runtime and a container child
// over a SOCK_SEQPACKET socketpair. Errors from the child travel as
// messages carrying errno and text, so the parent can report them with its
// own context. Safe to use after clone(): no allocation in send paths
// beyond the caller's strings. Thread-safety: one user per end.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::runtime {

enum class SyncType : uint32_t {
  kGo = 1,            // parent -> child: continue
  kRunHooks,          // child -> parent: namespaces and mounts ready; run createRuntime hooks
  kCreated,           // child -> parent: waiting for start
  kError,             // child -> parent: setup failed (errno + text)
  kPid,               // child -> parent: a pid (the value field)
  kExecFailed,        // child -> parent: execve failed (errno + text)
};

struct SyncMsg {
  SyncType type = SyncType::kGo;
  int32_t value = 0;  // errno or pid
  std::string text;
};

class SyncChannel {
 public:
  static Result<std::pair<SyncChannel, SyncChannel>> make_pair();
  SyncChannel() = default;
  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}

  Status send(SyncType type, int32_t value = 0, const std::string& text = "");
  Status send_error(const Error& e);
  // Receives one message; EOF (peer gone) is an error with code EPIPE.
  Result<SyncMsg> recv();
  // Receives and checks the type; a kError message becomes the returned Error.
  Status expect(SyncType type);
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

}  // namespace hutch::runtime
