// JSON through jansson: parse with a clear error, dump, and RAII ownership.
// Modules walk json_t trees directly; this header only adds ownership,
// error reporting in our Error type, and a few typed builders.
// Thread-safety: jansson values are not shared between threads here.
#pragma once

#include <jansson.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::json {

struct Decref {
  void operator()(json_t* j) const { json_decref(j); }
};
using Ptr = std::unique_ptr<json_t, Decref>;

// Parses a document; the error names the line and column.
Result<Ptr> parse(std::string_view text);
// Parses a file; errors name the file.
Result<Ptr> parse_file(const std::string& path);

// Compact (indent 0) or pretty (indent > 0) text, keys in insertion order.
// Strings "#u64:DIGITS" (how parse() keeps integers above INT64_MAX, and
// how builders write them: json::str("#u64:18446744073709551615")) are
// written as bare numbers.
std::string dump(const json_t* j, int indent = 0);

// Builders that steal nothing and return new references.
inline json_t* str(std::string_view s) { return json_stringn(s.data(), s.size()); }
json_t* string_array(const std::vector<std::string>& xs);
// The strings of an array (other members and non-arrays give nothing).
std::vector<std::string> strings_of(const json_t* array);
// A member's string value, "" when missing or not a string.
std::string string_of(const json_t* object, const char* key);

}  // namespace hutch::json
