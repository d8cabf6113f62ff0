#include "base/log.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/strings.h"

namespace hutch::log {
namespace {
int g_fd = 2;
Format g_format = Format::kText;
Level g_min = Level::kWarn;

const char* level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warning";
    case Level::kError: return "error";
  }
  return "error";
}
}  // namespace

void configure(int fd, Format format, Level min) {
  g_fd = fd;
  g_format = format;
  g_min = min;
}

Level min_level() { return g_min; }

void write(Level level, std::string_view component, std::string_view text) {
  if (level < g_min || g_fd < 0) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  std::string now = format_rfc3339(ts);
  std::string line;
  if (g_format == Format::kJson) {
    std::string msg(component);
    if (!msg.empty()) msg += ": ";
    msg += text;
    line = "{\"level\":\"" + std::string(level_name(level)) + "\",\"msg\":\"" + json_escape(msg) +
           "\",\"time\":\"" + now + "\"}\n";
  } else {
    line = now + " " + level_name(level) + " " + std::string(component) + ": " + std::string(text) + "\n";
  }
  ssize_t r = ::write(g_fd, line.data(), line.size());
  (void)r;
}

}  // namespace hutch::log
