#include "monitor/protocol.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace hutch::monitor {

namespace {

constexpr size_t kHeader = 5;

Status write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        ::poll(&pfd, 1, -1);
        continue;
      }
      return Error::from_errno("write frame");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

// Reads exactly n bytes; *got tells how many arrived before EOF.
Status read_all(int fd, char* p, size_t n, size_t* got) {
  *got = 0;
  while (*got < n) {
    ssize_t r = ::read(fd, p + *got, n - *got);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd pfd = {fd, POLLIN, 0};
        ::poll(&pfd, 1, -1);
        continue;
      }
      return Error::from_errno("read frame");
    }
    if (r == 0) return {};
    *got += static_cast<size_t>(r);
  }
  return {};
}

}  // namespace

std::string encode_frame(Frame type, std::string_view payload) {
  std::string out;
  out.reserve(kHeader + payload.size());
  uint32_t n = static_cast<uint32_t>(payload.size());
  out += static_cast<char>(type);
  out += static_cast<char>(n >> 24);
  out += static_cast<char>(n >> 16);
  out += static_cast<char>(n >> 8);
  out += static_cast<char>(n);
  out.append(payload);
  return out;
}

Result<size_t> decode_frame(std::string_view buf, Frame* type, std::string* payload) {
  if (buf.size() < kHeader) return size_t{0};
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(buf[i])); };
  uint32_t n = b(1) << 24 | b(2) << 16 | b(3) << 8 | b(4);
  if (n > kMaxFrame) return Error::plain(EMSGSIZE, "attach frame of " + std::to_string(n) + " bytes is too long");
  if (buf.size() < kHeader + n) return size_t{0};
  *type = static_cast<Frame>(buf[0]);
  payload->assign(buf.substr(kHeader, n));
  return kHeader + n;
}

Status write_frame(int fd, Frame type, std::string_view payload) {
  if (payload.size() > kMaxFrame) return Error::plain(EMSGSIZE, "attach frame is too long");
  // Small frames go out in one write; large ones skip the copy.
  if (payload.size() <= 4096) {
    std::string f = encode_frame(type, payload);
    return write_all(fd, f.data(), f.size());
  }
  std::string h = encode_frame(type, {});
  uint32_t n = static_cast<uint32_t>(payload.size());
  h[1] = static_cast<char>(n >> 24);
  h[2] = static_cast<char>(n >> 16);
  h[3] = static_cast<char>(n >> 8);
  h[4] = static_cast<char>(n);
  TRY(write_all(fd, h.data(), h.size()));
  return write_all(fd, payload.data(), payload.size());
}

Status read_frame(int fd, Frame* type, std::string* payload, bool* eof) {
  *eof = false;
  char h[kHeader];
  size_t got = 0;
  TRY(read_all(fd, h, kHeader, &got));
  if (got == 0) {
    *eof = true;
    return Error::plain(0, "attach socket closed");
  }
  if (got < kHeader) return Error::plain(EPROTO, "attach socket closed inside a frame header");
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(h[i])); };
  uint32_t n = b(1) << 24 | b(2) << 16 | b(3) << 8 | b(4);
  if (n > kMaxFrame) return Error::plain(EMSGSIZE, "attach frame of " + std::to_string(n) + " bytes is too long");
  payload->resize(n);
  TRY(read_all(fd, payload->data(), n, &got));
  if (got < n) return Error::plain(EPROTO, "attach socket closed inside a frame");
  *type = static_cast<Frame>(h[0]);
  return {};
}

Status send_message(int fd, std::string_view text) {
  for (;;) {
    ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (n >= 0) return {};
    if (errno != EINTR) return Error::from_errno("send on the monitor sync socket");
  }
}

Status recv_message(int fd, std::string* text, bool* eof) {
  *eof = false;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == ECONNRESET) {
        *eof = true;
        return {};
      }
      return Error::from_errno("read the monitor sync socket");
    }
    if (n == 0) {
      *eof = true;
      return {};
    }
    text->assign(buf, static_cast<size_t>(n));
    return {};
  }
}

std::string attach_path(const std::string& rundir) { return rundir + "/attach"; }

Result<UniqueFd> connect_attach(const std::string& rundir, bool want_stdin, bool want_stdout, bool want_stderr) {
  std::string path = attach_path(rundir);
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return Error::from_errno("attach: socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  // Socket paths are limited to 108 bytes; run dirs may be longer, so
  // connect through the directory's /proc/self/fd alias when needed.
  std::string target = path;
  UniqueFd dir;
  if (target.size() >= sizeof addr.sun_path) {
    dir.reset(::open(rundir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return Error::from_errno("attach: open \"" + rundir + "\"");
    target = "/proc/self/fd/" + std::to_string(dir.get()) + "/attach";
  }
  std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  if (::connect(s.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    return Error::from_errno("attach: connect to \"" + path + "\"");
  std::string hello = std::string("stdin=") + (want_stdin ? "1" : "0") + ",stdout=" + (want_stdout ? "1" : "0") +
                      ",stderr=" + (want_stderr ? "1" : "0");
  TRY_CTX(write_frame(s.get(), Frame::kHello, hello), "attach");
  return s;
}

}  // namespace hutch::monitor
