#include "monitor/health.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "monitor/process.h"

namespace hutch::monitor {

std::string go_duration(int64_t ns) {
  if (ns % 1'000'000'000 == 0) {
    int64_t s = ns / 1'000'000'000;
    if (s < 60) return std::to_string(s) + "s";
    int64_t h = s / 3600, m = s / 60 % 60;
    std::string out = h ? std::to_string(h) + "h" : "";
    return out + std::to_string(m) + "m" + std::to_string(s % 60) + "s";
  }
  if (ns < 1'000'000'000 && ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", static_cast<double>(ns) / 1e9);
  return buf;
}

Status HealthChecker::init(const Settings* s, EventLoop* loop, std::function<void(const ProbeResult&)> on_result) {
  s_ = s;
  loop_ = loop;
  on_result_ = std::move(on_result);
  TRY(interval_.init(loop, [this] { run_probe(); }));
  TRY(timeout_.init(loop, [this] { on_timeout(); }));
  return {};
}

void HealthChecker::start() {
  active_ = true;
  interval_.arm(s_->health.interval_ns);
}

void HealthChecker::stop() {
  active_ = false;
  if (!loop_) return;
  interval_.disarm();
  timeout_.disarm();
  if (pid_) {
    kill_probe();
    pid_ = 0;
  }
  if (out_) {
    loop_->remove(out_.get());
    out_.reset();
  }
  std::string().swap(output_);
}

void HealthChecker::run_probe() {
  if (!active_ || pid_) return;
  std::string pid_file = s_->rundir + "/health.pid";
  ::unlink(pid_file.c_str());
  std::vector<std::string> argv = runtime_argv(*s_, {"exec", "--pid-file", pid_file, s_->id});
  argv.insert(argv.end(), s_->health.test.begin(), s_->health.test.end());
  int p[2];
  start_ns_ = now_unix_ns();
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    output_ = "cannot make a pipe for the health check";
    return finish(-1);
  }
  UniqueFd rd(p[0]), wr(p[1]);
  auto pid = spawn(argv, Stdio{-1, wr.get(), wr.get()}, /*new_group=*/true);
  if (!pid.ok()) {
    output_ = pid.error().message();
    return finish(-1);
  }
  pid_ = *pid;
  out_ = std::move(rd);
  int fd = out_.get();
  if (!loop_->add(fd, EPOLLIN, [this](uint32_t) { on_output(); }).ok()) out_.reset();
  timeout_.arm(s_->health.timeout_ns);
}

void HealthChecker::on_output() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      loop_->remove(out_.get());
      out_.reset();
      return;
    }
    // Docker keeps the first 4 KiB; the rest is read and dropped.
    size_t room = output_.size() < kHealthOutputMax ? kHealthOutputMax - output_.size() : 0;
    output_.append(buf, std::min(room, static_cast<size_t>(n)));
  }
}

bool HealthChecker::on_child_exit(pid_t pid, int code) {
  if (!pid_ || pid != pid_) return false;
  pid_ = 0;
  if (out_) on_output();  // what is already in the pipe
  finish(code);
  return true;
}

void HealthChecker::kill_probe() {
  // The process in the container, by the pid the runtime wrote...
  if (auto text = fs::read_file(s_->rundir + "/health.pid"); text.ok()) {
    if (auto p = parse_int(trim(*text)); p && *p > 0) ::kill(static_cast<pid_t>(*p), SIGKILL);
  }
  // ...and the runtime exec with its process group.
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
  }
}

void HealthChecker::on_timeout() {
  if (!pid_) return;
  kill_probe();
  pid_ = 0;  // reaped later by the monitor's SIGCHLD handling, ignored then
  output_ = "Health check exceeded timeout (" + go_duration(s_->health.timeout_ns) + ")";
  finish(-1);
}

void HealthChecker::finish(int exit_code) {
  timeout_.disarm();
  if (out_) {
    loop_->remove(out_.get());
    out_.reset();
  }
  ::unlink((s_->rundir + "/health.pid").c_str());
  ProbeResult r;
  r.start_ns = start_ns_;
  r.end_ns = now_unix_ns();
  r.exit_code = exit_code;
  r.output.swap(output_);
  std::string().swap(output_);
  if (active_) {
    on_result_(r);
    if (active_) interval_.arm(s_->health.interval_ns);
  }
}

}  // namespace hutch::monitor
