#include "runtime/sync.h"

#include <sys/socket.h>

#include <cstring>


namespace hutch::runtime {

namespace {
struct Header {
  uint32_t type;
  int32_t value;
};
constexpr size_t kMaxText = 4096;
}  // namespace

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return Error::from_errno("socketpair");
  return std::make_pair(SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1])));
}

Status SyncChannel::send(SyncType type, int32_t value, const std::string& text) {
  char buf[sizeof(Header) + kMaxText];
  Header h{static_cast<uint32_t>(type), value};
  std::memcpy(buf, &h, sizeof h);
  size_t n = std::min(text.size(), kMaxText);
  std::memcpy(buf + sizeof h, text.data(), n);
  ssize_t r;
  do {
    r = ::send(fd_.get(), buf, sizeof h + n, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Error::from_errno("sync send");
  return {};
}

Status SyncChannel::send_error(const Error& e) {
  // The text goes complete (errno text included); the receiver keeps it
  // as is and only uses the code for decisions such as exit statuses.
  return send(SyncType::kError, e.code(), e.message());
}

Result<SyncMsg> SyncChannel::recv() {
  char buf[sizeof(Header) + kMaxText];
  ssize_t r;
  do {
    r = ::recv(fd_.get(), buf, sizeof buf, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Error::from_errno("sync receive");
  if (r == 0) return Error(EPIPE, "container process exited during setup");
  if (static_cast<size_t>(r) < sizeof(Header)) return Error(EPROTO, "sync receive: short message");
  Header h;
  std::memcpy(&h, buf, sizeof h);
  SyncMsg m;
  m.type = static_cast<SyncType>(h.type);
  m.value = h.value;
  m.text.assign(buf + sizeof h, static_cast<size_t>(r) - sizeof h);
  return m;
}

Status SyncChannel::expect(SyncType type) {
  ASSIGN_OR_RETURN(SyncMsg m, recv());
  if (m.type == SyncType::kError || m.type == SyncType::kExecFailed) return Error::plain(m.value, m.text);
  if (m.type != type) return Error(EPROTO, "sync: unexpected message " + std::to_string(static_cast<uint32_t>(m.type)));
  return {};
}

}  // namespace hutch::runtime
