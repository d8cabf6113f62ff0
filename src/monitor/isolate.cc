#include "monitor/isolate.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fd.h"

namespace hutch::monitor {

namespace {

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

Result<std::string> in_child(const std::function<Result<std::string>()>& work) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("fork");
  if (pid == 0) {
    rd.reset();
    auto r = work();
    // "o" + value, or "e" + errno + " " + message.
    if (r.ok()) write_all(wr.get(), "o" + *r);
    else write_all(wr.get(), "e" + std::to_string(r.error().code()) + " " + r.error().message());
    ::_exit(0);
  }
  wr.reset();
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (out.empty()) return Error::plain(EIO, "the state helper process died");
  if (out[0] == 'o') return out.substr(1);
  size_t sp = out.find(' ');
  int code = std::atoi(out.substr(1, sp).c_str());
  return Error::plain(code, sp == std::string::npos ? "" : out.substr(sp + 1));
}

}  // namespace hutch::monitor
