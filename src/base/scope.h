// ScopeGuard: runs a cleanup unless release() was called (commit pattern).
// Thread-safety: an instance is not shared between threads.
#pragma once

#include <functional>
#include <utility>

namespace hutch {

class ScopeGuard {
 public:
  explicit ScopeGuard(std::function<void()> fn) : fn_(std::move(fn)) {}
  ScopeGuard(ScopeGuard&& o) noexcept : fn_(std::exchange(o.fn_, nullptr)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ~ScopeGuard() {
    if (fn_) fn_();
  }
  void release() { fn_ = nullptr; }

 private:
  std::function<void()> fn_;
};

}  // namespace hutch
