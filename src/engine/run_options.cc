// Value parsers for docker's run/create flags, with docker's error texts.
#include "engine/run_options.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "base/strings.h"

namespace hutch::engine {
namespace {

Error invalid(const std::string& message) { return Error::plain(EINVAL, message); }

// docker/cli's pflag text: invalid argument "V" for "FLAG" flag: WHY.
Error bad_flag(const std::string& flag, const std::string& value, const std::string& why) {
  return invalid("invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "12", "1.5": digits with at most one fraction; the whole string.
std::optional<long double> parse_decimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0, digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  }
  if (i != s.size() || digits == 0) return std::nullopt;
  return std::strtold(std::string(s).c_str(), nullptr);
}

// go-units RAMInBytes: a decimal number, an optional space, then an
// optional binary unit b, k, m, g, t, p (any case) with optional "b" or
// "ib" after it ("64m", "64mb", "64MiB", "1.5g", "512b").
std::optional<int64_t> ram_in_bytes(std::string_view v) {
  size_t n = 0;
  while (n < v.size() && (is_digit(v[n]) || v[n] == '.')) ++n;
  auto num = parse_decimal(v.substr(0, n));
  if (!num) return std::nullopt;
  std::string sfx = lower(std::string(v.substr(n)));
  if (!sfx.empty() && sfx[0] == ' ') sfx.erase(0, 1);
  long double mul = 1;
  if (!sfx.empty()) {
    static const std::string kUnits = "bkmgtp";
    size_t u = kUnits.find(sfx[0]);
    if (u == std::string::npos || sfx.size() > 3) return std::nullopt;
    if (u == 0) {
      if (sfx.size() != 1) return std::nullopt;
    } else {
      if (sfx.size() == 2 && sfx[1] != 'b') return std::nullopt;
      if (sfx.size() == 3 && sfx.substr(1) != "ib") return std::nullopt;
      mul = std::pow(1024.0L, static_cast<long double>(u));
    }
  }
  long double bytes = *num * mul;
  if (bytes >= 9.2e18L) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

bool valid_device_mode(const std::string& m) {
  if (m.empty()) return false;
  std::set<char> seen;
  for (char c : m)
    if ((c != 'r' && c != 'w' && c != 'm') || !seen.insert(c).second) return false;
  return true;
}

// Lexical clean of an absolute path ("/a//b/../c/" -> "/a/c").
std::string clean_path(const std::string& p) {
  std::vector<std::string> out;
  for (const auto& part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(part);
  }
  return "/" + join(out, "/");
}

const std::set<std::string> kPropagation = {"shared", "rshared", "slave", "rslave", "private", "rprivate"};

// docker's linuxValidMountMode: at most one of each kind.
bool valid_volume_mode(const std::string& mode) {
  if (mode.empty()) return true;
  int rw = 0, label = 0, prop = 0, copy = 0, consistency = 0;
  for (const auto& m : split(mode, ',')) {
    if (m == "rw" || m == "ro") ++rw;
    else if (m == "z" || m == "Z") ++label;
    else if (kPropagation.count(m)) ++prop;
    else if (m == "nocopy") ++copy;
    else if (m == "consistent" || m == "cached" || m == "delegated") ++consistency;
    else return false;
  }
  return rw <= 1 && label <= 1 && prop <= 1 && copy <= 1 && consistency <= 1;
}

Status check_target(const std::string& type, const std::string& target) {
  if (target.empty() || target[0] != '/')
    return invalid("invalid mount config for type \"" + type + "\": invalid mount path: '" + target +
                   "' mount path must be absolute");
  if (clean_path(target) == "/")
    return invalid("invalid mount config for type \"" + type + "\": invalid specification: destination can't be '/'");
  return {};
}

bool valid_volume_name(const std::string& n) {
  if (n.size() < 2 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

Status check_volume_name(const std::string& n) {
  if (n.empty() || valid_volume_name(n)) return {};
  return invalid("\"" + n +
                 "\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
                 "allowed. If you intended to pass a host directory, use absolute path");
}

Result<bool> parse_bool(const std::string& v) {
  std::string l = lower(v);
  if (l == "1" || l == "t" || l == "true") return true;
  if (l == "0" || l == "f" || l == "false") return false;
  return invalid("invalid boolean \"" + v + "\"");
}

// Splits one CSV record (encoding/csv: fields may be "quoted", "" is a quote).
Result<std::vector<std::string>> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"' && (cur.empty() || was_quoted)) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
      was_quoted = false;
    } else {
      cur += c;
    }
  }
  if (quoted) return invalid("extraneous or missing \" in quoted-field");
  out.push_back(cur);
  return out;
}

}  // namespace

Result<int64_t> parse_size(const std::string& flag, const std::string& value) {
  auto v = ram_in_bytes(value);
  if (!v) return bad_flag(flag, value, "invalid size: '" + value + "'");
  return *v;
}

Result<int64_t> parse_duration(const std::string& flag, const std::string& value) {
  // Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0".
  auto bad = [&](const std::string& why) { return bad_flag(flag, value, "time: " + why); };
  auto invalid_dur = [&] { return bad("invalid duration \"" + value + "\""); };
  std::string_view s = value;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return invalid_dur();
  static const std::pair<const char*, long double> kUnits[] = {
      {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  long double total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return invalid_dur();
    size_t n = 0;
    while (n < s.size() && (is_digit(s[n]) || s[n] == '.')) ++n;
    auto num = parse_decimal(s.substr(0, n));
    if (!num) {
      // Go accepts "1." and ".5"; parse_decimal needs a digit somewhere.
      std::string t(s.substr(0, n));
      if (t == "." || std::count(t.begin(), t.end(), '.') > 1) return invalid_dur();
      num = std::strtold(t.c_str(), nullptr);
    }
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && !(s[u] == '.' || is_digit(s[u]))) ++u;
    if (u == 0) return bad("missing unit in duration \"" + value + "\"");
    std::string unit(s.substr(0, u));
    s.remove_prefix(u);
    const long double* mul = nullptr;
    for (const auto& [name, m] : kUnits)
      if (unit == name) mul = &m;
    if (!mul) return bad("unknown unit \"" + unit + "\" in duration \"" + value + "\"");
    total += *num * *mul;
    if (total > 9.223372036854775807e18L) return invalid_dur();
  }
  int64_t ns = static_cast<int64_t>(total);
  return neg ? -ns : ns;
}

Result<std::pair<int64_t, int64_t>> parse_cpus(const std::string& value, int ncpu) {
  std::string_view s = value;
  bool neg = !s.empty() && s[0] == '-';
  if (neg || (!s.empty() && s[0] == '+')) s.remove_prefix(1);
  auto num = parse_decimal(s);
  if (!num) return bad_flag("--cpus", value, "failed to parse " + value + " as a rational number");
  long double cpus = neg ? -*num : *num;
  long double nano = cpus * 1e9L;
  if (std::fabs(nano - std::round(nano)) > 1e-6L) return bad_flag("--cpus", value, "value is too precise");
  if (cpus == 0) return std::pair<int64_t, int64_t>{0, 0};
  if (cpus < 0.01L || cpus > ncpu)
    return bad_flag("--cpus", value,
                    "range of CPUs is from 0.01 to " + std::to_string(ncpu) + ".00, as there are only " +
                        std::to_string(ncpu) + " CPUs available");
  // docker: NanoCPUs with the CFS period of 100ms.
  const int64_t period = 100000;
  return std::pair<int64_t, int64_t>{static_cast<int64_t>(std::llround(cpus * period)), period};
}

Result<std::pair<int64_t, int64_t>> parse_cpus(const std::string& value) {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return parse_cpus(value, n > 0 ? static_cast<int>(n) : 1);
}

Result<std::pair<std::string, int>> parse_restart(const std::string& value) {
  std::string name = value;
  int count = 0;
  if (auto colon = value.find(':'); colon != std::string::npos) {
    name = value.substr(0, colon);
    if (name.empty()) return invalid("invalid restart policy format: no policy provided before colon");
    std::string v = value.substr(colon + 1);
    if (!v.empty()) {
      auto n = parse_int(v);
      if (!n || *n > INT32_MAX || *n < INT32_MIN)
        return invalid("invalid restart policy format: maximum retry count must be an integer");
      count = static_cast<int>(*n);
    }
  }
  if (name.empty()) name = "no";
  if (name == "no" || name == "always" || name == "unless-stopped") {
    if (count != 0) return invalid("invalid restart policy: maximum retry count can only be used with 'on-failure'");
  } else if (name == "on-failure") {
    if (count < 0) return invalid("invalid restart policy: maximum retry count cannot be negative");
  } else {
    return invalid("invalid restart policy: unknown policy '" + name +
                   "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  }
  return std::pair<std::string, int>{name, count};
}

Result<Ulimit> parse_ulimit(const std::string& value) {
  static const std::set<std::string> kNames = {"as",     "core",  "cpu",    "data",    "fsize",      "locks",
                                               "memlock", "msgqueue", "nice", "nofile", "nproc",     "rss",
                                               "rtprio", "rttime", "sigpending", "stack"};
  auto eq = value.find('=');
  if (eq == std::string::npos) return invalid("invalid ulimit argument: " + value);
  Ulimit u;
  u.name = value.substr(0, eq);
  if (!kNames.count(u.name)) return invalid("invalid ulimit type: " + u.name);
  auto parts = split(value.substr(eq + 1), ':');
  if (parts.size() > 2)
    return invalid("too many limit value arguments - " + value.substr(eq + 1) +
                   ", can only have up to two, `soft[:hard]`");
  auto number = [&](const std::string& s) -> Result<int64_t> {
    auto n = parse_int(s);
    if (!n) return invalid("invalid ulimit value \"" + s + "\" in \"" + value + "\": not an integer");
    return *n;
  };
  ASSIGN_OR_RETURN(u.soft, number(parts[0]));
  u.hard = u.soft;
  if (parts.size() == 2) {
    ASSIGN_OR_RETURN(u.hard, number(parts[1]));
  }
  if (u.hard != -1) {
    if (u.soft == -1)
      return invalid("ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: " +
                     std::to_string(u.hard));
    if (u.soft > u.hard)
      return invalid("ulimit soft limit must be less than or equal to hard limit: " + std::to_string(u.soft) +
                     " > " + std::to_string(u.hard));
  }
  return u;
}

Result<MountOption> parse_volume(const std::string& value) {
  auto spec_error = [&] { return invalid("invalid volume specification: '" + value + "'"); };
  // At most src:dst:mode; a fourth part is an error (SplitN(raw, ":", 4)).
  std::vector<std::string> arr;
  {
    std::string rest = value;
    while (arr.size() < 3) {
      auto c = rest.find(':');
      if (c == std::string::npos) break;
      arr.push_back(rest.substr(0, c));
      rest = rest.substr(c + 1);
    }
    arr.push_back(rest);
  }
  if (arr[0].empty()) return spec_error();
  MountOption m;
  std::string mode;
  switch (arr.size()) {
    case 1:
      m.target = arr[0];
      break;
    case 2:
      // "/foo:rw" is a destination with a mode: volumes cannot have one.
      if (valid_volume_mode(arr[1])) return spec_error();
      m.source = arr[0];
      m.target = arr[1];
      break;
    case 3:
      m.source = arr[0];
      m.target = arr[1];
      mode = arr[2];
      break;
    default:
      return spec_error();
  }
  if (!valid_volume_mode(mode)) return invalid("invalid mode: " + mode);
  // docker/cli resolves host paths that start with "." against the working
  // directory; other relative sources are volume names.
  if (!m.source.empty() && m.source[0] == '.') {
    char buf[4096];
    if (!::getcwd(buf, sizeof buf)) return Error::from_errno("resolve \"" + m.source + "\": getcwd");
    m.source = clean_path(std::string(buf) + "/" + m.source);
  }
  m.type = !m.source.empty() && m.source[0] == '/' ? "bind" : "volume";
  m.create_host_dir = m.type == "bind";  // -v creates a missing host dir, --mount does not
  bool has_propagation = false;
  for (const auto& o : split(mode, ',')) {
    if (o.empty() || o == "rw" || o == "consistent" || o == "cached" || o == "delegated") continue;
    if (o == "ro") {
      m.readonly = true;
      continue;
    }
    if (kPropagation.count(o)) has_propagation = true;
    if (o == "nocopy" && m.type == "bind")
      return invalid("invalid mount config for type \"bind\": field VolumeOptions must not be specified");
    m.options.push_back(o);
  }
  if (has_propagation && m.type == "volume")
    return invalid("invalid mount config for type \"volume\": field BindOptions must not be specified");
  TRY(check_target(m.type, m.target));
  m.target = clean_path(m.target);
  if (m.type == "volume") TRY(check_volume_name(m.source));
  return m;
}

Result<MountOption> parse_mount(const std::string& value) {
  auto fail = [&](const std::string& why) { return bad_flag("--mount", value, why); };
  auto fields = split_csv(value);
  if (!fields.ok()) return fail(fields.error().innermost());
  MountOption m;
  m.type = "volume";
  bool has_bind_opts = false, has_volume_opts = false, has_tmpfs_opts = false;
  std::string propagation;
  bool nonrecursive = false;
  for (const auto& field : *fields) {
    auto eq = field.find('=');
    std::string key = lower(eq == std::string::npos ? field : field.substr(0, eq));
    std::string val = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (eq == std::string::npos) {
      // Booleans may be given without a value.
      if (key == "readonly" || key == "ro" || key == "volume-nocopy" || key == "bind-nonrecursive") {
        val = "true";
      } else {
        return fail("invalid field '" + field + "' must be a key=value pair");
      }
    }
    auto boolean = [&]() -> Result<bool> {
      auto b = parse_bool(val);
      if (!b.ok()) return fail("invalid value for " + key + ": " + val);
      return *b;
    };
    if (key == "type") {
      m.type = lower(val);
    } else if (key == "source" || key == "src") {
      m.source = val;
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = val;
    } else if (key == "readonly" || key == "ro") {
      ASSIGN_OR_RETURN(m.readonly, boolean());
    } else if (key == "consistency") {
      // macOS only; accepted and ignored as docker does on Linux.
    } else if (key == "bind-propagation") {
      if (!kPropagation.count(val)) return fail("invalid value for " + key + ": " + val);
      propagation = val;
      has_bind_opts = true;
    } else if (key == "bind-nonrecursive") {
      ASSIGN_OR_RETURN(nonrecursive, boolean());
      has_bind_opts = true;
    } else if (key == "volume-nocopy") {
      ASSIGN_OR_RETURN(bool nocopy, boolean());
      if (nocopy) m.options.push_back("nocopy");
      has_volume_opts = true;
    } else if (key == "volume-driver") {
      if (val != "local") return fail("volume driver \"" + val + "\" is not supported (only \"local\")");
      has_volume_opts = true;
    } else if (key == "volume-label" || key == "volume-opt" || key == "volume-subpath") {
      return fail("hutch: mount option \"" + key + "\" is not supported yet");
    } else if (key == "tmpfs-size") {
      auto size = ram_in_bytes(val);
      if (!size) return fail("invalid value for " + key + ": " + val);
      m.options.push_back("size=" + std::to_string(*size / 1024) + "k");
      has_tmpfs_opts = true;
    } else if (key == "tmpfs-mode") {
      char* end = nullptr;
      unsigned long mode = std::strtoul(val.c_str(), &end, 8);
      if (val.empty() || *end || mode > 07777) return fail("invalid value for " + key + ": " + val);
      std::ostringstream o;
      o << std::oct << mode;
      m.options.push_back("mode=" + o.str());
      has_tmpfs_opts = true;
    } else {
      return fail("unexpected key '" + key + "' in '" + field + "'");
    }
  }
  if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs")
    return fail("hutch: mount type \"" + m.type + "\" is not supported (bind, volume or tmpfs)");
  if (m.target.empty()) return fail("target is required");
  if (m.type != "bind" && has_bind_opts) return fail("cannot mix 'bind-*' options with mount type '" + m.type + "'");
  if (m.type != "volume" && has_volume_opts)
    return fail("cannot mix 'volume-*' options with mount type '" + m.type + "'");
  if (m.type != "tmpfs" && has_tmpfs_opts) return fail("cannot mix 'tmpfs-*' options with mount type '" + m.type + "'");
  if (m.type == "bind") {
    if (m.source.empty()) return invalid("invalid mount config for type \"bind\": field Source must not be empty");
    if (m.source[0] != '/')
      return invalid("invalid mount config for type \"bind\": invalid mount path: '" + m.source +
                     "' mount path must be absolute");
    m.source = clean_path(m.source);
    if (!propagation.empty()) m.options.push_back(propagation);
    if (nonrecursive) m.options.push_back("nonrecursive");
  }
  if (m.type == "tmpfs" && !m.source.empty())
    return invalid("invalid mount config for type \"tmpfs\": field Source must not be specified");
  if (m.type == "volume") TRY(check_volume_name(m.source));
  TRY(check_target(m.type, m.target));
  m.target = clean_path(m.target);
  return m;
}

Result<MountOption> parse_tmpfs(const std::string& value) {
  MountOption m;
  m.type = "tmpfs";
  auto colon = value.find(':');
  m.target = value.substr(0, colon);
  if (colon != std::string::npos) {
    for (const auto& o : split(value.substr(colon + 1), ',')) {
      if (o.empty()) continue;
      if (o == "ro") {
        m.readonly = true;
      } else if (o == "rw") {
        m.readonly = false;
      } else {
        m.options.push_back(o);
      }
    }
  }
  TRY(check_target("tmpfs", m.target));
  m.target = clean_path(m.target);
  return m;
}

Result<DeviceOption> parse_device(const std::string& value) {
  auto fail = [&](const std::string& why) { return bad_flag("--device", value, why); };
  if (std::count(value.begin(), value.end(), ':') > 2) return fail("bad format for path: " + value);
  auto parts = split(value, ':');
  if (parts[0].empty()) return fail("bad format for path: " + value);
  DeviceOption d;
  d.host = parts[0];
  if (parts.size() == 2) {
    if (valid_device_mode(parts[1])) d.permissions = parts[1];
    else d.container = parts[1];
  } else if (parts.size() == 3) {
    d.container = parts[1];
    if (!valid_device_mode(parts[2])) return fail("bad mode specified: " + parts[2]);
    d.permissions = parts[2];
  }
  if (d.container.empty()) d.container = d.host;
  if (d.container[0] != '/') return fail(d.container + " is not an absolute path");
  if (d.host[0] != '/') return fail(d.host + " is not an absolute path");
  d.container = clean_path(d.container);
  return d;
}

Result<ThrottleDevice> parse_throttle(const std::string& flag, const std::string& value) {
  bool iops = flag.find("iops") != std::string::npos;
  auto colon = value.find(':');
  if (colon == std::string::npos || colon == 0) return bad_flag(flag, value, "bad format: " + value);
  ThrottleDevice t;
  t.path = value.substr(0, colon);
  if (!starts_with(t.path, "/dev/")) return bad_flag(flag, value, "bad format for device path: " + value);
  std::string rate = value.substr(colon + 1);
  if (iops) {
    auto n = parse_uint(rate);
    if (!n)
      return bad_flag(flag, value,
                      "invalid rate for device: " + value +
                          ". The correct format is <device-path>:<number>. Number must be a positive integer");
    t.rate = *n;
  } else {
    auto n = ram_in_bytes(rate);
    if (!n)
      return bad_flag(flag, value,
                      "invalid rate for device: " + value +
                          ". The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. "
                          "Unit is optional and can be kb, mb, or gb");
    t.rate = static_cast<uint64_t>(*n);
  }
  return t;
}

Result<std::vector<std::string>> parse_env_file(const std::string& text, const std::string& name,
                                                const std::function<const char*(const std::string&)>& lookup) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (lineno == 1 && starts_with(line, "\xef\xbb\xbf")) line.erase(0, 3);  // UTF-8 BOM
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view t = line;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    if (t.empty() || t[0] == '#') continue;
    auto eq = t.find('=');
    std::string key(t.substr(0, eq));
    if (eq == 0) return invalid("env file \"" + name + "\": no variable name on line '" + line + "'");
    for (char c : key)
      if (std::isspace(static_cast<unsigned char>(c)))
        return invalid("env file \"" + name + "\": variable '" + key + "' contains whitespaces");
    if (eq != std::string_view::npos) {
      out.push_back(std::string(t));
    } else if (const char* v = lookup(key)) {
      out.push_back(key + "=" + v);
    }  // unset in our environment: skipped, as docker does
  }
  return out;
}

Result<std::vector<std::string>> read_env_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error(errno, "open env file \"" + path + "\"");
  std::ostringstream s;
  s << f.rdbuf();
  return parse_env_file(s.str(), path, [](const std::string& k) { return std::getenv(k.c_str()); });
}

Result<std::string> parse_signal(const std::string& flag, const std::string& value) {
  static const char* const kNames[] = {
      nullptr,  "HUP",  "INT",    "QUIT", "ILL",  "TRAP", "ABRT", "BUS",   "FPE",    "KILL",  "USR1",
      "SEGV",   "USR2", "PIPE",   "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
      "TTOU",   "URG",  "XCPU",   "XFSZ", "VTALRM", "PROF", "WINCH", "IO",  "PWR",  "SYS"};
  auto bad = [&] { return bad_flag(flag, value, "invalid signal: " + value); };
  if (value.empty()) return bad();
  if (auto n = parse_int(value)) {
    if (*n >= 1 && *n < 32) return std::string("SIG") + kNames[*n];
    if (*n >= 32 && *n <= 64) return std::to_string(*n);  // real-time signals by number
    return bad();
  }
  std::string u = value;
  for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (starts_with(u, "SIG")) u.erase(0, 3);
  if (u == "IOT") u = "ABRT";
  if (u == "CLD") u = "CHLD";
  if (u == "POLL") u = "IO";
  for (int i = 1; i < 32; ++i)
    if (u == kNames[i]) return "SIG" + u;
  for (const char* base : {"RTMIN", "RTMAX"}) {
    if (!starts_with(u, base)) continue;
    std::string rest = u.substr(5);
    if (rest.empty()) return "SIG" + u;
    auto off = parse_int(rest.substr(1));
    bool plus = rest[0] == '+', minus = rest[0] == '-';
    if (off && ((plus && base[4] == 'N') || (minus && base[4] == 'X')) && *off >= 0 && *off <= 30) return "SIG" + u;
  }
  return bad();
}

Result<std::string> parse_ipv4(const std::string& value) {
  in_addr a{};
  if (::inet_pton(AF_INET, value.c_str(), &a) != 1) return invalid("invalid IPv4 address: " + value);
  return value;
}

Result<std::string> parse_mac_address(const std::string& value) {
  // EUI-48 as Go's net.ParseMAC writes it: six hex pairs split by ':' or '-'.
  std::string v(trim(value)), out;
  bool ok = v.size() == 17;
  for (size_t i = 0; ok && i < v.size(); ++i) {
    char c = v[i];
    if (i % 3 == 2) {
      ok = c == v[2] && (c == ':' || c == '-');
      out += ':';
    } else {
      ok = std::isxdigit(static_cast<unsigned char>(c)) != 0;
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!ok) return invalid(value + " is not a valid mac address");
  return out;
}

Result<std::string> parse_dns_search(const std::string& value) {
  // opts.ValidateDNSSearch: "." or labels of [a-zA-Z0-9-] (no '-' at either
  // end) joined by '.', an optional final '.', at most 255 characters.
  std::string v(trim(value));
  if (v == ".") return v;
  std::string d = !v.empty() && v.back() == '.' ? v.substr(0, v.size() - 1) : v;
  bool ok = !d.empty() && v.size() <= 255;
  for (const auto& label : split(d, '.')) {
    ok = ok && !label.empty() && label.front() != '-' && label.back() != '-';
    for (char c : label) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  }
  if (!ok) return invalid(value + " is not a valid domain");
  return v;
}

bool is_user_network(const std::string& n) {
  return !n.empty() && n != "bridge" && n != "default" && n != "none" && n != "host" && !starts_with(n, "container:");
}

std::set<std::string> exposed_ports_of(const std::set<std::string>& image_exposed, const RunOptions& o) {
  std::set<std::string> out = image_exposed;
  out.insert(o.expose.begin(), o.expose.end());
  for (const auto& [port, bindings] : o.publish) out.insert(port);
  return out;
}

network::PortBindings port_bindings_of(const std::set<std::string>& exposed, const RunOptions& o) {
  if (o.network == "none" || o.network == "host" || starts_with(o.network, "container:")) return {};
  return o.publish_all ? network::publish_all(exposed, o.publish) : o.publish;
}

namespace {

// docker's validateNetMode and the endpoint checks, with docker's texts.
Status validate_network(const RunOptions& o) {
  bool joined = starts_with(o.network, "container:");
  bool publishes = !o.publish.empty() || o.publish_all;
  if (o.network == "container:") return invalid("invalid network mode: invalid container format container:<name|id>");
  if (joined) {
    if (!o.hostname.empty()) return invalid("conflicting options: hostname and the network mode");
    if (!o.dns.empty() || !o.dns_search.empty() || !o.dns_options.empty())
      return invalid("conflicting options: dns and the network mode");
    if (!o.add_hosts.empty()) return invalid("conflicting options: custom host-to-IP mapping and the network mode");
    if (publishes) return invalid("conflicting options: port publishing and the container type network mode");
    if (!o.expose.empty()) return invalid("conflicting options: port exposing and the container type network mode");
  }
  if (!o.mac_address.empty() && (joined || o.network == "host" || o.network == "none"))
    return invalid("conflicting options: mac-address and the network mode");
  // hutch's own: without a network there is nothing a port could reach.
  if (o.network == "none" && publishes)
    return invalid("conflicting options: port publishing and the none network mode");
  if (!o.ip.empty() && !is_user_network(o.network))
    return invalid("user specified IP address is supported on user defined networks only");
  if (!o.network_aliases.empty() && !is_user_network(o.network))
    return invalid("network-scoped alias is supported only for containers in user defined networks");
  return {};
}

}  // namespace

Status validate_run_options(const RunOptions& o) {
  TRY(validate_network(o));
  if (o.memory != 0 && o.memory < 6 * 1024 * 1024) return invalid("minimum memory limit allowed is 6MB");
  if (o.memory_swap != 0) {
    if (o.memory == 0) return invalid("you should always set the memory limit when using memory swap limit, see usage");
    if (o.memory_swap != -1 && o.memory_swap < o.memory)
      return invalid("minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (o.memory != 0 && o.memory_reservation > o.memory)
    return invalid("minimum memory limit can not be less than memory reservation limit, see usage");
  if (o.shm_size == 0 || o.shm_size > (uint64_t{1} << 62)) return invalid("SHM size must be greater than 0");
  if (o.auto_remove && o.restart != "no") return invalid("conflicting options: cannot specify both --restart and --rm");
  if (o.blkio_weight != 0 && (o.blkio_weight < 10 || o.blkio_weight > 1000))
    return invalid("range of blkio weight is from 10 to 1000");
  if (o.oom_score_adj && (*o.oom_score_adj < -1000 || *o.oom_score_adj > 1000))
    return invalid("invalid value " + std::to_string(*o.oom_score_adj) + ", range for oom score adj is [-1000, 1000]");
  if (o.cpu_shares != 0 && o.cpu_shares < 2) return invalid("minimum CPU shares allowed is 2");
  if (o.health_interval < 0) return invalid("--health-interval cannot be negative");
  if (o.health_timeout < 0) return invalid("--health-timeout cannot be negative");
  if (o.health_start_period < 0) return invalid("--health-start-period cannot be negative");
  if (o.health_retries < 0) return invalid("--health-retries cannot be negative");
  const int64_t ms = 1'000'000;
  if (o.health_interval != 0 && o.health_interval < ms) return invalid("interval in Healthcheck cannot be less than 1ms");
  if (o.health_timeout != 0 && o.health_timeout < ms) return invalid("timeout in Healthcheck cannot be less than 1ms");
  if (o.health_start_period != 0 && o.health_start_period < ms)
    return invalid("start period in Healthcheck cannot be less than 1ms");
  if (!o.name.empty()) {
    std::string n = o.name[0] == '/' ? o.name.substr(1) : o.name;
    bool ok = n.size() >= 2 && std::isalnum(static_cast<unsigned char>(n[0]));
    for (char c : n) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok) return invalid("invalid container name (" + o.name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  if (!o.hostname.empty() && o.uts_ns == "host") return invalid("conflicting options: hostname and the UTS mode");
  if (!o.workdir.empty() && o.workdir[0] != '/')
    return invalid("the working directory '" + o.workdir + "' is invalid, it needs to be an absolute path");
  return {};
}

}  // namespace hutch::engine
