#include "monitor/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "base/fd.h"
#include "base/strings.h"

namespace hutch::monitor {

namespace {

// The seals hutchrt checks for (cli_rt/cloned_binary.cc).
constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// In the forked child: execs a sealed memfd copy of `path`; returns only
// when that failed (then nothing is left open: every fd is close-on-exec).
void exec_sealed_copy(const char* path, char* const argv[]) {
  int src = ::open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return;
  struct stat st;
  int mfd = ::memfd_create("hutchrt", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0 || ::fstat(src, &st) != 0) return;
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = ::sendfile(mfd, src, &off, static_cast<size_t>(st.st_size - off));
    if (n <= 0) break;
  }
  if (off != st.st_size || ::fcntl(mfd, F_ADD_SEALS, kSeals) != 0) return;
  ::execveat(mfd, "", argv, environ, AT_EMPTY_PATH);
}

}  // namespace

std::vector<std::string> runtime_argv(const Settings& s, std::initializer_list<std::string> args) {
  std::vector<std::string> v;
  v.push_back(s.runtime);
  v.insert(v.end(), s.runtime_args.begin(), s.runtime_args.end());
  if (!s.runtime_root.empty()) {
    v.push_back("--root");
    v.push_back(s.runtime_root);
  }
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

Result<pid_t> spawn(const std::vector<std::string>& argv, Stdio io, bool new_group, bool sealed_copy) {
  if (argv.empty()) return Error::plain(EINVAL, "spawn: no program");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return Error::from_errno("open /dev/null");
  int fds[3] = {io.in >= 0 ? io.in : null.get(), io.out >= 0 ? io.out : null.get(), io.err >= 0 ? io.err : null.get()};
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("fork \"" + argv[0] + "\"");
  if (pid == 0) {
    // Move the sources above 2 first so that dup2 into 0-2 cannot clobber
    // a source still needed.
    for (int i = 0; i < 3; ++i) {
      if (fds[i] < 3) fds[i] = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    }
    for (int i = 0; i < 3; ++i) {
      if (::dup2(fds[i], i) < 0) ::_exit(127);
    }
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (new_group) ::setpgid(0, 0);
    if (sealed_copy) exec_sealed_copy(args[0], args.data());
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int decode_wait_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

Result<int> wait_exit(pid_t pid) {
  int st = 0;
  for (;;) {
    if (::waitpid(pid, &st, 0) == pid) return decode_wait_status(st);
    if (errno != EINTR) return Error::from_errno("waitpid " + std::to_string(pid));
  }
}

Result<RunResult> run(const std::vector<std::string>& argv) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  ASSIGN_OR_RETURN(pid_t pid, spawn(argv, Stdio{-1, wr.get(), wr.get()}));
  wr.reset();
  RunResult r;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (r.output.size() < 65536) r.output.append(buf, static_cast<size_t>(n));
  }
  ASSIGN_OR_RETURN(r.status, wait_exit(pid));
  return r;
}

std::string runtime_message(std::string_view output) {
  // runc: time="..." level=error msg="runc create failed: ... \"x\" ..."
  size_t m = output.rfind(" msg=\"");
  if (m != std::string_view::npos) {
    std::string out;
    for (size_t i = m + 6; i < output.size(); ++i) {
      char c = output[i];
      if (c == '\\' && i + 1 < output.size()) {
        out += output[++i];
        continue;
      }
      if (c == '"') break;
      out += c;
    }
    return out;
  }
  std::string_view t = trim(output);
  size_t nl = t.rfind('\n');
  if (nl != std::string_view::npos) t = trim(t.substr(nl + 1));
  return std::string(t);
}

int exec_error_code(std::string_view message) {
  std::string m(message);
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
  bool about_exec = m.find("exec") != std::string::npos;  // "exec:", "executable", "open executable"
  if (!about_exec) return 0;
  if (m.find("not found") != std::string::npos || m.find("no such file or directory") != std::string::npos)
    return 127;
  if (m.find("permission denied") != std::string::npos || m.find("exec format error") != std::string::npos ||
      m.find("is a directory") != std::string::npos)
    return 126;
  return 0;
}

}  // namespace hutch::monitor
