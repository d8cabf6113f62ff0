#include "monitor/attach_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"

namespace hutch::monitor {

namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr int kSocketBuffer = 4 * 1024 * 1024;

// Binds a unix socket at `path`; paths longer than sun_path go through the
// directory's /proc/self/fd alias.
Status bind_unix(int fd, const std::string& path) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::string target = path;
  UniqueFd dir;
  if (target.size() >= sizeof addr.sun_path) {
    dir.reset(::open(fs::dirname(path).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return Error::from_errno("open \"" + fs::dirname(path) + "\"");
    target = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + fs::basename(path);
  }
  std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  if (::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    return Error::from_errno("bind \"" + path + "\"");
  return {};
}

}  // namespace

AttachServer::~AttachServer() { close(); }

Status AttachServer::listen(EventLoop* loop, const std::string& path, Callbacks cb) {
  loop_ = loop;
  cb_ = std::move(cb);
  path_ = path;
  std::string step = "listen on the attach socket \"" + path + "\"";
  listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_) return Error::from_errno(step);
  ::unlink(path.c_str());
  // Created 0600 from the start: no window where others may connect.
  mode_t old = ::umask(0177);
  auto st = bind_unix(listen_.get(), path);
  ::umask(old);
  if (!st.ok()) return std::move(st).error().context(step);
  if (::listen(listen_.get(), 64) != 0) return Error::from_errno(step);
  return loop_->add(listen_.get(), EPOLLIN, [this](uint32_t) { on_accept(); });
}

void AttachServer::on_accept() {
  for (;;) {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of fds: stop watching the (level-triggered) listener until a
        // client goes; the newcomer waits in the backlog meanwhile.
        log::warn("attach", "out of file descriptors: new attach clients wait");
        accept_paused_ = true;
        (void)loop_->modify(listen_.get(), 0);
      }
      return;  // EAGAIN
    }
    // A large kernel send buffer absorbs bursts for a client that reads a
    // little late (kernel memory, not the monitor's); the pending cap then
    // decides when a client is too slow. SO_SNDBUFFORCE passes wmem_max
    // for root (socket(7)).
    int size = kSocketBuffer;
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    auto c = std::make_unique<Client>();
    c->fd.reset(fd);
    Client* raw = c.get();
    if (!loop_->add(fd, EPOLLIN | EPOLLRDHUP, [this, raw](uint32_t ev) { on_client(raw, ev); }).ok()) continue;
    clients_.push_back(std::move(c));
    if (input_paused_) update_events(raw);
  }
}

void AttachServer::poll_pending() {
  if (!listen_) return;
  on_accept();
  for (size_t i = 0; i < clients_.size(); ++i) {
    Client* c = clients_[i].get();
    if (!c->hello && !c->dead) on_client(c, EPOLLIN);
  }
  sweep();
}

void AttachServer::on_client(Client* c, uint32_t events) {
  if (c->dead) return;
  if (events & EPOLLOUT) flush(c);
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) && !c->dead) {
    char buf[kReadChunk];
    bool hangup = events & (EPOLLHUP | EPOLLERR);
    for (int round = 0; round < 4 && !c->dead && !(c->read_closed && !hangup); ++round) {
      if (input_paused_ && c->hello && c->want_stdin && !hangup) break;
      ssize_t n = ::read(c->fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n == 0 && !hangup && c->hello && (c->want_stdout || c->want_stderr)) {
        // shutdown(SHUT_WR) by a client that still reads: keep sending.
        c->read_closed = true;
        update_events(c);
        break;
      }
      if (n <= 0) {
        c->dead = true;
        break;
      }
      c->in.append(buf, static_cast<size_t>(n));
      for (;;) {
        Frame type;
        std::string payload;
        auto used = decode_frame(c->in, &type, &payload);
        if (!used.ok()) {
          log::warn("attach", used.error().message());
          c->dead = true;
          break;
        }
        if (*used == 0) break;
        c->in.erase(0, *used);
        handle_frame(c, type, payload);
        if (c->dead) break;
      }
      if (c->in.empty()) std::string().swap(c->in);
      if (static_cast<size_t>(n) < sizeof buf) break;
    }
  }
  sweep();
}

void AttachServer::handle_frame(Client* c, Frame type, std::string_view payload) {
  switch (type) {
    case Frame::kHello:
      c->hello = true;
      for (const auto& kv : split(payload, ',')) {
        bool on = kv.size() > 2 && kv.back() == '1';
        if (starts_with(kv, "stdin=")) c->want_stdin = on;
        else if (starts_with(kv, "stdout=")) c->want_stdout = on;
        else if (starts_with(kv, "stderr=")) c->want_stderr = on;
      }
      update_events(c);
      break;
    case Frame::kStdin:
      if (c->want_stdin && cb_.stdin_data) cb_.stdin_data(payload);
      break;
    case Frame::kStdinClose:
      if (c->want_stdin && cb_.stdin_close) cb_.stdin_close();
      break;
    case Frame::kResize: {
      auto parts = split(trim(payload), ' ');
      if (parts.size() == 2 && cb_.resize) {
        auto rows = parse_uint(parts[0]), cols = parse_uint(parts[1]);
        if (rows && cols && *rows < 65536 && *cols < 65536)
          cb_.resize(static_cast<unsigned>(*rows), static_cast<unsigned>(*cols));
      }
      break;
    }
    default:
      break;  // frames a client has no business sending are ignored
  }
}

void AttachServer::broadcast(Frame type, std::string_view data) {
  if (clients_.empty() || data.empty()) return;
  std::string frame;
  for (auto& c : clients_) {
    if (c->dead || !c->hello) continue;
    if (type == Frame::kStdout && !c->want_stdout) continue;
    if (type == Frame::kStderr && !c->want_stderr) continue;
    if (frame.empty()) frame = encode_frame(type, data);
    queue(c.get(), frame);
  }
  sweep();
}

void AttachServer::queue(Client* c, std::string_view bytes) {
  if (!c->out.empty()) {
    if (c->out.size() + bytes.size() > kMaxPending) {
      log::warn("attach", "disconnecting a client that does not keep up with the output");
      c->dead = true;
      return;
    }
    c->out.append(bytes);
    return;
  }
  ssize_t w = ::send(c->fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w < 0) {
    if (errno != EAGAIN && errno != EINTR) {
      c->dead = true;
      return;
    }
    w = 0;
  }
  if (static_cast<size_t>(w) < bytes.size()) {
    c->out.assign(bytes.substr(static_cast<size_t>(w)));
    update_events(c);
  }
}

void AttachServer::flush(Client* c) {
  while (!c->out.empty()) {
    ssize_t w = ::send(c->fd.get(), c->out.data(), c->out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) c->dead = true;
      break;
    }
    c->out.erase(0, static_cast<size_t>(w));
  }
  if (c->out.empty()) std::string().swap(c->out);
  update_events(c);
}

void AttachServer::update_events(Client* c) {
  if (c->dead) return;
  uint32_t ev = 0;
  if (!c->read_closed && !(input_paused_ && c->hello && c->want_stdin)) ev |= EPOLLIN | EPOLLRDHUP;
  if (!c->out.empty()) ev |= EPOLLOUT;
  (void)loop_->modify(c->fd.get(), ev);
}

void AttachServer::pause_input(bool paused) {
  if (paused == input_paused_) return;
  input_paused_ = paused;
  for (auto& c : clients_) update_events(c.get());
}

void AttachServer::sweep() {
  auto it = std::remove_if(clients_.begin(), clients_.end(), [this](const std::unique_ptr<Client>& c) {
    if (!c->dead) return false;
    loop_->remove(c->fd.get());
    return true;
  });
  bool gone = it != clients_.end();
  clients_.erase(it, clients_.end());
  if (gone && accept_paused_ && listen_) {
    accept_paused_ = false;
    (void)loop_->modify(listen_.get(), EPOLLIN);
  }
  if (clients_.empty()) std::vector<std::unique_ptr<Client>>().swap(clients_);
}

void AttachServer::end_all(int exit_code) {
  if (!exit_sent_) send_exit(exit_code);
  exit_sent_ = false;
  for (auto& c : clients_) c->dead = true;
  sweep();
}

void AttachServer::send_exit(int exit_code) {
  exit_sent_ = true;
  std::string frame = encode_frame(Frame::kExit, std::to_string(exit_code));
  for (auto& c : clients_) {
    if (!c->dead && c->hello) queue(c.get(), frame);
  }
  // Give clients up to a second in all to take what is pending, then close.
  int64_t deadline = now_mono_ns() + 1'000'000'000;
  for (;;) {
    std::vector<struct pollfd> pfds;
    for (auto& c : clients_) {
      if (!c->dead && !c->out.empty()) pfds.push_back({c->fd.get(), POLLOUT, 0});
    }
    int64_t left = (deadline - now_mono_ns()) / 1'000'000;
    if (pfds.empty() || left <= 0) break;
    ::poll(pfds.data(), pfds.size(), static_cast<int>(left));
    for (auto& c : clients_) {
      if (!c->dead && !c->out.empty()) flush(c.get());
    }
  }
}

void AttachServer::close() {
  for (auto& c : clients_) c->dead = true;
  if (loop_) sweep();
  if (listen_) {
    if (loop_) loop_->remove(listen_.get());
    listen_.reset();
    ::unlink(path_.c_str());
  }
}

}  // namespace hutch::monitor
