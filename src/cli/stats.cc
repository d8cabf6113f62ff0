// hutch stats: docker's live resource table (docker/cli's
// command/container/stats.go and formatter/stats.go) from the containers'
// cgroups (engine/container_stats.h).
//
// CPU % needs two samples. Live mode redraws every second from the sample
// a second before; --no-stream takes two samples 500 ms apart (docker's
// daemon answers a one-shot request from samples ~1 s apart; half a second
// keeps the command quick and the figure steady enough).
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/format.h"
#include "engine/container_stats.h"

namespace hutch::cli {

namespace {

const char* kTable =
    "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}";

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1'000'000L};
  ::nanosleep(&ts, nullptr);
}

bool active(const state::ContainerRow& r) {
  return r.status == state::Status::kRunning || r.status == state::Status::kPaused;
}

// go-units BytesSize: "%.4g" with binary units.
std::string bytes_size(double b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (b >= 1024 && u < 6) {
    b /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", b, kUnits[u]);
  return buf;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

struct Entry {
  std::string ref;  // as the user named it (or the id)
  state::ContainerRow row;
  bool has_sample = false;
  engine::ContainerStats prev, cur;
};

// A fresh sample of each running entry.
void sample(std::vector<Entry>& entries, const engine::CgroupRoots& roots) {
  for (auto& e : entries) {
    if (!active(e.row)) {
      e.has_sample = false;
      continue;
    }
    auto s = engine::read_stats("/hutch/" + e.row.id, e.row.pid, roots);
    if (!s.ok()) {
      e.has_sample = false;
      continue;
    }
    e.prev = e.has_sample ? e.cur : *s;
    e.cur = *s;
    e.has_sample = true;
  }
}

json::Ptr row_of(const Entry& e, bool trunc) {
  json::Ptr o(json_object());
  auto set = [&](const char* k, const std::string& v) { json_object_set_new(o.get(), k, json::str(v)); };
  set("Container", e.ref);
  set("Name", e.row.name);
  set("ID", trunc ? e.row.id.substr(0, 12) : e.row.id);
  if (!e.has_sample) {
    // docker shows a stopped container with zeros.
    set("CPUPerc", "0.00%");
    set("MemUsage", "0B / 0B");
    set("MemPerc", "0.00%");
    set("NetIO", "0B / 0B");
    set("BlockIO", "0B / 0B");
    set("PIDs", "0");
    return o;
  }
  const auto& s = e.cur;
  set("CPUPerc", percent(engine::cpu_percent(e.prev, s)));
  set("MemUsage", bytes_size(static_cast<double>(engine::memory_used(s))) + " / " +
                      bytes_size(static_cast<double>(s.memory_limit)));
  set("MemPerc", percent(engine::memory_percent(s)));
  set("NetIO", human_size(static_cast<double>(s.net_rx_bytes), 3) + " / " +
                   human_size(static_cast<double>(s.net_tx_bytes), 3));
  set("BlockIO", human_size(static_cast<double>(s.blkio_read_bytes), 3) + " / " +
                     human_size(static_cast<double>(s.blkio_write_bytes), 3));
  set("PIDs", std::to_string(s.pids_current));
  return o;
}

Result<std::string> render(const std::string& format, const std::vector<Entry>& entries, bool trunc) {
  ASSIGN_OR_RETURN(Formatter f, Formatter::parse(format));
  for (const auto& e : entries) {
    json::Ptr r = row_of(e, trunc);
    TRY(f.add(r.get()));
  }
  json::Ptr header(json_object());
  for (const auto& [k, v] : std::vector<std::pair<const char*, const char*>>{
           {"Container", "CONTAINER"}, {"Name", "NAME"}, {"ID", "CONTAINER ID"}, {"CPUPerc", "CPU %"},
           {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"}, {"NetIO", "NET I/O"}, {"BlockIO", "BLOCK I/O"},
           {"PIDs", "PIDS"}})
    json_object_set_new(header.get(), k, json::str(v));
  return f.finish(header.get());
}

}  // namespace

int cmd_stats(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"all", "a", false, false, "Show all containers (default shows just running)"},
      {"format", "", true, false, "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'"},
      {"no-stream", "", false, false, "Disable streaming stats and only pull the first result"},
      {"no-trunc", "", false, false, "Do not truncate output"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "stats [OPTIONS] [CONTAINER...]",
                         "Display a live stream of container(s) resource usage statistics", &code);
  if (!p.ok()) return code;
  std::string format = p->get("format");
  if (format.empty() || format == "table") format = kTable;
  if (auto f = Formatter::parse(format); !f.ok()) return fail(f.error());
  bool trunc = !p->has("no-trunc"), all = p->has("all"), stream = !p->has("no-stream");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto roots = engine::CgroupRoots::detect();
  if (!roots.ok()) return fail(roots.error());

  const std::vector<std::string>& named = p->positional;
  std::vector<Entry> entries;
  // The containers to show: the named ones, else every running one (every
  // one with -a), looked up again each round so new containers appear.
  auto refresh = [&]() -> Status {
    std::vector<Entry> next;
    auto keep = [&](const std::string& ref, const state::ContainerRow& r) {
      Entry e;
      e.ref = ref;
      for (auto& old : entries)
        if (old.row.id == r.id) e = old;
      e.ref = ref;
      e.row = r;
      next.push_back(std::move(e));
    };
    if (!named.empty()) {
      for (const auto& ref : named) {
        ASSIGN_OR_RETURN(state::ContainerRow r, cs->find(ref));
        keep(ref, r);
      }
    } else {
      ASSIGN_OR_RETURN(auto rows, cs->list());
      for (const auto& r : rows)
        if (all || active(r)) keep(trunc ? r.id.substr(0, 12) : r.id, r);
    }
    entries = std::move(next);
    return {};
  };
  if (auto s = refresh(); !s.ok()) {
    std::fprintf(stderr, "Error response from daemon: %s\n", s.error().message().c_str());
    return 1;
  }
  sample(entries, *roots);

  if (!stream) {
    sleep_ms(500);
    sample(entries, *roots);
    auto out = render(format, entries, trunc);
    if (!out.ok()) return fail(out.error());
    print(*out);
    return 0;
  }
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  sleep_ms(500);
  while (!g_stop) {
    if (auto s = refresh(); !s.ok()) {
      std::fprintf(stderr, "Error response from daemon: %s\n", s.error().message().c_str());
      return 1;
    }
    sample(entries, *roots);
    auto out = render(format, entries, trunc);
    if (!out.ok()) return fail(out.error());
    // docker clears the screen and homes the cursor before each frame.
    print("\033[2J\033[H" + *out);
    std::fflush(stdout);
    for (int i = 0; i < 10 && !g_stop; ++i) sleep_ms(100);
  }
  return 0;
}

}  // namespace hutch::cli
