// hutch events: docker's event stream from the store's events table
// (engine/events.h). Without --until it follows: the table is polled every
// 200 ms for rows newer than the last one shown, until Ctrl-C. Without
// --since only new events are shown, as docker does.
#include <signal.h>
#include <time.h>

#include <cstdio>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/format.h"
#include "engine/events.h"

namespace hutch::cli {

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

int64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int cmd_events(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"filter", "f", true, true, "Filter output based on conditions provided (container, event, type, image, label, volume)"},
      {"format", "", true, false, "Format output using a custom template: 'json', or a Go template"},
      {"since", "", true, false, "Show all events created since timestamp"},
      {"until", "", true, false, "Stream events until this timestamp"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "events [OPTIONS]", "Get real time events from the server", &code);
  if (!p.ok()) return code;
  if (!p->positional.empty()) {
    std::fprintf(stderr, "\"hutch events\" accepts no arguments.\nSee 'hutch events --help'.\n");
    return 1;
  }
  int64_t now = now_ns();
  int64_t since = 0, until = 0;
  for (const auto& [flag, out] : {std::pair<const char*, int64_t*>{"since", &since}, {"until", &until}}) {
    if (!p->has(flag)) continue;
    auto t = engine::parse_timestamp(p->get(flag), now);
    if (!t.ok()) return fail(t.error());
    *out = *t;
  }
  auto filter = engine::EventFilter::parse(p->all("filter"));
  if (!filter.ok()) return fail(filter.error());
  std::optional<Formatter> fmt;
  if (p->has("format")) {
    auto f = Formatter::parse(p->get("format"));
    if (!f.ok()) return fail(f.error());
    fmt.emplace(std::move(f).value());
  }
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  state::Db& db = cs->db();

  int64_t last = 0;
  bool history = p->has("since") || p->has("until");
  if (!history) {
    // Only what happens from now on.
    auto all = db.events(0, 0, 0);
    if (!all.ok()) return fail(all.error());
    if (!all->empty()) last = all->back().seq;
  }
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGPIPE, &sa, nullptr);
  for (;;) {
    // Rows are read before the clock, so an event written at `until` is seen.
    auto rows = db.events(last, since, until);
    bool done = until != 0 && now_ns() >= until;
    if (!rows.ok()) return fail(rows.error());
    std::string out;
    for (const auto& e : *rows) {
      last = e.seq;
      if (!filter->matches(e)) continue;
      if (fmt) {
        json::Ptr obj(engine::event_object(e));
        auto r = fmt->execute(obj.get());
        if (!r.ok()) return fail(r.error());
        out += *r + "\n";
      } else {
        out += engine::event_line(e) + "\n";
      }
    }
    if (!out.empty()) {
      print(out);
      if (std::fflush(stdout) != 0) return 0;  // the reader went away
    }
    if (done || g_stop) return 0;
    struct timespec ts = {0, 200'000'000};
    ::nanosleep(&ts, nullptr);
    if (g_stop) return 0;
  }
}

}  // namespace hutch::cli
