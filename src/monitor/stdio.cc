#include "monitor/stdio.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>

#include <cstring>

#include "base/log.h"

namespace hutch::monitor {

namespace {

// One read buffer for all output: the monitor is single-threaded, and a
// static buffer costs no heap (its pages are touched only when used).
char g_buf[16 * 1024];

Status make_pipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  r->reset(p[0]);
  w->reset(p[1]);
  return {};
}

void set_nonblock(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// The pty master the runtime sent over SCM_RIGHTS (runc's --console-socket).
Result<UniqueFd> receive_fd(int sock) {
  struct msghdr msg = {};
  char data[256];
  alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  struct iovec iov = {data, sizeof data};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl;
  msg.msg_controllen = sizeof ctl;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno("receive the terminal from the runtime");
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
    return Error::plain(EPROTO, "the runtime sent no terminal on the console socket");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return UniqueFd(fd);
}

}  // namespace

Status ContainerIo::prepare(const Settings& s, EventLoop* loop, Sink sink) {
  close();
  s_ = &s;
  loop_ = loop;
  sink_ = std::move(sink);
  // The runtime's own messages come on stderr in both modes.
  TRY(make_pipe(&err_r_, &err_w_));
  set_nonblock(err_r_.get());
  if (s.terminal) {
    console_path_ = s.rundir + "/console.sock";
    console_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!console_) return Error::from_errno("console socket");
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (console_path_.size() >= sizeof addr.sun_path)
      return Error::plain(ENAMETOOLONG, "console socket path \"" + console_path_ + "\" is too long");
    std::memcpy(addr.sun_path, console_path_.c_str(), console_path_.size() + 1);
    ::unlink(console_path_.c_str());
    mode_t old = ::umask(0177);
    int rc = ::bind(console_.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0) return Error::from_errno("bind \"" + console_path_ + "\"");
    if (::listen(console_.get(), 1) != 0) return Error::from_errno("listen on \"" + console_path_ + "\"");
    return {};
  }
  TRY(make_pipe(&out_r_, &out_w_));
  set_nonblock(out_r_.get());
  if (s.stdin_open) {
    TRY(make_pipe(&in_r_, &in_w_));
    set_nonblock(in_w_.get());
  }
  return {};
}

Stdio ContainerIo::runtime_stdio() const {
  if (s_->terminal) return Stdio{-1, err_w_.get(), err_w_.get()};
  return Stdio{in_r_.get(), out_w_.get(), err_w_.get()};
}

std::vector<std::string> ContainerIo::create_args() const {
  if (!s_->terminal) return {};
  return {"--console-socket", console_path_};
}

Status ContainerIo::created() {
  out_w_.reset();
  err_w_.reset();
  in_r_.reset();
  if (s_->terminal) {
    // The runtime connected and sent the master before `create` returned;
    // the connection waits in the backlog.
    UniqueFd conn(::accept4(console_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return Error::from_errno("accept the runtime on the console socket");
    ASSIGN_OR_RETURN(master_, receive_fd(conn.get()));
    console_.reset();
    ::unlink(console_path_.c_str());
    // The runtime's stderr pipe has nothing more to say.
    err_r_.reset();
    set_nonblock(master_.get());
    int fd = master_.get();
    return loop_->add(fd, EPOLLIN, [this, fd](uint32_t ev) { on_output(fd, OutStream::kStdout, ev); });
  }
  int out = out_r_.get(), err = err_r_.get();
  TRY(loop_->add(out, EPOLLIN, [this, out](uint32_t ev) { on_output(out, OutStream::kStdout, ev); }));
  TRY(loop_->add(err, EPOLLIN, [this, err](uint32_t ev) { on_output(err, OutStream::kStderr, ev); }));
  return {};
}

std::string ContainerIo::runtime_output() {
  std::string out;
  for (int fd : {err_r_.get(), out_r_.get()}) {
    if (fd < 0) continue;
    for (;;) {
      ssize_t n = ::read(fd, g_buf, sizeof g_buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (out.size() < 65536) out.append(g_buf, static_cast<size_t>(n));
    }
  }
  return out;
}

bool ContainerIo::read_some(int fd, OutStream stream) {
  // A bounded number of reads per wake-up, so one chatty stream cannot
  // starve the rest of the loop.
  for (int i = 0; i < 8; ++i) {
    ssize_t n = ::read(fd, g_buf, sizeof g_buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;  // EOF, or EIO from a master whose slave closed
    sink_.output(stream, std::string_view(g_buf, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) < sizeof g_buf) return true;
  }
  return true;
}

void ContainerIo::on_output(int fd, OutStream stream, uint32_t events) {
  if (fd == master_.get() && (events & EPOLLOUT)) flush_stdin();
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (!read_some(fd, stream)) stop_watching(fd);
  }
}

void ContainerIo::stop_watching(int fd) {
  if (loop_) loop_->remove(fd);
  if (fd == out_r_.get()) out_r_.reset();
  else if (fd == err_r_.get()) err_r_.reset();
  // The master stays open for stdin and resize until the run ends.
}

void ContainerIo::write_stdin(std::string_view data) {
  int fd = s_ && s_->terminal ? master_.get() : in_w_.get();
  if (fd < 0 || !s_->stdin_open || stdin_close_pending_) return;
  stdin_pending_.append(data);
  flush_stdin();
}

void ContainerIo::flush_stdin() {
  int fd = s_->terminal ? master_.get() : in_w_.get();
  if (fd < 0) {
    std::string().swap(stdin_pending_);
    return;
  }
  while (!stdin_pending_.empty()) {
    ssize_t n = ::write(fd, stdin_pending_.data(), stdin_pending_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {  // EPIPE: the container closed its stdin
      std::string().swap(stdin_pending_);
      if (!s_->terminal) {
        if (loop_->watching(fd)) loop_->remove(fd);
        in_w_.reset();
      }
      break;
    }
    stdin_pending_.erase(0, static_cast<size_t>(n));
  }
  if (stdin_pending_.empty()) std::string().swap(stdin_pending_);
  bool want_out = !stdin_pending_.empty();
  if (s_->terminal) {
    update_master_events();
  } else if (in_w_) {
    if (want_out && !loop_->watching(in_w_.get())) {
      int w = in_w_.get();
      (void)loop_->add(w, EPOLLOUT, [this](uint32_t) { flush_stdin(); });
    } else if (!want_out && loop_->watching(in_w_.get())) {
      loop_->remove(in_w_.get());
    }
  }
  bool full = stdin_pending_.size() >= kStdinHigh;
  if (full != pressure_) {
    pressure_ = full;
    if (sink_.stdin_pressure) sink_.stdin_pressure(full);
  }
  if (stdin_pending_.empty() && stdin_close_pending_ && !s_->terminal && in_w_) {
    if (loop_->watching(in_w_.get())) loop_->remove(in_w_.get());
    in_w_.reset();
  }
}

void ContainerIo::update_master_events() {
  if (!master_ || !loop_->watching(master_.get())) return;
  (void)loop_->modify(master_.get(), EPOLLIN | (stdin_pending_.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT)));
}

void ContainerIo::close_stdin() {
  // A pty has no stdin of its own to close: the terminal stays.
  if (!s_ || s_->terminal) return;
  stdin_close_pending_ = true;
  flush_stdin();
}

void ContainerIo::resize(unsigned rows, unsigned cols) {
  if (!master_) return;
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0) log::warn("stdio", "resize the terminal failed");
}

void ContainerIo::drain() {
  for (auto [fd, stream] : {std::pair{out_r_.get(), OutStream::kStdout}, std::pair{err_r_.get(), OutStream::kStderr},
                            std::pair{master_.get(), OutStream::kStdout}}) {
    if (fd < 0 || (loop_ && !loop_->watching(fd))) continue;
    // At most a few MiB: a process that outlived the init may keep writing.
    for (int i = 0; i < 256; ++i) {
      ssize_t n = ::read(fd, g_buf, sizeof g_buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      sink_.output(stream, std::string_view(g_buf, static_cast<size_t>(n)));
    }
  }
}

void ContainerIo::close() {
  for (UniqueFd* f : {&out_r_, &err_r_, &in_w_, &master_}) {
    if (*f && loop_ && loop_->watching(f->get())) loop_->remove(f->get());
    f->reset();
  }
  out_w_.reset();
  err_w_.reset();
  in_r_.reset();
  if (console_) {
    console_.reset();
    ::unlink(console_path_.c_str());
  }
  std::string().swap(stdin_pending_);
  stdin_close_pending_ = false;
  if (pressure_ && sink_.stdin_pressure) sink_.stdin_pressure(false);
  pressure_ = false;
}

}  // namespace hutch::monitor
