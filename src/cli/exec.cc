// hutch exec and hutch shell: a new process in a running container,
// started by the container's OCI runtime (`runtime exec`) with our stdio.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "engine/run_options.h"

extern char** environ;

namespace hutch::cli {

namespace {

const char* kAllCaps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};

// A file of the running container's root (its overlay mount), read
// without following links out of it.
Result<std::string> read_in_rootfs(const std::string& rootfs, const std::string& path) {
  UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno("open \"" + rootfs + "\"");
  struct open_how how = {};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd f(static_cast<int>(::syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof how)));
  if (!f) return Error::from_errno("open \"" + path + "\" in the container");
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(f.get(), buf, sizeof buf)) > 0 && out.size() < (4 << 20)) out.append(buf, static_cast<size_t>(n));
  return out;
}

// "name[:group]" -> "uid:gid" through the container's passwd and group.
Result<std::string> resolve_user(const std::string& rootfs, const std::string& user) {
  size_t colon = user.find(':');
  std::string u = user.substr(0, colon), grp = colon == std::string::npos ? "" : user.substr(colon + 1);
  auto lookup = [&](const std::string& file, const std::string& name, int field) -> Result<std::string> {
    if (parse_uint(name)) return name;
    auto text = read_in_rootfs(rootfs, file);
    if (text.ok())
      for (const auto& line : split(*text, '\n')) {
        auto f = split(line, ':');
        if (f.size() > static_cast<size_t>(field) && f[0] == name) return f[field];
      }
    return Error::plain(ENOENT, "unable to find user " + name + ": no matching entries in " +
                                    fs::basename(file) + " file");
  };
  ASSIGN_OR_RETURN(std::string uid, lookup("/etc/passwd", u, 2));
  std::string gid;
  if (!grp.empty()) {
    ASSIGN_OR_RETURN(gid, lookup("/etc/group", grp, 2));
  } else if (!parse_uint(u)) {
    auto text = read_in_rootfs(rootfs, "/etc/passwd");
    if (text.ok())
      for (const auto& line : split(*text, '\n')) {
        auto f = split(line, ':');
        if (f.size() > 3 && f[0] == u) gid = f[3];
      }
  }
  return gid.empty() ? uid : uid + ":" + gid;
}

int run_exec(const Global& g, const Parsed& p, const std::vector<std::string>& command) {
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto row = cs->find(p.positional[0]);
  if (!row.ok()) return fail(row.error());
  if (row->status == state::Status::kPaused)
    return fail(Error::plain(EINVAL, "container " + row->id + " is paused, unpause the container before exec"), 1);
  if (row->status != state::Status::kRunning)
    return fail(Error::plain(EINVAL, "container " + row->id + " is not running"), 1);
  auto doc = engine::Containers::config_of(*row);
  if (!doc.ok()) return fail(doc.error());
  std::vector<std::string> argv = {json::string_of(doc->get(), "RuntimePath"), "--root",
                                   json::string_of(doc->get(), "RuntimeRoot"), "exec"};
  if (p.has("tty")) argv.push_back("--tty");
  if (p.has("detach")) argv.push_back("--detach");
  if (p.has("workdir")) argv.insert(argv.end(), {"--cwd", p.get("workdir")});
  std::vector<std::string> env;
  for (const auto& f : p.all("env-file")) {
    auto lines = engine::read_env_file(f);
    if (!lines.ok()) return fail(lines.error(), 125);
    env.insert(env.end(), lines->begin(), lines->end());
  }
  for (const auto& e : p.all("env")) {
    if (e.find('=') == std::string::npos) {
      const char* v = std::getenv(e.c_str());
      if (v) env.push_back(e + "=" + v);
    } else {
      env.push_back(e);
    }
  }
  if (p.has("tty")) env.push_back("TERM=xterm");
  for (const auto& e : env) argv.insert(argv.end(), {"--env", e});
  if (p.has("user")) {
    auto u = resolve_user(cs->paths().rootfs(row->id), p.get("user"));
    if (!u.ok()) return fail(u.error(), 126);
    argv.insert(argv.end(), {"--user", *u});
  }
  if (p.has("privileged"))
    for (const char* c : kAllCaps) argv.insert(argv.end(), {"--cap", c});
  argv.push_back(row->id);
  argv.insert(argv.end(), command.begin(), command.end());

  // The runtime gets our stdio (stdin only with -i) and its status is ours.
  pid_t pid = ::fork();
  if (pid < 0) return fail(Error::from_errno("fork"));
  if (pid == 0) {
    if (!p.has("interactive")) {
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
    }
    std::vector<char*> args;
    for (auto& s : argv) args.push_back(s.data());
    args.push_back(nullptr);
    ::execve(args[0], args.data(), environ);
    std::fprintf(stderr, "hutch exec: %s: %s\n", args[0], std::strerror(errno));
    ::_exit(126);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::vector<OptSpec> exec_opts() {
  return {
      {"detach", "d", false, false, "Detached mode: run command in the background"},
      {"detach-keys", "", true, false, "Override the key sequence for detaching a container (not supported: refused)"},
      {"env", "e", true, true, "Set environment variables"},
      {"env-file", "", true, true, "Read in a file of environment variables"},
      {"interactive", "i", false, false, "Keep STDIN open even if not attached"},
      {"privileged", "", false, false, "Give extended privileges to the command"},
      {"tty", "t", false, false, "Allocate a pseudo-TTY"},
      {"user", "u", true, false, "Username or UID (format: \"<name|uid>[:<group|gid>]\")"},
      {"workdir", "w", true, false, "Working directory inside the container"},
  };
}

}  // namespace

int cmd_exec(const Global& g, const Args& a, size_t start) {
  auto opts = exec_opts();
  auto p = parse_args(a, start, opts, true);
  if (!p.ok()) {
    std::fprintf(stderr, "hutch: %s\nSee 'hutch exec --help'.\n", p.error().message().c_str());
    return 125;
  }
  if (p->has("help")) {
    print("\nUsage:  hutch exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container\n\n" +
          usage_options(opts));
    return 0;
  }
  if (p->positional.size() < 2) {
    std::fprintf(stderr, "\"hutch exec\" requires at least 2 arguments.\nSee 'hutch exec --help'.\n");
    return 1;
  }
  if (p->has("detach-keys"))
    return fail(Error::plain(ENOTSUP, "exec --detach-keys is not supported: an exec session cannot be detached"), 125);
  if (p->has("tty") && p->has("interactive") && !::isatty(0))
    return fail(Error::plain(EINVAL, "the input device is not a TTY"), 1);
  return run_exec(g, *p, std::vector<std::string>(p->positional.begin() + 1, p->positional.end()));
}

int cmd_shell(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "shell CONTAINER",
                         "Open an interactive shell (/bin/sh) in a running container, as RouterOS's "
                         "/container/shell does", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) return usage_error("shell", "exactly 1 argument");
  Parsed q = *p;
  q.values["interactive"] = {""};
  if (::isatty(0)) q.values["tty"] = {""};
  return run_exec(g, q, {"/bin/sh"});
}

}  // namespace hutch::cli
