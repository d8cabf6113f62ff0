// The monitor's one event loop: epoll over every fd it watches (signalfd,
// container output, attach sockets, timers), one handler per fd, plus
// one-shot timers on timerfds. No threads anywhere in the monitor.
// Thread-safety: single-threaded by design.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::monitor {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;

  static Result<EventLoop> create();

  // Watches fd for `events` (EPOLLIN, EPOLLOUT, ...); the loop does not own fd.
  Status add(int fd, uint32_t events, Handler handler);
  Status modify(int fd, uint32_t events);
  // Safe to call from a handler, for any fd, including the current one.
  void remove(int fd);
  bool watching(int fd) const;

  // Waits up to timeout_ms (-1 = forever) and runs the handlers of what is
  // ready; how many were ready (0 on timeout).
  Result<int> run_once(int timeout_ms);

 private:
  struct Slot {
    Handler handler;
    uint32_t gen = 0;
    bool used = false;
  };
  UniqueFd epoll_;
  std::vector<Slot> slots_;  // indexed by fd
  uint32_t next_gen_ = 1;
};

// A one-shot CLOCK_MONOTONIC timer on a timerfd, registered with a loop.
class Timer {
 public:
  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();
  // Makes the timerfd and registers it; `fire` runs when it expires.
  Status init(EventLoop* loop, std::function<void()> fire);

  // Fires once after ns nanoseconds (replacing an earlier arm).
  void arm(int64_t ns);
  void disarm();
  bool armed() const { return armed_; }

 private:
  EventLoop* loop_ = nullptr;
  UniqueFd fd_;
  bool armed_ = false;
};

// Unix time and monotonic time in nanoseconds.
int64_t now_unix_ns();
int64_t now_mono_ns();

}  // namespace hutch::monitor
