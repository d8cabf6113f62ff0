// Work done in a short-lived child process, so that what it touches (all of
// SQLite, the JSON of a row) never becomes resident in the long-lived
// monitor: the monitor's pages stay few, and the child's go when it exits.
// The child hands back one string through a pipe. A child can also run
// while the monitor goes on (ChildWork): the database step then overlaps
// with mounting or the runtime instead of adding its few milliseconds.
// Thread-safety: single-threaded callers only (fork).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::monitor {

// A child started by start_in_child(), running until join(). Destroying
// one that was not joined joins it (its result is dropped).
class ChildWork {
 public:
  ChildWork() = default;
  ChildWork(ChildWork&& o) noexcept : pid_(o.pid_), rd_(std::move(o.rd_)) { o.pid_ = 0; }
  ChildWork& operator=(ChildWork&& o) noexcept;
  ~ChildWork();

  bool pending() const { return pid_ > 0; }
  // Waits for the child; what `work` returned, or its error. The child is
  // reaped here, or by whoever reaps all children (a subreaper's
  // waitpid(-1)) if that came first: the result travels on the pipe.
  Result<std::string> join();

 private:
  friend Result<ChildWork> start_in_child(const std::function<Result<std::string>()>& work);
  pid_t pid_ = 0;
  UniqueFd rd_;
};

// Runs `work` in a forked child that the caller joins later. The child
// never returns into the caller's code: it _exit()s.
Result<ChildWork> start_in_child(const std::function<Result<std::string>()>& work);

// Runs `work` in a forked child and returns what it returned, or its error.
Result<std::string> in_child(const std::function<Result<std::string>()>& work);

}  // namespace hutch::monitor
