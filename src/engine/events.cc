#include "engine/events.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "base/json.h"
#include "base/strings.h"
#include "engine/run_options.h"

namespace hutch::engine {

namespace {

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int num(std::string_view s) { return static_cast<int>(parse_int(s).value_or(-1)); }

// Nanoseconds of a fraction's digits ("5" -> 500000000).
int64_t fraction_ns(std::string_view f) {
  std::string d(f.substr(0, 9));
  while (d.size() < 9) d += '0';
  return parse_int(d).value_or(0);
}

Result<int64_t> parse_rfc3339ish(const std::string& value) {
  auto bad = [&] { return Error::plain(EINVAL, "failed to parse value as time or duration: \"" + value + "\""); };
  std::string_view s = value;
  // The zone: "Z", "+hh:mm", "-hh:mm" at the end (after the date).
  bool has_zone = false;
  int64_t offset_s = 0;
  if (s.size() > 10 && (s.back() == 'Z' || s.back() == 'z')) {
    has_zone = true;
    s.remove_suffix(1);
  } else if (s.size() >= 16 && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-') && s[s.size() - 3] == ':') {
    std::string_view z = s.substr(s.size() - 5);
    int h = num(z.substr(0, 2)), m = num(z.substr(3, 2));
    if (h < 0 || m < 0 || !digits(z.substr(0, 2)) || !digits(z.substr(3, 2))) return bad();
    offset_s = (h * 3600 + m * 60) * (s[s.size() - 6] == '-' ? -1 : 1);
    has_zone = true;
    s.remove_suffix(6);
  }
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s.substr(0, 4)) || !digits(s.substr(5, 2)) ||
      !digits(s.substr(8, 2)))
    return bad();
  struct tm tm = {};
  tm.tm_year = num(s.substr(0, 4)) - 1900;
  tm.tm_mon = num(s.substr(5, 2)) - 1;
  tm.tm_mday = num(s.substr(8, 2));
  int64_t frac = 0;
  std::string_view t = s.substr(10);
  if (!t.empty()) {
    // "T15", "T15:04", "T15:04:05", "T15:04:05.999999999".
    if (t[0] != 'T' && t[0] != 't') return bad();
    t.remove_prefix(1);
    auto part = [&](int* out) {
      if (t.size() < 2 || !digits(t.substr(0, 2))) return false;
      *out = num(t.substr(0, 2));
      t.remove_prefix(2);
      return true;
    };
    if (!part(&tm.tm_hour)) return bad();
    if (!t.empty()) {
      if (t[0] != ':') return bad();
      t.remove_prefix(1);
      if (!part(&tm.tm_min)) return bad();
    }
    if (!t.empty()) {
      if (t[0] != ':') return bad();
      t.remove_prefix(1);
      if (!part(&tm.tm_sec)) return bad();
    }
    if (!t.empty()) {
      if (t[0] != '.' || t.size() < 2 || !digits(t.substr(1))) return bad();
      frac = fraction_ns(t.substr(1));
    }
  }
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return bad();
  time_t secs;
  if (has_zone) {
    secs = ::timegm(&tm) - offset_s;
  } else {
    tm.tm_isdst = -1;
    secs = ::mktime(&tm);
  }
  return static_cast<int64_t>(secs) * 1'000'000'000 + frac;
}

}  // namespace

Result<int64_t> parse_timestamp(const std::string& value, int64_t now_ns) {
  if (value.empty()) return Error::plain(EINVAL, "empty time value");
  if (value != "0")
    if (auto d = parse_duration("--since", value); d.ok()) return now_ns - *d;
  // Unix seconds, with an optional fraction.
  size_t dot = value.find('.');
  std::string_view secs = std::string_view(value).substr(0, dot);
  std::string_view frac = dot == std::string::npos ? "" : std::string_view(value).substr(dot + 1);
  if (digits(secs) && (dot == std::string::npos || digits(frac)))
    return parse_int(secs).value_or(0) * 1'000'000'000 + fraction_ns(frac);
  return parse_rfc3339ish(value);
}

Result<EventFilter> EventFilter::parse(const std::vector<std::string>& terms) {
  static const char* kKeys[] = {"container", "event", "type", "image", "label", "volume"};
  EventFilter f;
  for (const auto& t : terms) {
    size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error::plain(EINVAL, "bad format of filter (expected name=value): \"" + t + "\"");
    std::string key = t.substr(0, eq);
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known)
      return Error::plain(EINVAL, "invalid filter '" + key + "' (hutch events filters: container, event, type, image, "
                                                             "label, volume)");
    f.terms_[key].push_back(t.substr(eq + 1));
  }
  return f;
}

bool EventFilter::matches(const state::EventRow& e) const {
  if (terms_.empty()) return true;
  auto attrs = json::parse(e.attributes);
  json_t* a = attrs.ok() ? attrs->get() : nullptr;
  auto attr = [&](const char* k) { return json::string_of(a, k); };
  for (const auto& [key, values] : terms_) {
    bool any = false;
    for (const auto& v : values) {
      if (key == "type") any = e.type == v;
      else if (key == "event") any = e.action == v || starts_with(e.action, v + ":");
      else if (key == "container")
        any = e.type == "container" && (e.id == v || (!v.empty() && starts_with(e.id, v)) || attr("name") == v);
      else if (key == "image")
        any = attr("image") == v || (e.type == "image" && (e.id == v || attr("name") == v));
      else if (key == "volume") any = e.type == "volume" && e.id == v;
      else if (key == "label") {
        size_t eq = v.find('=');
        std::string k = v.substr(0, eq);
        json_t* lv = json_object_get(a, k.c_str());
        any = lv && (eq == std::string::npos || attr(k.c_str()) == v.substr(eq + 1));
      }
      if (any) break;
    }
    if (!any) return false;
  }
  return true;
}

json_t* event_object(const state::EventRow& e) {
  json_t* o = json_object();
  auto attrs = json::parse(e.attributes);
  json_t* a = attrs.ok() && json_is_object(attrs->get()) ? attrs->get() : nullptr;
  if (e.type == "container" || e.type == "image") {
    json_object_set_new(o, "status", json::str(e.action));
    json_object_set_new(o, "id", json::str(e.id));
    if (e.type == "container" && !json::string_of(a, "image").empty())
      json_object_set_new(o, "from", json::str(json::string_of(a, "image")));
  }
  json_object_set_new(o, "Type", json::str(e.type));
  json_object_set_new(o, "Action", json::str(e.action));
  json_t* actor = json_object();
  json_object_set_new(actor, "ID", json::str(e.id));
  json_t* out_attrs = json_object();
  const char* k;
  json_t* v;
  json_object_foreach(a, k, v) {
    json_object_set_new(out_attrs, k, json_is_string(v) ? json_incref(v) : json::str(json::dump(v)));
  }
  json_object_set_new(actor, "Attributes", out_attrs);
  json_object_set_new(o, "Actor", actor);
  json_object_set_new(o, "scope", json::str("local"));
  json_object_set_new(o, "time", json_integer(e.time / 1'000'000'000));
  json_object_set_new(o, "timeNano", json_integer(e.time));
  return o;
}

std::string event_line(const state::EventRow& e) {
  // Go's "2006-01-02T15:04:05.000000000Z07:00" in local time.
  time_t secs = static_cast<time_t>(e.time / 1'000'000'000);
  long nanos = static_cast<long>(e.time % 1'000'000'000);
  struct tm tm;
  ::localtime_r(&secs, &tm);
  char date[64], zone[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  if (off == 0) std::snprintf(zone, sizeof zone, "Z");
  else std::snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', static_cast<int>(std::labs(off) / 3600 % 100),
                     static_cast<int>(std::labs(off) % 3600 / 60));
  char head[128];
  std::snprintf(head, sizeof head, "%s.%09ld%s", date, nanos, zone);
  std::string line = std::string(head) + " " + e.type + " " + e.action + " " + e.id;
  json::Ptr obj(event_object(e));
  json_t* attrs = json_object_get(json_object_get(obj.get(), "Actor"), "Attributes");
  std::map<std::string, std::string> sorted;
  const char* k;
  json_t* v;
  json_object_foreach(attrs, k, v) sorted[k] = json_string_value(v);
  if (!sorted.empty()) {
    std::vector<std::string> parts;
    for (const auto& [key, val] : sorted) parts.push_back(key + "=" + val);
    line += " (" + join(parts, ", ") + ")";
  }
  return line;
}

}  // namespace hutch::engine
