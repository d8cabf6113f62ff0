#include "monitor/loop.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>

namespace hutch::monitor {

namespace {

int64_t clock_ns(clockid_t c) {
  struct timespec ts;
  ::clock_gettime(c, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int64_t now_unix_ns() { return clock_ns(CLOCK_REALTIME); }
int64_t now_mono_ns() { return clock_ns(CLOCK_MONOTONIC); }

Result<EventLoop> EventLoop::create() {
  EventLoop l;
  l.epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!l.epoll_) return Error::from_errno("epoll_create1");
  return l;
}

Status EventLoop::add(int fd, uint32_t events, Handler handler) {
  if (fd < 0) return Error::plain(EBADF, "event loop: bad fd");
  if (static_cast<size_t>(fd) >= slots_.size()) slots_.resize(static_cast<size_t>(fd) + 1);
  Slot& s = slots_[static_cast<size_t>(fd)];
  s.handler = std::move(handler);
  s.gen = next_gen_++;
  s.used = true;
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = static_cast<uint64_t>(s.gen) << 32 | static_cast<uint32_t>(fd);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    s = Slot{};
    return Error::from_errno("epoll_ctl add");
  }
  return {};
}

Status EventLoop::modify(int fd, uint32_t events) {
  if (!watching(fd)) return Error::plain(EBADF, "event loop: fd not watched");
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = static_cast<uint64_t>(slots_[static_cast<size_t>(fd)].gen) << 32 | static_cast<uint32_t>(fd);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) return Error::from_errno("epoll_ctl mod");
  return {};
}

void EventLoop::remove(int fd) {
  if (!watching(fd)) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  // The handler may be the one running: move it out rather than destroy it
  // under its own feet; it dies at the end of this statement's scope only
  // when it is not running (see run_once, which holds a copy).
  slots_[static_cast<size_t>(fd)] = Slot{};
}

bool EventLoop::watching(int fd) const {
  return fd >= 0 && static_cast<size_t>(fd) < slots_.size() && slots_[static_cast<size_t>(fd)].used;
}

Result<int> EventLoop::run_once(int timeout_ms) {
  struct epoll_event evs[16];
  int n = ::epoll_wait(epoll_.get(), evs, 16, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return 0;
    return Error::from_errno("epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    int fd = static_cast<int>(evs[i].data.u64 & 0xffffffff);
    uint32_t gen = static_cast<uint32_t>(evs[i].data.u64 >> 32);
    if (!watching(fd) || slots_[static_cast<size_t>(fd)].gen != gen) continue;  // removed meanwhile
    // A copy: the handler may remove (destroy) its own slot.
    Handler h = slots_[static_cast<size_t>(fd)].handler;
    h(evs[i].events);
  }
  return n;
}

Status Timer::init(EventLoop* loop, std::function<void()> fire) {
  loop_ = loop;
  fd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd_) return Error::from_errno("timerfd_create");
  return loop->add(fd_.get(), EPOLLIN, [this, fire = std::move(fire)](uint32_t) {
    uint64_t ticks;
    if (::read(fd_.get(), &ticks, sizeof ticks) != static_cast<ssize_t>(sizeof ticks)) return;
    armed_ = false;
    fire();
  });
}

Timer::~Timer() {
  if (loop_ && fd_) loop_->remove(fd_.get());
}

void Timer::arm(int64_t ns) {
  if (ns <= 0) ns = 1;
  struct itimerspec its = {};
  its.it_value.tv_sec = ns / 1'000'000'000;
  its.it_value.tv_nsec = ns % 1'000'000'000;
  ::timerfd_settime(fd_.get(), 0, &its, nullptr);
  armed_ = true;
}

void Timer::disarm() {
  struct itimerspec its = {};
  ::timerfd_settime(fd_.get(), 0, &its, nullptr);
  armed_ = false;
}

}  // namespace hutch::monitor
