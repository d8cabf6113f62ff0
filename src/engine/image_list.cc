#include "engine/image_list.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "base/log.h"
#include "base/strings.h"
#include "engine/images.h"
#include "image/store.h"
#include "oci/image.h"
#include "registry/reference.h"

namespace hutch::engine {

namespace {

Error invalid_filter(const std::string& key, const std::vector<std::string>& values = {}) {
  std::string msg = "invalid filter '" + key;
  if (!values.empty()) msg += "=" + join(values, ",");
  return Error::plain(EINVAL, msg + "'");
}

// Go's time.ParseDuration: "300ms", "1.5h", "2h45m"; nullopt otherwise.
std::optional<double> parse_duration_seconds(std::string_view s) {
  if (s.empty() || s == "0") return std::nullopt;
  double sign = 1;
  if (s[0] == '-' || s[0] == '+') {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
    if (n == 0 || s.substr(0, n) == ".") return std::nullopt;
    double v = std::strtod(std::string(s.substr(0, n)).c_str(), nullptr);
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    double scale;
    if (unit == "ns") scale = 1e-9;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") scale = 1e-6;
    else if (unit == "ms") scale = 1e-3;
    else if (unit == "s") scale = 1;
    else if (unit == "m") scale = 60;
    else if (unit == "h") scale = 3600;
    else return std::nullopt;
    total += v * scale;
  }
  return sign * total;
}

bool digits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t k = at; k < at + n; ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
  }
  *out = v;
  return true;
}

// "2006-01-02[T15[:04[:05[.999]]]][Z|±07:00]"; without a zone the time is
// local when `local` is set (docker's until=), else invalid.
std::optional<int64_t> parse_time(std::string_view s, bool local) {
  struct tm tm = {};
  int y, mo, d;
  if (!digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d))
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  size_t p = 10;
  if (p < s.size() && (s[p] == 'T' || s[p] == 't')) {
    if (!digits(s, p + 1, 2, &tm.tm_hour)) return std::nullopt;
    p += 3;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, &tm.tm_min)) return std::nullopt;
      p += 3;
      if (p < s.size() && s[p] == ':') {
        if (!digits(s, p + 1, 2, &tm.tm_sec)) return std::nullopt;
        p += 3;
        if (p < s.size() && s[p] == '.') {
          ++p;
          while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
        }
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) return std::nullopt;
  if (p == s.size()) {
    if (!local) return std::nullopt;
    tm.tm_isdst = -1;
    return static_cast<int64_t>(::mktime(&tm));
  }
  int64_t offset = 0;
  if (s[p] == 'Z' || s[p] == 'z') {
    ++p;
  } else if (s[p] == '+' || s[p] == '-') {
    int oh, om;
    if (!digits(s, p + 1, 2, &oh) || p + 3 >= s.size() || s[p + 3] != ':' || !digits(s, p + 4, 2, &om))
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[p] == '-' ? -1 : 1);
    p += 6;
  }
  if (p != s.size()) return std::nullopt;
  return static_cast<int64_t>(::timegm(&tm)) - offset;
}

// docker's timetypes.GetTimestamp for until=: a duration before `now`, a
// date or time (local without a zone), or unix seconds.
Result<int64_t> parse_until(const std::string& v, int64_t now) {
  if (auto d = parse_duration_seconds(v)) return now - static_cast<int64_t>(std::llround(*d));
  if (v.find('-') != std::string::npos) {
    if (auto t = parse_time(v, true)) return *t;
    return Error::plain(EINVAL, "parsing time \"" + v + "\": not a timestamp docker accepts");
  }
  char* end = nullptr;
  double secs = std::strtod(v.c_str(), &end);
  if (v.empty() || !end || *end != '\0' || !std::isfinite(secs))
    return Error::plain(EINVAL, "failed to parse value as time or duration: \"" + v + "\"");
  return static_cast<int64_t>(secs);
}

// Go's path.Match helpers (path/match.go), on bytes.
bool get_esc(std::string_view& chunk, unsigned char* r) {
  if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') return false;
  if (chunk[0] == '\\') {
    chunk.remove_prefix(1);
    if (chunk.empty()) return false;
  }
  *r = static_cast<unsigned char>(chunk[0]);
  chunk.remove_prefix(1);
  return !chunk.empty();
}

// Matches `chunk` at the start of `s`: sets *rest and returns true on a
// match; false with *bad set for a malformed chunk.
bool match_chunk(std::string_view chunk, std::string_view s, std::string_view* rest, bool* bad) {
  bool failed = false;
  while (!chunk.empty()) {
    if (!failed && s.empty()) failed = true;
    switch (chunk[0]) {
      case '[': {
        unsigned char r = 0;
        if (!failed) {
          r = static_cast<unsigned char>(s[0]);
          s.remove_prefix(1);
        }
        chunk.remove_prefix(1);
        bool negated = false;
        if (!chunk.empty() && chunk[0] == '^') {
          negated = true;
          chunk.remove_prefix(1);
        }
        bool match = false;
        int nrange = 0;
        while (true) {
          if (!chunk.empty() && chunk[0] == ']' && nrange > 0) {
            chunk.remove_prefix(1);
            break;
          }
          unsigned char lo, hi;
          if (!get_esc(chunk, &lo)) return *bad = true, false;
          hi = lo;
          if (chunk[0] == '-') {
            chunk.remove_prefix(1);
            if (!get_esc(chunk, &hi)) return *bad = true, false;
          }
          if (lo <= r && r <= hi) match = true;
          ++nrange;
        }
        if (match == negated) failed = true;
        break;
      }
      case '?':
        if (!failed) {
          if (s[0] == '/') failed = true;
          s.remove_prefix(1);
        }
        chunk.remove_prefix(1);
        break;
      case '\\':
        chunk.remove_prefix(1);
        if (chunk.empty()) return *bad = true, false;
        [[fallthrough]];
      default:
        if (!failed) {
          if (chunk[0] != s[0]) failed = true;
          s.remove_prefix(1);
        }
        chunk.remove_prefix(1);
    }
  }
  if (failed) return false;
  *rest = s;
  return true;
}

void scan_chunk(std::string_view& pattern, bool* star, std::string_view* chunk) {
  *star = false;
  while (!pattern.empty() && pattern[0] == '*') {
    pattern.remove_prefix(1);
    *star = true;
  }
  bool inrange = false;
  size_t i = 0;
  for (; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size()) ++i;
    } else if (c == '[') {
      inrange = true;
    } else if (c == ']') {
      inrange = false;
    } else if (c == '*' && !inrange) {
      break;
    }
  }
  *chunk = pattern.substr(0, i);
  pattern.remove_prefix(i);
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& familiar, Status* err) {
  for (const auto& p : patterns) {
    auto m = path_match(p, familiar);
    if (!m.ok()) {
      *err = std::move(m).error();
      return false;
    }
    if (*m) return true;
    m = path_match(p, familiar_repository(familiar));
    if (m.ok() && *m) return true;
  }
  return false;
}

}  // namespace

Result<ImageFilters> parse_image_filters(const std::vector<std::string>& values, int64_t now) {
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& v : values) {
    auto eq = v.find('=');
    if (eq == std::string::npos) return Error::plain(EINVAL, "bad format of filter (expected name=value)");
    std::string key(trim(std::string_view(v).substr(0, eq)));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value(trim(std::string_view(v).substr(eq + 1)));
    auto& list = by_key[key];
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  }
  ImageFilters f;
  for (const auto& [key, vals] : by_key) {
    if (key == "dangling") {
      bool t = false, fl = false;
      for (const auto& v : vals) {
        t = t || v == "true" || v == "1";
        fl = fl || v == "false" || v == "0";
      }
      if (t == fl) return invalid_filter(key, vals);
      f.dangling = t;
    } else if (key == "reference") {
      f.references = vals;
    } else if (key == "label") {
      for (const auto& v : vals) {
        auto eq = v.find('=');
        if (eq == std::string::npos) f.labels.push_back({v, std::nullopt});
        else f.labels.push_back({v.substr(0, eq), v.substr(eq + 1)});
      }
    } else if (key == "before") {
      f.before = vals.back();
    } else if (key == "since") {
      f.since = vals.back();
    } else if (key == "until") {
      ASSIGN_OR_RETURN(int64_t t, parse_until(vals.back(), now));
      f.until = t;
    } else {
      return invalid_filter(key);
    }
  }
  return f;
}

Result<bool> path_match(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    bool star;
    std::string_view chunk;
    scan_chunk(pattern, &star, &chunk);
    if (star && chunk.empty()) return name.find('/') == std::string_view::npos;
    std::string_view t;
    bool bad = false;
    bool ok = match_chunk(chunk, name, &t, &bad);
    if (ok && (t.empty() || !pattern.empty())) {
      name = t;
      continue;
    }
    if (bad) return Error::plain(EINVAL, "syntax error in pattern");
    bool matched = false;
    if (star) {
      for (size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
        ok = match_chunk(chunk, name.substr(i + 1), &t, &bad);
        if (ok) {
          if (pattern.empty() && !t.empty()) continue;
          name = t;
          matched = true;
          break;
        }
        if (bad) return Error::plain(EINVAL, "syntax error in pattern");
      }
    }
    if (matched) continue;
    // No match: the rest of the pattern must still be well formed.
    while (!pattern.empty()) {
      scan_chunk(pattern, &star, &chunk);
      match_chunk(chunk, "", &t, &bad);
      if (bad) return Error::plain(EINVAL, "syntax error in pattern");
    }
    return false;
  }
  return name.empty();
}

std::string familiar_repository(const std::string& familiar) {
  std::string s = familiar.substr(0, familiar.find('@'));
  auto colon = s.rfind(':');
  auto slash = s.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) s.resize(colon);
  return s;
}

Result<std::vector<ImageSummary>> filter_images(std::vector<ImageSummary> all, const ImageFilters& f,
                                                std::optional<int64_t> before, std::optional<int64_t> since) {
  std::vector<ImageSummary> out;
  for (auto& s : all) {
    if (before && s.created >= *before) continue;
    if (since && s.created <= *since) continue;
    if (f.until && s.created > *f.until) continue;
    bool labels_ok = f.labels.empty() || !s.labels.empty();
    for (const auto& [k, v] : f.labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || (v && it->second != *v)) labels_ok = false;
    }
    if (!labels_ok) continue;
    if (!f.references.empty()) {
      Status err;
      std::vector<std::string> tags, digests;
      for (const auto& t : s.tags)
        if (matches_any(f.references, t, &err)) tags.push_back(t);
      for (const auto& d : s.digests)
        if (matches_any(f.references, d, &err)) digests.push_back(d);
      TRY(err);
      s.tags = std::move(tags);
      s.digests = std::move(digests);
    }
    if (s.tags.empty() && s.digests.empty()) {
      if (f.dangling && !*f.dangling) continue;
      if (!f.references.empty()) continue;
    } else if (f.dangling && *f.dangling && !s.tags.empty()) {
      continue;
    }
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const ImageSummary& a, const ImageSummary& b) { return a.created > b.created; });
  return out;
}

Result<std::vector<ImageSummary>> list_images(const std::string& root, const ImageFilters& f) {
  Images images(root);
  image::ContentStore content(root);
  ASSIGN_OR_RETURN(auto records, images.list());
  std::vector<ImageSummary> all;
  for (auto& rec : records) {
    ImageSummary s;
    s.created = rec.created;
    for (const auto& n : rec.names) {
      auto ref = registry::Reference::parse(n);
      s.tags.push_back(ref.ok() ? ref->familiar() : n);
    }
    // As image inspect's RepoDigests: where it was pulled from or pushed
    // to, else each name with the local manifest's digest.
    auto add_digest = [&](const std::string& d) {
      if (std::find(s.digests.begin(), s.digests.end(), d) == s.digests.end()) s.digests.push_back(d);
    };
    for (const auto& rd : rec.repo_digests) {
      auto at = rd.find('@');
      auto ref = registry::Reference::parse(rd.substr(0, at));
      if (at != std::string::npos && ref.ok()) add_digest(familiar_repository(ref->familiar()) + rd.substr(at));
    }
    if (rec.repo_digests.empty())
      for (const auto& t : s.tags) add_digest(familiar_repository(t) + "@" + rec.manifest);
    auto cd = image::Digest::parse(rec.config);
    auto text = cd.ok() ? content.read(*cd) : Result<std::string>(cd.error());
    auto cfg = text.ok() ? oci::parse_image_config(*text) : Result<oci::ImageConfig>(text.error());
    if (cfg.ok()) {
      if (auto t = parse_rfc3339(cfg->created)) s.created = *t;
      s.labels = cfg->config.labels;
    } else {
      log::warn("images", "image " + rec.config + ": read its config: " + cfg.error().message());
    }
    s.record = std::move(rec);
    all.push_back(std::move(s));
  }
  std::optional<int64_t> before, since;
  if (f.before) {
    ASSIGN_OR_RETURN(image::ImageRecord r, images.find(*f.before));
    for (const auto& s : all)
      if (s.record.manifest == r.manifest) before = s.created;
  }
  if (f.since) {
    ASSIGN_OR_RETURN(image::ImageRecord r, images.find(*f.since));
    for (const auto& s : all)
      if (s.record.manifest == r.manifest) since = s.created;
  }
  return filter_images(std::move(all), f, before, since);
}

std::optional<int64_t> parse_rfc3339(std::string_view s) { return parse_time(s, false); }

}  // namespace hutch::engine
