#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "base/strings.h"
#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

int cmd_ps(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"format", "f", true, false, "select one of: table or json (default: \"table\")"}};
  auto p = parse_args(a, start, opts);
  if (!p.ok()) return fail("ps", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt ps [command options] <container-id> [ps options]\n\n" + usage_options(opts));
    return 0;
  }
  if (p->positional.empty()) return fail("ps", Error(EINVAL, "\"ps\" requires a container id"));
  runtime::StateStore store(g.root);
  auto pids = runtime::container_pids(store, p->positional[0]);
  if (!pids.ok()) return fail("ps", pids.error());
  std::string format = p->get("format", "table");
  if (format == "json") {
    std::string out = "[";
    for (size_t i = 0; i < pids->size(); ++i) out += (i ? "," : "") + std::to_string((*pids)[i]);
    print(out + "]\n");
    return 0;
  }
  if (format != "table") return fail("ps", Error(EINVAL, "invalid format option \"" + format + "\""));
  // Like runc: run ps(1) with the given options and keep the header and
  // the lines of the container's processes.
  std::vector<std::string> ps_args = {"ps"};
  for (size_t i = 1; i < p->positional.size(); ++i) ps_args.push_back(p->positional[i]);
  if (ps_args.size() == 1) ps_args.push_back("-ef");
  int out[2];
  if (::pipe(out) != 0) return fail("ps", Error::from_errno("pipe"));
  pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    std::vector<char*> argv;
    for (auto& s : ps_args) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execvp("ps", argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fail("ps", Error(0, "ps(1) failed"));
  auto lines = split(text, '\n');
  if (lines.empty()) return 0;
  auto header = split(lines[0], ' ');
  size_t pid_col = 0, col = 0;
  for (const auto& h : header) {
    if (h.empty()) continue;
    if (h == "PID") pid_col = col;
    ++col;
  }
  std::set<pid_t> want(pids->begin(), pids->end());
  std::string result = lines[0] + "\n";
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields;
    for (auto& f : split(lines[i], ' '))
      if (!f.empty()) fields.push_back(f);
    if (fields.size() <= pid_col) continue;
    auto pid = parse_int(fields[pid_col]);
    if (pid && want.count(static_cast<pid_t>(*pid))) result += lines[i] + "\n";
  }
  print(result);
  return 0;
}

}  // namespace hutch::cli_rt
