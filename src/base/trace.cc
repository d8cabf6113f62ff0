#include "base/trace.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace hutch::trace {

namespace {

// Opened once per process (a forked child inherits it, so marks still
// land after the container's init left the host's mount namespace).
int trace_fd() {
  static const int fd = [] {
    const char* path = std::getenv("HUTCH_TRACE");
    return path && *path ? ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600) : -1;
  }();
  return fd;
}

void write_line(const char* what, const char* extra) {
  int fd = trace_fd();
  if (fd < 0) return;
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "%ld.%06ld %d %s%s\n", static_cast<long>(ts.tv_sec), ts.tv_nsec / 1000,
                        static_cast<int>(::getpid()), what, extra);
  if (n > 0) (void)!::write(fd, buf, static_cast<size_t>(n) < sizeof buf ? static_cast<size_t>(n) : sizeof buf - 1);
}

}  // namespace

void mark(const char* what) { write_line(what, ""); }

void mark_usage(const char* who) {
  if (trace_fd() < 0) return;
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  char extra[160];
  std::snprintf(extra, sizeof extra, ": cpu user %.2f ms, sys %.2f ms, minor faults %ld",
                static_cast<double>(ru.ru_utime.tv_sec) * 1e3 + static_cast<double>(ru.ru_utime.tv_usec) / 1e3,
                static_cast<double>(ru.ru_stime.tv_sec) * 1e3 + static_cast<double>(ru.ru_stime.tv_usec) / 1e3,
                ru.ru_minflt);
  write_line(who, extra);
}

}  // namespace hutch::trace
