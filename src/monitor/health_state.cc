#include "monitor/health_state.h"

#include <time.h>

#include "base/json.h"
#include "base/strings.h"

namespace hutch::monitor {

namespace {

std::string rfc3339(int64_t ns) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return format_rfc3339(ts);
}

// Probe output is whatever the command printed; JSON needs UTF-8, so bytes
// that are not part of a valid sequence become U+FFFD.
std::string valid_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= in.size() && c != 0;
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 0x2;
    if (ok && len == 2) ok = c >= 0xc2;
    if (ok && len >= 3) {
      unsigned char c1 = static_cast<unsigned char>(in[i + 1]);
      if (len == 3) ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
      else ok = c <= 0xf4 && !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

HealthState apply_probe(HealthState s, const ProbeResult& r, int64_t started_at_ns, int64_t start_period_ns,
                        int retries) {
  s.log = append_health_log(s.log, r);
  if (r.exit_code == 0) {
    s.status = "healthy";
    s.failing_streak = 0;
    return s;
  }
  // moby daemon/health.go handleProbeResult: failures inside the start
  // period do not count while the container has never been healthy.
  if (s.status == "starting" && r.start_ns - started_at_ns < start_period_ns) return s;
  ++s.failing_streak;
  if (s.failing_streak >= (retries > 0 ? retries : 1)) s.status = "unhealthy";
  return s;
}

std::string append_health_log(const std::string& log, const ProbeResult& r) {
  json::Ptr arr;
  if (auto parsed = json::parse(log); parsed.ok() && json_is_array(parsed->get())) arr = std::move(*parsed);
  else arr.reset(json_array());
  json_t* e = json_object();
  json_object_set_new(e, "Start", json::str(rfc3339(r.start_ns)));
  json_object_set_new(e, "End", json::str(rfc3339(r.end_ns)));
  json_object_set_new(e, "ExitCode", json_integer(r.exit_code));
  std::string_view out = r.output;
  if (out.size() > kHealthOutputMax) out = out.substr(0, kHealthOutputMax);
  json_object_set_new(e, "Output", json::str(valid_utf8(out)));
  json_array_append_new(arr.get(), e);
  while (json_array_size(arr.get()) > static_cast<size_t>(kHealthLogEntries)) json_array_remove(arr.get(), 0);
  return json::dump(arr.get());
}

}  // namespace hutch::monitor
