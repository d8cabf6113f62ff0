#include "cli/attach.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "base/fd.h"
#include "base/strings.h"
#include "monitor/protocol.h"

namespace hutch::cli {

namespace {

Status write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write");
    off += static_cast<size_t>(n);
  }
  return {};
}

// Restores the terminal's mode on every way out.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSANOW, &raw) == 0) active_ = true;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ = {};
  bool active_ = false;
};

Status send_size(int sock) {
  struct winsize ws = {};
  if (::ioctl(1, TIOCGWINSZ, &ws) != 0 && ::ioctl(0, TIOCGWINSZ, &ws) != 0) return {};
  return monitor::write_frame(sock, monitor::Frame::kResize,
                              std::to_string(ws.ws_row) + " " + std::to_string(ws.ws_col));
}

}  // namespace

Result<std::string> parse_detach_keys(const std::string& keys) {
  std::string spec = keys.empty() ? "ctrl-p,ctrl-q" : keys;
  std::string out;
  for (const auto& k : split(spec, ',')) {
    if (k.size() == 1) {
      out += k;
    } else if (k.size() == 6 && starts_with(k, "ctrl-")) {
      char c = k[5];
      if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 1);
      else if (c == '@') out += '\0';
      else if (c >= '[' && c <= '_') out += static_cast<char>(c - '[' + 27);
      else return Error::plain(EINVAL, "invalid detach keys (" + spec + "): unknown character '" + k + "'");
    } else {
      return Error::plain(EINVAL, "invalid detach keys (" + spec + "): unknown character '" + k + "'");
    }
  }
  return out;
}

Result<AttachEnd> attach_session(int sock, const AttachOptions& o) {
  ASSIGN_OR_RETURN(std::string keys, parse_detach_keys(o.detach_keys));
  bool stdin_tty = o.in && ::isatty(0);
  std::unique_ptr<RawTerminal> raw;
  if (o.tty && stdin_tty) raw = std::make_unique<RawTerminal>(0);
  sigset_t mask, old;
  sigemptyset(&mask);
  for (int s : {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&mask, s);
  ::sigprocmask(SIG_BLOCK, &mask, &old);
  UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC));
  struct Restore {
    sigset_t old;
    ~Restore() { ::sigprocmask(SIG_SETMASK, &old, nullptr); }
  } restore{old};
  if (o.tty) TRY(send_size(sock));

  AttachEnd end;
  bool stdin_open = o.in;
  size_t matched = 0;  // detach key bytes seen in a row
  char buf[32768];
  for (;;) {
    struct pollfd fds[3] = {{sock, POLLIN, 0}, {sfd.get(), POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("poll");
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH) {
          if (o.tty) TRY(send_size(sock));
        } else if (o.forward) {
          o.forward(sig);
        }
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        stdin_open = false;
        TRY(monitor::write_frame(sock, monitor::Frame::kStdinClose, ""));
      } else {
        std::string data;
        for (ssize_t i = 0; i < n; ++i) {
          char c = buf[i];
          if (o.tty && !keys.empty() && c == keys[matched]) {
            if (++matched == keys.size()) {
              if (!data.empty()) TRY(monitor::write_frame(sock, monitor::Frame::kStdin, data));
              end.detached = true;
              return end;
            }
            continue;
          }
          if (matched) {
            data.append(keys, 0, matched);
            matched = 0;
          }
          data += c;
        }
        if (!data.empty()) TRY(monitor::write_frame(sock, monitor::Frame::kStdin, data));
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      monitor::Frame type;
      std::string payload;
      bool eof = false;
      auto r = monitor::read_frame(sock, &type, &payload, &eof);
      if (eof || !r.ok()) return end;
      switch (type) {
        case monitor::Frame::kStdout:
          if (o.out) (void)write_all(1, payload);
          break;
        case monitor::Frame::kStderr:
          if (o.err) (void)write_all(2, payload);
          break;
        case monitor::Frame::kExit:
          end.exited = true;
          end.exit_code = std::atoi(payload.c_str());
          return end;
        default:
          break;
      }
    }
  }
}

}  // namespace hutch::cli
