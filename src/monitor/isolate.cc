#include "monitor/isolate.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

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

Result<ChildWork> start_in_child(const std::function<Result<std::string>()>& work) {
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
  ChildWork c;
  c.pid_ = pid;
  c.rd_ = std::move(rd);
  return c;
}

Result<std::string> ChildWork::join() {
  if (pid_ <= 0) return Error::plain(EINVAL, "no state helper process to wait for");
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  rd_.reset();
  // EOF: the child has exited (or is exiting); ECHILD when it was reaped
  // already.
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  pid_ = 0;
  if (out.empty()) return Error::plain(EIO, "the state helper process died");
  if (out[0] == 'o') return out.substr(1);
  size_t sp = out.find(' ');
  int code = std::atoi(out.substr(1, sp).c_str());
  return Error::plain(code, sp == std::string::npos ? "" : out.substr(sp + 1));
}

ChildWork& ChildWork::operator=(ChildWork&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0) (void)join();
    pid_ = o.pid_;
    rd_ = std::move(o.rd_);
    o.pid_ = 0;
  }
  return *this;
}

ChildWork::~ChildWork() {
  if (pid_ > 0) (void)join();
}

Result<std::string> in_child(const std::function<Result<std::string>()>& work) {
  ASSIGN_OR_RETURN(ChildWork c, start_in_child(work));
  return c.join();
}

}  // namespace hutch::monitor
