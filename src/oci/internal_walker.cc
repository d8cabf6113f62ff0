#include "oci/internal_walker.h"

#include <limits>

#include "base/strings.h"

namespace hutch::oci::internal {

Status Walker::expect_object() const {
  if (!json_is_object(node_)) return fail("expected an object");
  return {};
}

Status Walker::expect_array() const {
  if (!json_is_array(node_)) return fail("expected an array");
  return {};
}

Result<std::string> Walker::str() const {
  if (!json_is_string(node_)) return fail("expected a string");
  return std::string(json_string_value(node_), json_string_length(node_));
}

Result<bool> Walker::boolean() const {
  if (!json_is_boolean(node_)) return fail("expected true or false");
  return json_is_true(node_);
}

Result<int64_t> Walker::int64() const {
  if (!json_is_integer(node_)) return fail("expected an integer");
  return static_cast<int64_t>(json_integer_value(node_));
}

Result<uint64_t> Walker::uint64() const {
  // jansson keeps integers as json_int_t (int64); json::parse turns larger
  // ones into "#u64:DIGITS" strings (see base/json.cc).
  if (json_is_integer(node_)) {
    json_int_t v = json_integer_value(node_);
    if (v < 0) return fail("expected a non-negative integer, got " + std::to_string(v));
    return static_cast<uint64_t>(v);
  }
  if (json_is_string(node_)) {
    std::string_view s(json_string_value(node_), json_string_length(node_));
    if (s.substr(0, 5) == "#u64:") {
      if (auto v = parse_uint(s.substr(5))) return *v;
    }
  }
  return fail("expected a non-negative integer");
}

Result<uint32_t> Walker::uint32() const {
  ASSIGN_OR_RETURN(uint64_t v, uint64());
  if (v > std::numeric_limits<uint32_t>::max()) return fail("value " + std::to_string(v) + " out of range");
  return static_cast<uint32_t>(v);
}

Status Walker::opt(const char* key, std::string& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  ASSIGN_OR_RETURN(out, m.str());
  return {};
}

Status Walker::opt(const char* key, bool& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  ASSIGN_OR_RETURN(out, m.boolean());
  return {};
}

Status Walker::opt(const char* key, std::optional<bool>& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  ASSIGN_OR_RETURN(out, m.boolean());
  return {};
}

Status Walker::opt(const char* key, std::optional<int64_t>& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  ASSIGN_OR_RETURN(out, m.int64());
  return {};
}

Status Walker::opt(const char* key, std::optional<uint64_t>& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  ASSIGN_OR_RETURN(out, m.uint64());
  return {};
}

Status Walker::opt(const char* key, std::optional<uint32_t>& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  ASSIGN_OR_RETURN(out, m.uint32());
  return {};
}

Status Walker::opt(const char* key, std::optional<uint16_t>& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  ASSIGN_OR_RETURN(uint64_t v, m.uint64());
  if (v > 65535) return m.fail("value " + std::to_string(v) + " out of range");
  out = static_cast<uint16_t>(v);
  return {};
}

Status Walker::opt(const char* key, std::optional<int>& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  ASSIGN_OR_RETURN(int64_t v, m.int64());
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    return m.fail("value " + std::to_string(v) + " out of range");
  out = static_cast<int>(v);
  return {};
}

Status Walker::opt(const char* key, std::vector<std::string>& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  TRY(m.expect_array());
  out.clear();
  for (size_t i = 0; i < m.size(); ++i) {
    ASSIGN_OR_RETURN(std::string s, m.element(i).str());
    out.push_back(std::move(s));
  }
  return {};
}

Status Walker::opt(const char* key, std::map<std::string, std::string>& out) const {
  Walker m = member(key);
  if (m.is_null()) return {};
  TRY(m.expect_object());
  const char* k;
  json_t* v;
  json_object_foreach(const_cast<json_t*>(m.node()), k, v) {
    Walker e(v, m.path() + "." + k);
    ASSIGN_OR_RETURN(std::string s, e.str());
    out[k] = std::move(s);
  }
  return {};
}

}  // namespace hutch::oci::internal
