// hutch logs: what a container printed, from the log its monitor keeps
// (logs/log_file.h). --new shows only what was logged since anyone last
// asked with --new (a cursor beside the container's bundle).
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/json.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "engine/run_options.h"
#include "logs/cursor.h"
#include "logs/log_file.h"

namespace hutch::cli {

namespace {

int64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// docker's --since/--until: a duration before now ("10m"), unix seconds
// ("1700000000[.5]"), or an RFC 3339 date/time.
Result<int64_t> parse_time(const std::string& flag, const std::string& v) {
  if (v.empty()) return 0;
  auto d = engine::parse_duration(flag, v);
  if (d.ok()) return now_ns() - *d;
  char* end = nullptr;
  double secs = std::strtod(v.c_str(), &end);
  if (end && *end == 0 && v.find_first_not_of("0123456789.") == std::string::npos)
    return static_cast<int64_t>(secs * 1e9);
  struct tm tm = {};
  const char* rest = ::strptime(v.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) rest = ::strptime(v.c_str(), "%Y-%m-%d", &tm);
  if (!rest) return Error::plain(EINVAL, "invalid value for \"" + flag + "\": \"" + v + "\" is not a duration, unix timestamp or RFC 3339 time");
  int64_t ns = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 9) {
        ns = ns * 10 + (*rest - '0');
        ++digits;
      }
      ++rest;
    }
    while (digits++ < 9) ns *= 10;
  }
  int64_t offset = 0;
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%d:%d", &hh, &mm) >= 1) offset = (hh * 3600 + mm * 60) * (*rest == '+' ? 1 : -1);
  }
  return (static_cast<int64_t>(::timegm(&tm)) - offset) * 1'000'000'000 + ns;
}

}  // namespace

int cmd_logs(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"follow", "f", false, false, "Follow log output"},
      {"since", "", true, false, "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"},
      {"until", "", true, false, "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"},
      {"tail", "n", true, false, "Number of lines to show from the end of the logs (default \"all\")"},
      {"timestamps", "t", false, false, "Show timestamps"},
      {"details", "", false, false, "Show extra details provided to logs (not supported: refused)"},
      {"new", "", false, false, "Show only what was logged since the last 'hutch logs --new' of this container"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "logs [OPTIONS] CONTAINER", "Fetch the logs of a container", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) return usage_error("logs", "exactly 1 argument");
  if (p->has("details")) return fail(Error::plain(ENOTSUP, "--details is not supported: hutch's log keeps no extra attributes"), 125);
  logs::ReadOptions ro;
  auto since = parse_time("--since", p->get("since"));
  if (!since.ok()) return fail(since.error(), 125);
  auto until = parse_time("--until", p->get("until"));
  if (!until.ok()) return fail(until.error(), 125);
  ro.since_ns = *since;
  ro.until_ns = *until;
  std::string tail = p->get("tail", "all");
  if (tail != "all") {
    auto n = parse_int(tail);
    if (!n) return fail(Error::plain(EINVAL, "invalid value for \"--tail\": \"" + tail + "\""), 125);
    ro.tail = *n < 0 ? -1 : *n;
  }
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto row = cs->find(p->positional[0]);
  if (!row.ok()) return fail(row.error());
  auto doc = engine::Containers::config_of(*row);
  if (!doc.ok()) return fail(doc.error());
  std::string path = json::string_of(doc->get(), "LogPath");
  std::string cursor = cs->paths().dir(row->id) + "/logs.cursor";
  if (p->has("new")) {
    auto c = logs::read_cursor(cursor);
    if (c.ok() && *c > ro.since_ns) ro.since_ns = *c + 1;
  }
  std::string id = row->id;
  ro.follow = p->has("follow");
  engine::Containers* csp = &*cs;
  ro.keep_following = [csp, id]() {
    auto r = csp->find(id);
    return r.ok() && (r->status == state::Status::kRunning || r->status == state::Status::kPaused ||
                      r->status == state::Status::kRestarting || r->status == state::Status::kCreated);
  };
  bool ts = p->has("timestamps");
  int64_t last = 0;
  std::string out;
  auto flush = [&]() {
    if (!out.empty()) std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
    std::fflush(stdout);
  };
  auto s = logs::read_log(path, ro, [&](const logs::Record& r) {
    std::string line;
    if (ts) {
      struct timespec t = {static_cast<time_t>(r.time_ns / 1'000'000'000), static_cast<long>(r.time_ns % 1'000'000'000)};
      line = format_rfc3339(t) + " ";
    }
    line += r.text;
    if (r.newline) line += "\n";
    last = r.time_ns;
    if (r.stream == logs::Stream::kStderr) {
      flush();
      std::fwrite(line.data(), 1, line.size(), stderr);
    } else {
      out += line;
      if (out.size() > 65536 || ro.follow) flush();
    }
    return true;
  });
  flush();
  if (!s.ok() && s.error().code() != ENOENT) return fail(s.error());
  if (p->has("new") && last) (void)logs::write_cursor(cursor, last);
  return 0;
}

}  // namespace hutch::cli
