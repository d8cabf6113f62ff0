#include "runtime/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

namespace hutch::runtime {

Result<UniqueFd> connect_console_socket(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return Error::from_errno("console socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Error(ENAMETOOLONG, "console socket path \"" + path + "\" is too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Error::from_errno("connect to console socket \"" + path + "\"");
  return s;
}

static Status send_fd(int sock, int fd, const std::string& name) {
  struct msghdr msg = {};
  char buf[CMSG_SPACE(sizeof(int))] = {};
  struct iovec iov;
  iov.iov_base = const_cast<char*>(name.data());
  iov.iov_len = name.size();
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = buf;
  msg.msg_controllen = sizeof buf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) return Error::from_errno("send pty master on console socket");
  return {};
}

Result<UniqueFd> recv_fd(int sock) {
  struct msghdr msg = {};
  char data[4096];
  char buf[CMSG_SPACE(sizeof(int))] = {};
  struct iovec iov = {data, sizeof data};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = buf;
  msg.msg_controllen = sizeof buf;
  ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) return Error::from_errno("receive fd");
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return Error(EPROTO, "receive fd: no descriptor in message");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return UniqueFd(fd);
}

Status setup_terminal(int sock, const std::optional<oci::ConsoleSize>& size, bool bind_console) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return Error::from_errno("open /dev/ptmx");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return Error::from_errno("unlock pty");
  int slave = ::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) return Error::from_errno("open pty peer");
  UniqueFd slave_fd(slave);
  if (size && (size->height || size->width)) {
    struct winsize ws = {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    ::ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (bind_console) {
    // /dev/console is the pty slave (runtime-spec: "/dev/console").
    char name[64];
    if (::ioctl(master.get(), TIOCGPTN, &unlock) == 0) {
      std::snprintf(name, sizeof name, "/dev/pts/%d", unlock);
      int f = ::open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (f >= 0) ::close(f);
      if (::mount(name, "/dev/console", nullptr, MS_BIND, nullptr) != 0)
        return Error::from_errno("bind /dev/console");
    }
  }
  TRY(send_fd(sock, master.get(), "/dev/ptmx"));
  master.reset();
  if (::setsid() < 0 && errno != EPERM) return Error::from_errno("setsid");
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) return Error::from_errno("set controlling terminal");
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave, i) < 0) return Error::from_errno("dup pty to stdio");
  return {};
}

}  // namespace hutch::runtime
