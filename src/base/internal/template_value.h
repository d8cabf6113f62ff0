// Values and functions of base/template.h's executor. A value is a counted
// reference to a jansson value, or none: Go's invalid reflect.Value, what a
// missing map entry yields. Functions take evaluated arguments; and/or are
// evaluated lazily by the executor itself.
// Thread-safety: values share jansson reference counts; use one executor
// per thread over data no other thread changes.
#pragma once

#include <jansson.h>

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace hutch::tmpl {

class V {
 public:
  V() = default;
  static V ref(const json_t* j) { return own(json_incref(const_cast<json_t*>(j))); }
  static V own(json_t* j) {
    V v;
    v.j_ = j;
    return v;
  }
  static V str(std::string_view s);
  static V integer(int64_t i) { return own(json_integer(i)); }
  static V boolean(bool b) { return own(json_boolean(b)); }
  V(const V& o) : j_(json_incref(o.j_)) {}
  V& operator=(const V& o) {
    if (this != &o) {
      json_decref(j_);
      j_ = json_incref(o.j_);
    }
    return *this;
  }
  V(V&& o) noexcept : j_(std::exchange(o.j_, nullptr)) {}
  V& operator=(V&& o) noexcept {
    std::swap(j_, o.j_);
    return *this;
  }
  ~V() { json_decref(j_); }

  json_t* get() const { return j_; }
  bool missing() const { return j_ == nullptr; }
  bool is_string() const { return json_is_string(j_); }
  std::string string() const { return json_is_string(j_) ? std::string(json_string_value(j_), json_string_length(j_)) : ""; }

 private:
  json_t* j_ = nullptr;
};

// Go's truth: false, 0, "", empty arrays and objects, null and missing are
// false.
bool truth(const V& v);
// Go's type name in error messages ("string", "int", "[]interface {}").
std::string type_name(const V& v);
// fmt's %v: "[a b]", "map[k:v]"; `top` prints null and missing as
// "<no value>" (text/template's printValue), otherwise "<nil>".
std::string format_v(const json_t* j, bool top);

struct CallContext {
  bool header = false;
};

// Calls builtin `name` (not and/or) with evaluated arguments, their count
// already checked against function_arity(). Errors coded EDOM are the
// function's own (the executor adds "error calling name: "); others are
// argument type errors, shown as they are.
Result<V> call_function(const std::string& name, const std::vector<V>& args, const CallContext& ctx);
// Minimum and maximum (-1: any) argument counts; false if unknown.
bool function_arity(const std::string& name, int* min, int* max);

}  // namespace hutch::tmpl
