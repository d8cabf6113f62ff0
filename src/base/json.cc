#include "base/json.h"

#include <cstdlib>

#include "base/fs.h"

namespace hutch::json {

Result<Ptr> parse(std::string_view text) {
  json_error_t err;
  json_t* j = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err);
  if (!j) {
    return Error(EINVAL, "invalid JSON at line " + std::to_string(err.line) + " column " +
                             std::to_string(err.column) + ": " + err.text);
  }
  return Ptr(j);
}

Result<Ptr> parse_file(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  auto r = parse(text);
  if (!r.ok()) return std::move(r).error().context("parse \"" + path + "\"");
  return r;
}

std::string dump(const json_t* j, int indent) {
  size_t flags = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
  if (indent > 0) flags |= JSON_INDENT(indent);
  else flags |= JSON_COMPACT;
  char* s = json_dumps(j, flags);
  if (!s) return "null";
  std::string out(s);
  free(s);
  return out;
}

}  // namespace hutch::json
