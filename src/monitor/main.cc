// hutch-monitor <bundle>: the per-container supervisor (conmon's role).
// `hutch-monitor - [TITLE]` reads "bundle <path>" from the sync socket first
// (the engine starts it before the bundle exists: Launch::spawn), writes the
// path over TITLE (a placeholder, so ps shows it), and exits 0 at EOF
// before one. Reads <bundle>/monitor.json, leads a session of its own (no controlling
// terminal), becomes the child subreaper so the container's init is its
// child, and runs the Supervisor. fd 3, when open, is the engine's sync
// socket (protocol.h).
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/fs.h"
#include "base/log.h"
#include "base/trace.h"
#include "monitor/protocol.h"
#include "monitor/settings.h"
#include "monitor/supervisor.h"

using namespace hutch;

namespace {

constexpr int kSyncFd = 3;

int fail(int sync, const std::string& msg) {
  if (sync >= 0) (void)monitor::send_message(sync, "error " + msg);
  log::error("monitor", msg);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  trace::mark("monitor: main");
  log::configure(2, log::Format::kText, log::Level::kInfo);
  bool from_sync = (argc == 2 || argc == 3) && std::strcmp(argv[1], "-") == 0;
  if (!from_sync && (argc != 2 || argv[1][0] == '-')) {
    std::fputs("usage: hutch-monitor BUNDLE | hutch-monitor - [TITLE]\n", stderr);
    return 2;
  }
  int sync = ::fcntl(kSyncFd, F_GETFD) >= 0 ? kSyncFd : -1;
  if (sync >= 0) ::fcntl(sync, F_SETFD, FD_CLOEXEC);

  std::string bundle;
  if (from_sync) {
    if (sync < 0) {
      std::fputs("hutch-monitor: \"-\" needs the sync socket on fd 3\n", stderr);
      return 2;
    }
    std::string msg;
    bool eof = false;
    if (!monitor::recv_message(sync, &msg, &eof).ok() || eof) return 0;  // the engine gave up first
    if (msg.rfind("bundle /", 0) != 0) return fail(sync, "expected \"bundle <absolute path>\", got \"" + msg + "\"");
    bundle = msg.substr(7);
    if (argc == 3) {
      size_t slot = std::strlen(argv[2]);
      std::memset(argv[2], 0, slot);
      std::memcpy(argv[2], bundle.data(), std::min(slot, bundle.size()));
    }
    trace::mark("monitor: bundle");
  } else {
    bundle = fs::absolute(argv[1]);
  }
  // Diagnostics: to stderr when someone reads it, else (the engine starts
  // us on /dev/null) to <bundle>/monitor.log, warnings and errors only.
  struct stat st;
  if (::fstat(2, &st) != 0 || (S_ISCHR(st.st_mode) && !::isatty(2))) {
    int fd = ::open((bundle + "/monitor.log").c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd >= 0) log::configure(fd, log::Format::kText, log::Level::kWarn);
  }
  monitor::Settings settings;
  {
    auto text = fs::read_file(bundle + "/monitor.json");
    if (!text.ok()) return fail(sync, text.error().message());
    auto parsed = monitor::parse_settings(*text);
    if (!parsed.ok()) return fail(sync, parsed.error().context("read \"" + bundle + "/monitor.json\"").message());
    settings = std::move(*parsed);
  }

  // A session of our own, outside the caller's: Launch starts us as a
  // session leader already (posix_spawn with setsid); run by hand, one
  // fork makes a child that may call setsid. We never open a terminal
  // without O_NOCTTY, so leading a session gains us none.
  if (::getsid(0) != ::getpid()) {
    pid_t pid = ::fork();
    if (pid < 0) return fail(sync, "fork: " + std::string(strerror(errno)));
    if (pid > 0) ::_exit(0);
    ::setsid();
  }
  if (::chdir("/") != 0) return fail(sync, "chdir /");
  ::umask(022);
  // The container's init is reparented to us when `runtime create` exits.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return fail(sync, "become the child subreaper");

  trace::mark("monitor: session");
  monitor::Supervisor sup(std::move(settings), sync);
  return sup.run();
}
