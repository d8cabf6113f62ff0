// Error and Result: how every hutch module reports failure.
//
// An Error carries an errno-style code (0 when none applies) and a chain of
// context strings, innermost first. Each layer adds its step with
// `context()`; the errno text is appended once, when the error is printed.
// Result<T> holds either a value or an Error, shaped like std::expected.
// Thread-safety: values only; no shared state.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hutch {

class Error {
 public:
  Error() = default;
  Error(int code, std::string message) : code_(code) { chain_.push_back(std::move(message)); }

  // An error whose text says it all: the errno text is not appended when
  // printed, but code() still tells callers what happened.
  static Error plain(int code, std::string message) {
    Error e(code, std::move(message));
    e.show_errno_ = false;
    return e;
  }

  // Makes an error from the current errno.
  static Error from_errno(std::string message) { return Error(errno, std::move(message)); }

  int code() const { return code_; }

  // Adds the step the caller was doing; printed before the existing text.
  Error& context(std::string step) {
    chain_.push_back(std::move(step));
    return *this;
  }
  Error&& with_context(std::string step) && {
    chain_.push_back(std::move(step));
    return std::move(*this);
  }

  // "outer: inner: innermost: strerror(code)".
  std::string message() const;
  // Only the innermost text, without context or errno text.
  const std::string& innermost() const { return chain_.front(); }

 private:
  int code_ = 0;
  bool show_errno_ = true;
  std::vector<std::string> chain_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Error& error() & { return std::get<1>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Ok) {}
  Result(Error error) : err_(std::move(error)), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  void value() const {}

  Error& error() & { return err_; }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace hutch

#define HUTCH_CONCAT_INNER(a, b) a##b
#define HUTCH_CONCAT(a, b) HUTCH_CONCAT_INNER(a, b)

// TRY(expr): returns the error of a failed Status.
#define TRY(expr)                                          \
  do {                                                     \
    auto&& hutch_try_r_ = (expr);                          \
    if (!hutch_try_r_.ok()) return std::move(hutch_try_r_).error(); \
  } while (0)

// TRY_CTX(expr, step): as TRY, adding context.
#define TRY_CTX(expr, step)                                               \
  do {                                                                    \
    auto&& hutch_try_r_ = (expr);                                         \
    if (!hutch_try_r_.ok()) return std::move(hutch_try_r_).error().context(step); \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): unwraps a Result<T> into lhs.
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(HUTCH_CONCAT(hutch_r_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
