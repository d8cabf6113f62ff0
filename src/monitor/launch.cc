#include "monitor/launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <vector>

#include "base/strings.h"
#include "monitor/protocol.h"

namespace hutch::monitor {

namespace {

// Reads one message and turns "error ..." into an Error.
Result<std::string> expect(int fd, std::string_view want, const std::string& bundle) {
  std::string msg;
  bool eof = false;
  TRY(recv_message(fd, &msg, &eof));
  if (eof)
    return Error::plain(EIO, "the container monitor exited without reporting (see \"" + bundle + "/monitor.log\")");
  if (starts_with(msg, "error ")) {
    std::string text;
    int code = 0;
    parse_error_message(std::string_view(msg).substr(6), &text, &code);
    // The code travels as the error's errno (exit_code_for()); the text is
    // what the runtime said, for the user.
    return Error::plain(code == 127 ? ENOENT : code == 126 ? EACCES : EIO, text);
  }
  if (!starts_with(msg, want)) return Error::plain(EPROTO, "unexpected message from the monitor: \"" + msg + "\"");
  return msg.substr(want.size());
}

}  // namespace

void parse_error_message(std::string_view payload, std::string* text, int* code) {
  *code = 0;
  std::string_view p = payload;
  if (starts_with(p, "exec: ")) p.remove_prefix(6);
  if (starts_with(p, "code=")) {
    size_t colon = p.find(": ");
    if (colon != std::string_view::npos) {
      *code = static_cast<int>(parse_int(p.substr(5, colon - 5)).value_or(0));
      p.remove_prefix(colon + 2);
    }
  }
  *text = std::string(p);
}

int exit_code_for(const Error& e) {
  if (e.code() == ENOENT) return 127;
  if (e.code() == EACCES) return 126;
  return 125;
}

Result<Launch> Launch::begin(const std::string& monitor_binary, const std::string& bundle) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return Error::from_errno("start the container monitor: socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  // Everything the child needs is prepared before fork: the caller may be
  // multi-threaded, so the child only makes async-signal-safe calls.
  std::vector<char*> argv = {const_cast<char*>(monitor_binary.c_str()), const_cast<char*>(bundle.c_str()), nullptr};
  bool search = monitor_binary.find('/') == std::string::npos;
  sigset_t all;
  sigemptyset(&all);
  pid_t child = ::fork();
  if (child < 0) return Error::from_errno("start the container monitor: fork");
  if (child == 0) {
    ::setsid();
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) ::_exit(126);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (theirs.get() == 3) {
      ::fcntl(3, F_SETFD, 0);
    } else if (::dup2(theirs.get(), 3) < 0) {
      ::_exit(126);
    }
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    if (search) ::execvp(argv[0], argv.data());
    else ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  theirs.reset();
  // The monitor forks twice and its first process exits at once.
  int st = 0;
  while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
    return Error::plain(ENOEXEC, "start the container monitor: cannot run \"" + monitor_binary + "\"");
  Launch l;
  l.sync_ = std::move(ours);
  l.bundle_ = bundle;
  ASSIGN_OR_RETURN(std::string pid, expect(l.sync_.get(), "created ", bundle));
  l.pid_ = static_cast<pid_t>(parse_int(trim(pid)).value_or(0));
  return l;
}

Status Launch::start() {
  if (!sync_) return Error::plain(EINVAL, "the container monitor was already started");
  TRY(send_message(sync_.get(), "start"));
  auto r = expect(sync_.get(), "started ", bundle_);
  sync_.reset();
  if (!r.ok()) return std::move(r).error();
  pid_ = static_cast<pid_t>(parse_int(trim(*r)).value_or(pid_));
  return {};
}

std::string monitor_binary() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string self(buf, static_cast<size_t>(n));
    size_t slash = self.rfind('/');
    if (slash != std::string::npos) {
      std::string cand = self.substr(0, slash) + "/hutch-monitor";
      if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
  }
  return "hutch-monitor";
}

}  // namespace hutch::monitor
