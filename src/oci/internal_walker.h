// Walker: typed reads from a jansson tree that name the JSON path of any
// bad field ("linux.namespaces[2].type: ..."). Used only by oci parsers.
// Thread-safety: plain values.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace hutch::oci::internal {

class Walker {
 public:
  Walker(const json_t* node, std::string path) : node_(node), path_(std::move(path)) {}

  const json_t* node() const { return node_; }
  const std::string& path() const { return path_; }
  bool is_null() const { return !node_ || json_is_null(node_); }

  Error fail(const std::string& what) const {
    return Error::plain(EINVAL, (path_.empty() ? std::string("config") : path_) + ": " + what);
  }

  // The member `key`, or a null walker when absent.
  Walker member(const char* key) const {
    const json_t* v = json_is_object(node_) ? json_object_get(node_, key) : nullptr;
    return Walker(v, path_.empty() ? std::string(key) : path_ + "." + key);
  }
  Walker element(size_t i) const {
    return Walker(json_array_get(node_, i), path_ + "[" + std::to_string(i) + "]");
  }

  Status expect_object() const;
  Status expect_array() const;
  size_t size() const { return json_is_array(node_) ? json_array_size(node_) : 0; }

  Result<std::string> str() const;
  Result<bool> boolean() const;
  Result<int64_t> int64() const;
  Result<uint64_t> uint64() const;
  Result<uint32_t> uint32() const;

  // Optional members: absent or null leaves `out` unchanged.
  Status opt(const char* key, std::string& out) const;
  Status opt(const char* key, bool& out) const;
  Status opt(const char* key, std::optional<bool>& out) const;
  Status opt(const char* key, std::optional<int64_t>& out) const;
  Status opt(const char* key, std::optional<uint64_t>& out) const;
  Status opt(const char* key, std::optional<uint32_t>& out) const;
  Status opt(const char* key, std::optional<uint16_t>& out) const;
  Status opt(const char* key, std::optional<int>& out) const;
  Status opt(const char* key, std::vector<std::string>& out) const;
  Status opt(const char* key, std::map<std::string, std::string>& out) const;

 private:
  const json_t* node_;
  std::string path_;
};

}  // namespace hutch::oci::internal
