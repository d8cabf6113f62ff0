#include "base/json.h"

#include <cstdlib>

#include "base/fs.h"

namespace hutch::json {

namespace {

// jansson keeps integers as int64; the OCI spec has uint64 fields whose
// values go above that (RLIM_INFINITY = 2^64-1 in rlimits). Such number
// tokens become strings "#u64:DIGITS", which Walker::uint64 accepts.
std::string quote_big_integers(std::string_view text, bool* changed) {
  std::string out;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c >= '0' && c <= '9' && (i == 0 || text[i - 1] != '-')) {
      size_t j = i;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      bool plain = j >= text.size() || (text[j] != '.' && text[j] != 'e' && text[j] != 'E');
      std::string_view digits = text.substr(i, j - i);
      if (plain && (digits.size() > 19 || (digits.size() == 19 && digits > "9223372036854775807")) &&
          (digits.size() < 20 || (digits.size() == 20 && digits <= "18446744073709551615"))) {
        out += "\"#u64:";
        out += digits;
        out += '"';
        *changed = true;
        i = j - 1;
        continue;
      }
      out += digits;
      i = j - 1;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Result<Ptr> parse(std::string_view text) {
  json_error_t err;
  bool changed = false;
  std::string quoted;
  if (text.size() >= 19) {
    quoted = quote_big_integers(text, &changed);
    if (changed) text = quoted;
  }
  json_t* j = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err);
  if (!j) {
    return Error::plain(EINVAL, "invalid JSON at line " + std::to_string(err.line) + " column " +
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
  // The reverse of parse(): "#u64:DIGITS" strings become numbers again.
  for (size_t at = out.find("\"#u64:"); at != std::string::npos; at = out.find("\"#u64:", at)) {
    size_t end = at + 6;
    while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
    // A string's opening quote follows ':', ',', '[' or layout; an escaped
    // quote inside a string follows a backslash and is left alone.
    bool opens = at == 0 || std::string_view(":,[ \n").find(out[at - 1]) != std::string_view::npos;
    if (opens && end < out.size() && out[end] == '"' && end > at + 6) {
      out.replace(end, 1, "");
      out.replace(at, 6, "");
    } else {
      at = end;
    }
  }
  return out;
}

json_t* string_array(const std::vector<std::string>& xs) {
  json_t* a = json_array();
  for (const auto& x : xs) json_array_append_new(a, str(x));
  return a;
}

std::vector<std::string> strings_of(const json_t* array) {
  std::vector<std::string> out;
  size_t i;
  json_t* v;
  json_array_foreach(array, i, v) {
    if (json_is_string(v)) out.emplace_back(json_string_value(v));
  }
  return out;
}

std::string string_of(const json_t* object, const char* key) {
  const char* s = json_string_value(json_object_get(object, key));
  return s ? s : "";
}

}  // namespace hutch::json
