// Builtin functions of base/template.h (Go's text/template builtins and
// docker's templates.basicFunctions) and Go's fmt formatting of values.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/internal/template_ast.h"
#include "base/internal/template_value.h"
#include "base/template.h"

namespace hutch::tmpl {

V V::str(std::string_view s) {
  json_t* j = json_stringn_nocheck(s.data(), s.size());
  return own(j);
}

bool truth(const V& v) {
  json_t* j = v.get();
  if (!j) return false;
  switch (json_typeof(j)) {
    case JSON_OBJECT: return json_object_size(j) > 0;
    case JSON_ARRAY: return json_array_size(j) > 0;
    case JSON_STRING: return json_string_length(j) > 0;
    case JSON_INTEGER: return json_integer_value(j) != 0;
    case JSON_REAL: return json_real_value(j) != 0;
    case JSON_TRUE: return true;
    default: return false;
  }
}

std::string type_name(const V& v) {
  json_t* j = v.get();
  if (!j) return "<nil>";
  switch (json_typeof(j)) {
    case JSON_OBJECT: return "map[string]interface {}";
    case JSON_ARRAY: return "[]interface {}";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "int";
    case JSON_REAL: return "float64";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "<nil>";
  }
}

namespace {

// fmt's %v of a float64: the shortest digits that read back exactly, in
// exponent form below 1e-4 and from 1e6 up (strconv's 'g' with precision
// -1 switches at exponent 6 then).
std::string format_float(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  char buf[64];
  int p = 1;
  for (; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p - 1, f);
    if (std::strtod(buf, nullptr) == f) break;
  }
  int exp = std::atoi(std::strchr(buf, 'e') + 1);
  if (exp < -4 || exp >= 6) return buf;
  std::snprintf(buf, sizeof buf, "%.*f", std::max(0, p - 1 - exp), f);
  return buf;
}

void format_into(const json_t* j, bool top, int depth, std::string* out) {
  if (!j || json_is_null(j)) {
    *out += top ? "<no value>" : "<nil>";
    return;
  }
  if (depth > 1000) {
    *out += "...";
    return;
  }
  switch (json_typeof(j)) {
    case JSON_STRING:
      out->append(json_string_value(j), json_string_length(j));
      return;
    case JSON_INTEGER:
      *out += std::to_string(json_integer_value(j));
      return;
    case JSON_REAL:
      *out += format_float(json_real_value(j));
      return;
    case JSON_TRUE:
      *out += "true";
      return;
    case JSON_FALSE:
      *out += "false";
      return;
    case JSON_ARRAY: {
      *out += '[';
      for (size_t i = 0; i < json_array_size(j); ++i) {
        if (i) *out += ' ';
        format_into(json_array_get(j, i), false, depth + 1, out);
      }
      *out += ']';
      return;
    }
    case JSON_OBJECT: {
      std::vector<std::string> keys;
      const char* k;
      json_t* v;
      json_object_foreach(const_cast<json_t*>(j), k, v) keys.emplace_back(k);
      std::sort(keys.begin(), keys.end());
      *out += "map[";
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i) *out += ' ';
        *out += keys[i] + ":";
        format_into(json_object_get(j, keys[i].c_str()), false, depth + 1, out);
      }
      *out += ']';
      return;
    }
    default:
      *out += "<nil>";
  }
}

Error type_error(const char* want, const V& got) {
  if (got.missing() || json_is_null(got.get())) return Error::plain(EINVAL, std::string("invalid value; expected ") + want);
  return Error::plain(EINVAL, std::string("wrong type for value; expected ") + want + "; got " + type_name(got));
}

Error own_error(std::string msg) { return Error::plain(EDOM, std::move(msg)); }

Result<std::string> want_string(const V& v) {
  if (!v.is_string()) return type_error("string", v);
  return v.string();
}

Result<int64_t> want_int(const V& v) {
  if (!json_is_integer(v.get())) return type_error("int", v);
  return static_cast<int64_t>(json_integer_value(v.get()));
}

// Go's strconv.Quote, for %q.
std::string go_quote(const std::string& s) {
  std::string q = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': q += "\\\""; break;
      case '\\': q += "\\\\"; break;
      case '\n': q += "\\n"; break;
      case '\t': q += "\\t"; break;
      case '\r': q += "\\r"; break;
      case '\a': q += "\\a"; break;
      case '\b': q += "\\b"; break;
      case '\f': q += "\\f"; break;
      case '\v': q += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          q += buf;
        } else {
          q += static_cast<char>(c);
        }
    }
  }
  return q + "\"";
}

// fmt's "%!verb(type=value)" for a value the verb does not apply to.
std::string bad_verb(char verb, const V& v) {
  if (v.missing() || json_is_null(v.get())) return std::string("%!") + verb + "(<nil>)";
  return std::string("%!") + verb + "(" + type_name(v) + "=" + format_v(v.get(), false) + ")";
}

size_t rune_count(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string go_printf(const std::string& format, const std::vector<V>& args) {
  std::string out;
  size_t argi = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (++i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    bool minus = false, zero = false, plus = false, space = false;
    for (; i < format.size(); ++i) {
      char f = format[i];
      if (f == '-') minus = true;
      else if (f == '0') zero = true;
      else if (f == '+') plus = true;
      else if (f == ' ') space = true;
      else if (f != '#') break;
    }
    int width = -1, prec = -1;
    for (; i < format.size() && format[i] >= '0' && format[i] <= '9'; ++i)
      width = std::min((width < 0 ? 0 : width) * 10 + (format[i] - '0'), 10000);
    if (i < format.size() && format[i] == '.') {
      prec = 0;
      for (++i; i < format.size() && format[i] >= '0' && format[i] <= '9'; ++i)
        prec = std::min(prec * 10 + (format[i] - '0'), 10000);
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = format[i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (argi >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    const V& a = args[argi++];
    json_t* j = a.get();
    std::string s;
    bool numeric = false;
    char buf[512];
    switch (verb) {
      case 'v':
        s = format_v(j, false);
        numeric = json_is_number(j);
        break;
      case 's':
        if (json_is_string(j)) s = a.string();
        else if (json_is_array(j) || json_is_object(j)) s = format_v(j, false);
        else s = bad_verb(verb, a);
        if (prec >= 0 && json_is_string(j)) {
          size_t n = 0, b = 0;
          for (; b < s.size(); ++b)
            if ((static_cast<unsigned char>(s[b]) & 0xC0) != 0x80 && n++ == static_cast<size_t>(prec)) break;
          s.resize(b);
        }
        break;
      case 'q':
        if (json_is_string(j)) s = go_quote(a.string());
        else if (json_is_integer(j)) s = "'" + std::string(1, static_cast<char>(json_integer_value(j))) + "'";
        else s = bad_verb(verb, a);
        break;
      case 'd':
      case 'x':
      case 'X':
      case 'o':
      case 'b':
      case 'c':
        if (json_is_integer(j)) {
          long long v = json_integer_value(j);
          numeric = true;
          if (verb == 'd') std::snprintf(buf, sizeof buf, plus ? "%+lld" : space ? "% lld" : "%lld", v);
          else if (verb == 'x') std::snprintf(buf, sizeof buf, v < 0 ? "-%llx" : "%llx", v < 0 ? -v : v);
          else if (verb == 'X') std::snprintf(buf, sizeof buf, v < 0 ? "-%llX" : "%llX", v < 0 ? -v : v);
          else if (verb == 'o') std::snprintf(buf, sizeof buf, v < 0 ? "-%llo" : "%llo", v < 0 ? -v : v);
          else if (verb == 'c') std::snprintf(buf, sizeof buf, "%c", static_cast<char>(v));
          else {
            std::string bits;
            unsigned long long u = static_cast<unsigned long long>(v < 0 ? -v : v);
            do bits.insert(bits.begin(), static_cast<char>('0' + (u & 1))); while (u >>= 1);
            std::snprintf(buf, sizeof buf, "%s%s", v < 0 ? "-" : "", bits.c_str());
          }
          s = buf;
        } else if (json_is_string(j) && (verb == 'x' || verb == 'X')) {
          for (unsigned char ch : a.string()) {
            std::snprintf(buf, sizeof buf, verb == 'x' ? "%02x" : "%02X", ch);
            s += buf;
          }
        } else {
          s = bad_verb(verb, a);
        }
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
        if (json_is_real(j)) {
          numeric = true;
          double v = json_real_value(j);
          if ((verb == 'g' || verb == 'G') && prec < 0) {
            s = format_float(v);
          } else {
            char fmt[16];
            std::snprintf(fmt, sizeof fmt, "%%%s.%d%c", plus ? "+" : "", prec < 0 ? 6 : prec, verb);
            std::snprintf(buf, sizeof buf, fmt, v);
            s = buf;
          }
        } else {
          s = bad_verb(verb, a);
        }
        break;
      case 't':
        s = json_is_boolean(j) ? (json_is_true(j) ? "true" : "false") : bad_verb(verb, a);
        break;
      default:
        s = bad_verb(verb, a);
    }
    size_t w = rune_count(s);
    if (width > 0 && w < static_cast<size_t>(width)) {
      size_t pad = static_cast<size_t>(width) - w;
      if (minus) s += std::string(pad, ' ');
      else if (zero && numeric) {
        size_t at = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
        s.insert(at, std::string(pad, '0'));
      } else s.insert(0, std::string(pad, ' '));
    }
    out += s;
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
      if (k > argi) out += ", ";
      out += args[k].missing() || json_is_null(args[k].get()) ? "<nil>" : type_name(args[k]) + "=" + format_v(args[k].get(), false);
    }
    out += ")";
  }
  return out;
}

enum class Kind { kNone, kBool, kInt, kFloat, kString, kOther };
Kind basic_kind(const V& v) {
  json_t* j = v.get();
  if (!j || json_is_null(j)) return Kind::kNone;
  if (json_is_boolean(j)) return Kind::kBool;
  if (json_is_integer(j)) return Kind::kInt;
  if (json_is_real(j)) return Kind::kFloat;
  if (json_is_string(j)) return Kind::kString;
  return Kind::kOther;
}

// Go's eq for one pair; numbers compare across int and float (JSON does
// not keep Go's distinction).
Result<bool> equal(const V& a, const V& b) {
  Kind ka = basic_kind(a), kb = basic_kind(b);
  bool num_a = ka == Kind::kInt || ka == Kind::kFloat, num_b = kb == Kind::kInt || kb == Kind::kFloat;
  if (num_a && num_b) return json_number_value(a.get()) == json_number_value(b.get());
  if (ka != kb) {
    if (ka == Kind::kNone || kb == Kind::kNone) return false;
    return own_error("incompatible types for comparison");
  }
  switch (ka) {
    case Kind::kNone: return true;
    case Kind::kBool: return json_is_true(a.get()) == json_is_true(b.get());
    case Kind::kString: return a.string() == b.string();
    default: return own_error("non-comparable type " + format_v(a.get(), false) + ": " + type_name(a));
  }
}

// Go's lt; le/gt/ge derive from it and eq.
Result<bool> less(const V& a, const V& b) {
  Kind ka = basic_kind(a), kb = basic_kind(b);
  bool num_a = ka == Kind::kInt || ka == Kind::kFloat, num_b = kb == Kind::kInt || kb == Kind::kFloat;
  if (num_a && num_b) return json_number_value(a.get()) < json_number_value(b.get());
  if (ka != kb) return own_error("incompatible types for comparison");
  if (ka == Kind::kString) return a.string() < b.string();
  return own_error("invalid type for comparison");
}

Result<int64_t> index_arg(const V& idx, size_t len) {
  if (idx.missing() || json_is_null(idx.get())) return own_error("cannot index slice/array with nil");
  if (!json_is_integer(idx.get())) return own_error("cannot index slice/array with type " + type_name(idx));
  int64_t x = json_integer_value(idx.get());
  if (x < 0 || static_cast<uint64_t>(x) > len) return own_error("index out of range: " + std::to_string(x));
  return x;
}

Result<V> fn_index(const std::vector<V>& args) {
  V item = args[0];
  if (item.missing() || json_is_null(item.get())) return own_error("index of untyped nil");
  for (size_t k = 1; k < args.size(); ++k) {
    json_t* j = item.get();
    if (!j || json_is_null(j)) return own_error("index of nil pointer");
    if (json_is_array(j) || json_is_string(j)) {
      size_t len = json_is_array(j) ? json_array_size(j) : json_string_length(j);
      ASSIGN_OR_RETURN(int64_t x, index_arg(args[k], len));
      if (static_cast<size_t>(x) == len) return own_error("index out of range: " + std::to_string(x));
      if (json_is_array(j)) item = V::ref(json_array_get(j, static_cast<size_t>(x)));
      else item = V::integer(static_cast<unsigned char>(json_string_value(j)[x]));
    } else if (json_is_object(j)) {
      if (!args[k].is_string()) return type_error("string", args[k]);
      json_t* e = json_object_get(j, args[k].string().c_str());
      // Go returns the zero value of the element type for a missing key;
      // docker's maps (labels) hold strings, so that is "".
      item = e ? V::ref(e) : V::str("");
    } else {
      return own_error("can't index item of type " + type_name(item));
    }
  }
  return item;
}

Result<V> fn_slice(const std::vector<V>& args) {
  const V& item = args[0];
  json_t* j = item.get();
  if (!j || json_is_null(j)) return own_error("slice of untyped nil");
  if (args.size() > 4) return own_error("too many slice indexes: " + std::to_string(args.size() - 1));
  bool is_str = json_is_string(j);
  if (!is_str && !json_is_array(j)) return own_error("can't slice item of type " + type_name(item));
  if (is_str && args.size() == 4) return own_error("cannot 3-index slice a string");
  size_t len = is_str ? json_string_length(j) : json_array_size(j);
  int64_t idx[3] = {0, static_cast<int64_t>(len), static_cast<int64_t>(len)};
  for (size_t k = 1; k < args.size(); ++k) {
    ASSIGN_OR_RETURN(idx[k - 1], index_arg(args[k], len));
  }
  if (idx[0] > idx[1]) return own_error("invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]));
  if (is_str) return V::str(std::string_view(json_string_value(j), len).substr(idx[0], idx[1] - idx[0]));
  json_t* out = json_array();
  for (int64_t k = idx[0]; k < idx[1]; ++k) json_array_append(out, json_array_get(j, static_cast<size_t>(k)));
  return V::own(out);
}

std::string ascii_case(std::string s, bool upper) {
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

// strings.Title: upper-cases the first letter of each word.
std::string title(std::string s) {
  bool sep = true;
  for (char& c : s) {
    auto u = static_cast<unsigned char>(c);
    if (sep && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    sep = u < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
  }
  return s;
}

std::string to_json(const V& v) {
  if (v.missing()) return "null";
  char* s = json_dumps(v.get(), JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (!s) return "null";
  std::string out(s);
  free(s);
  return out;
}

struct Arity {
  const char* name;
  int min, max;
};
constexpr Arity kFunctions[] = {
    {"and", 1, -1},   {"or", 1, -1},     {"not", 1, 1},      {"len", 1, 1},       {"index", 1, -1},
    {"slice", 1, -1}, {"eq", 1, -1},     {"ne", 2, 2},       {"lt", 2, 2},        {"le", 2, 2},
    {"gt", 2, 2},     {"ge", 2, 2},      {"print", 0, -1},   {"printf", 1, -1},   {"println", 0, -1},
    {"json", 1, 1},   {"split", 2, 2},   {"join", 2, 2},     {"title", 1, 1},     {"lower", 1, 1},
    {"upper", 1, 1},  {"pad", 3, 3},     {"truncate", 2, 2},
};

}  // namespace

std::string format_v(const json_t* j, bool top) {
  std::string out;
  format_into(j, top, 0, &out);
  return out;
}

std::string print_value(const json_t* v) { return format_v(v, true); }

bool is_known_function(const std::string& name) {
  int a, b;
  return function_arity(name, &a, &b);
}

bool function_arity(const std::string& name, int* min, int* max) {
  for (const auto& f : kFunctions)
    if (name == f.name) {
      *min = f.min;
      *max = f.max;
      return true;
    }
  return false;
}

Result<V> call_function(const std::string& name, const std::vector<V>& args, const CallContext& ctx) {
  // docker's HeaderFunctions: the column name stays as it is.
  if (ctx.header && (name == "json" || name == "split" || name == "join" || name == "title" || name == "lower" ||
                     name == "upper" || name == "truncate")) {
    ASSIGN_OR_RETURN(std::string s, want_string(args[0]));
    if (name == "split" || name == "join") TRY(want_string(args[1]));
    if (name == "truncate") TRY(want_int(args[1]));
    return V::str(s);
  }
  if (name == "not") return V::boolean(!truth(args[0]));
  if (name == "len") {
    json_t* j = args[0].get();
    if (!j || json_is_null(j)) return own_error("len of nil pointer");
    if (json_is_string(j)) return V::integer(static_cast<int64_t>(json_string_length(j)));
    if (json_is_array(j)) return V::integer(static_cast<int64_t>(json_array_size(j)));
    if (json_is_object(j)) return V::integer(static_cast<int64_t>(json_object_size(j)));
    return own_error("len of type " + type_name(args[0]));
  }
  if (name == "index") return fn_index(args);
  if (name == "slice") return fn_slice(args);
  if (name == "eq") {
    if (args.size() < 2) return own_error("missing argument for comparison");
    for (size_t k = 1; k < args.size(); ++k) {
      ASSIGN_OR_RETURN(bool e, equal(args[0], args[k]));
      if (e) return V::boolean(true);
    }
    return V::boolean(false);
  }
  if (name == "ne") {
    ASSIGN_OR_RETURN(bool e, equal(args[0], args[1]));
    return V::boolean(!e);
  }
  if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
    ASSIGN_OR_RETURN(bool lt, less(args[0], args[1]));
    bool eq = false;
    if (name == "le" || name == "gt") {
      ASSIGN_OR_RETURN(eq, equal(args[0], args[1]));
    }
    if (name == "lt") return V::boolean(lt);
    if (name == "le") return V::boolean(lt || eq);
    if (name == "gt") return V::boolean(!lt && !eq);
    return V::boolean(!lt);
  }
  if (name == "print" || name == "println") {
    std::string out;
    for (size_t k = 0; k < args.size(); ++k) {
      // Sprint adds a space between operands when neither is a string.
      if (k > 0 && (name == "println" || (!args[k - 1].is_string() && !args[k].is_string()))) out += ' ';
      out += format_v(args[k].get(), false);
    }
    if (name == "println") out += '\n';
    return V::str(out);
  }
  if (name == "printf") {
    ASSIGN_OR_RETURN(std::string f, want_string(args[0]));
    return V::str(go_printf(f, std::vector<V>(args.begin() + 1, args.end())));
  }
  if (name == "json") return V::str(to_json(args[0]));
  if (name == "split") {
    ASSIGN_OR_RETURN(std::string s, want_string(args[0]));
    ASSIGN_OR_RETURN(std::string sep, want_string(args[1]));
    json_t* out = json_array();
    if (sep.empty()) {
      // strings.Split with "" splits after each UTF-8 sequence.
      for (size_t i = 0; i < s.size();) {
        size_t n = 1;
        while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
        json_array_append_new(out, json_stringn_nocheck(s.data() + i, n));
        i += n;
      }
    } else {
      size_t at = 0;
      while (true) {
        size_t x = s.find(sep, at);
        json_array_append_new(out, json_stringn_nocheck(s.data() + at, (x == std::string::npos ? s.size() : x) - at));
        if (x == std::string::npos) break;
        at = x + sep.size();
      }
    }
    return V::own(out);
  }
  if (name == "join") {
    json_t* j = args[0].get();
    if (!json_is_array(j)) return type_error("[]string", args[0]);
    ASSIGN_OR_RETURN(std::string sep, want_string(args[1]));
    std::string out;
    for (size_t k = 0; k < json_array_size(j); ++k) {
      if (k) out += sep;
      out += format_v(json_array_get(j, k), false);
    }
    return V::str(out);
  }
  if (name == "title" || name == "lower" || name == "upper") {
    ASSIGN_OR_RETURN(std::string s, want_string(args[0]));
    return V::str(name == "title" ? title(s) : ascii_case(s, name == "upper"));
  }
  if (name == "pad") {
    ASSIGN_OR_RETURN(std::string s, want_string(args[0]));
    ASSIGN_OR_RETURN(int64_t pre, want_int(args[1]));
    ASSIGN_OR_RETURN(int64_t post, want_int(args[2]));
    if (s.empty()) return V::str(s);
    if (pre < 0 || post < 0 || pre > 10000 || post > 10000) return own_error("pad: count out of range");
    return V::str(std::string(static_cast<size_t>(pre), ' ') + s + std::string(static_cast<size_t>(post), ' '));
  }
  if (name == "truncate") {
    ASSIGN_OR_RETURN(std::string s, want_string(args[0]));
    ASSIGN_OR_RETURN(int64_t n, want_int(args[1]));
    if (n < 0) return own_error("truncate: negative length");
    if (s.size() < static_cast<size_t>(n)) return V::str(s);
    return V::str(s.substr(0, static_cast<size_t>(n)));
  }
  return own_error("function \"" + name + "\" not defined");
}

}  // namespace hutch::tmpl
