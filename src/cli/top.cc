// hutch top CONTAINER [ps OPTIONS]: docker's process list of a container.
// As docker's daemon does, it runs the host's ps (default "-ef": UID PID
// PPID C STIME TTY TIME CMD) and keeps the rows whose PID is in the
// container's cgroup (engine/container_stats.h).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/format.h"
#include "engine/container_stats.h"

extern char** environ;

namespace hutch::cli {

namespace {

// Runs ps with `args`, all of its output (base/spawn.h keeps only 64 KiB,
// and a host's `ps -ef` can be longer). No shell.
Result<std::string> run_ps(const std::vector<std::string>& args) {
  const char* ps = ::access("/bin/ps", X_OK) == 0 ? "/bin/ps" : "/usr/bin/ps";
  std::vector<std::string> argv = {"ps"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& s : argv) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  pid_t pid;
  int rc = ::posix_spawn(&pid, ps, &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return Error(rc, std::string("run ") + ps);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error::plain(EINVAL, "ps: " + std::string(trim(text)));
  return text;
}

}  // namespace

int cmd_top(const Global& g, const Args& a, size_t start) {
  // ps options follow the container and may look like flags ("-o pid"):
  // stop parsing at the container.
  auto p = parse_args(a, start, {}, true);
  if (!p.ok()) {
    std::fprintf(stderr, "%s\nSee 'hutch top --help'.\n", p.error().message().c_str());
    return 125;
  }
  if (p->has("help")) {
    print("\nUsage:  hutch top CONTAINER [ps OPTIONS]\n\nDisplay the running processes of a container\n");
    return 0;
  }
  if (p->positional.empty()) return usage_error("top", "at least 1 argument");
  const std::string& ref = p->positional[0];
  std::vector<std::string> ps_args(p->positional.begin() + 1, p->positional.end());
  if (ps_args.empty()) ps_args = {"-ef"};

  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto row = cs->find(ref);
  if (!row.ok()) return fail(row.error());
  if (row->status != state::Status::kRunning && row->status != state::Status::kPaused)
    return fail(Error::plain(EINVAL, "container " + row->id + " is not running"));
  auto roots = engine::CgroupRoots::detect();
  if (!roots.ok()) return fail(roots.error());
  auto pids = engine::cgroup_pids("/hutch/" + row->id, *roots);
  if (!pids.ok()) return fail(pids.error());
  auto out = run_ps(ps_args);
  if (!out.ok()) return fail(out.error().context("error running top"));
  auto table = engine::filter_ps_output(*out, std::set<int>(pids->begin(), pids->end()));
  if (!table.ok()) return fail(table.error());
  // docker: tabwriter with minimum width 20, padding 3.
  std::string text = join(table->titles, "\t") + "\n";
  for (const auto& proc : table->processes) text += join(proc, "\t") + "\n";
  print(tabwrite(text, 20, 3));
  return 0;
}

}  // namespace hutch::cli
