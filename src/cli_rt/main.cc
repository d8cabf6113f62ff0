// hutchrt: an OCI runtime with runc's command line.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/args.h"
#include "base/log.h"
#include "base/trace.h"
#include "cli_rt/cloned_binary.h"
#include "cli_rt/commands.h"

#ifndef HUTCH_VERSION
#define HUTCH_VERSION "0.0.0"
#endif

namespace hutch::cli_rt {
namespace {

struct Command {
  const char* name;
  int (*fn)(const Global&, const Args&, size_t);
  const char* help;
};

constexpr Command kCommands[] = {
    {"create", cmd_create, "create a container"},
    {"start", cmd_start, "executes the user defined process in a created container"},
    {"run", cmd_run, "create and run a container"},
    {"state", cmd_state, "output the state of a container"},
    {"kill", cmd_kill, "kill sends the specified signal (default: SIGTERM) to the container's init process"},
    {"delete", cmd_delete, "delete any resources held by the container often used with detached container"},
    {"exec", cmd_exec, "execute new process inside the container"},
    {"list", cmd_list, "lists containers started by hutchrt with the given root"},
    {"ps", cmd_ps, "ps displays the processes running inside a container"},
    {"pause", cmd_pause, "pause suspends all processes inside the container"},
    {"resume", cmd_resume, "resumes all processes that have been previously paused"},
    {"update", cmd_update, "update container resource constraints"},
    {"features", cmd_features, "show the enabled features"},
    {"spec", cmd_spec, "create a new specification file"},
};

const std::vector<OptSpec> kGlobal = {
    {"root", "", true, false, "root directory for storage of container state (default: \"/run/hutchrt\")"},
    {"log", "", true, false, "set the log file to write hutchrt logs to (default is '/dev/stderr')"},
    {"log-format", "", true, false, "set the log format ('text' (default), or 'json')"},
    {"debug", "", false, false, "enable debug logging"},
    {"systemd-cgroup", "", false, false, "enable systemd cgroup support"},
    {"criu", "", true, false, "path to the criu binary (unsupported; accepted for compatibility)"},
    {"rootless", "", true, false, "ignore cgroup permission errors ('true', 'false', or 'auto')"},
    {"version", "v", false, false, "print the version"},
};

void usage() {
  std::string out =
      "NAME:\n   hutchrt - an OCI container runtime (runc-compatible command line)\n\n"
      "USAGE:\n   hutchrt [global options] command [command options] [arguments...]\n\nCOMMANDS:\n";
  for (const auto& c : kCommands) {
    std::string line = std::string("   ") + c.name;
    line.resize(14, ' ');
    out += line + c.help + "\n";
  }
  out += "\nGLOBAL " + usage_options(kGlobal);
  std::fputs(out.c_str(), stdout);
}

}  // namespace
}  // namespace hutch::cli_rt

int main(int argc, char** argv, char** envp) {
  hutch::trace::mark("hutchrt: main");
  using namespace hutch::cli_rt;
  Args args(argv, argv + argc);
  auto parsed = parse_args(args, 1, kGlobal);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hutchrt: %s\n", parsed.error().message().c_str());
    return 1;
  }
  Global g;
  g.root = parsed->get("root", g.root);
  g.log_path = parsed->get("log");
  g.log_format = parsed->get("log-format", "text");
  g.debug = parsed->has("debug");
  g.systemd_cgroup = parsed->has("systemd-cgroup");
  if (parsed->has("version")) {
    std::printf("hutchrt version %s\nspec: 1.2.0\n", HUTCH_VERSION);
    return 0;
  }
  if (g.log_format != "text" && g.log_format != "json") {
    std::fprintf(stderr, "hutchrt: --log-format: unknown format \"%s\" (text or json)\n", g.log_format.c_str());
    return 1;
  }
  int log_fd = 2;
  if (!g.log_path.empty()) {
    log_fd = ::open(g.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (log_fd < 0) {
      std::fprintf(stderr, "hutchrt: open log \"%s\": %s\n", g.log_path.c_str(), std::strerror(errno));
      return 1;
    }
  }
  g_log_to_file = log_fd != 2;
  hutch::log::configure(log_fd, g.log_format == "json" ? hutch::log::Format::kJson : hutch::log::Format::kText,
                        g.debug ? hutch::log::Level::kDebug : hutch::log::Level::kWarn);
  size_t cmd_at = args.size() - parsed->positional.size();
  if (parsed->positional.empty() || parsed->has("help")) {
    usage();
    return parsed->has("help") ? 0 : 1;
  }
  const std::string& name = args[cmd_at];
  if (name == "help") {
    usage();
    return 0;
  }
  // Commands that leave processes in a container run from a sealed copy.
  if (name == "create" || name == "run" || name == "exec") ensure_cloned_binary(argv, envp);
  hutch::log::debug("main", "start " + name);
  for (const auto& c : kCommands)
    if (name == c.name) {
      int rc = c.fn(g, args, cmd_at + 1);
      hutch::trace::mark_usage("hutchrt: exit");
      hutch::log::debug("main", "done " + name);
      return rc;
    }
  std::fprintf(stderr, "hutchrt: no such command \"%s\" (see hutchrt --help)\n", name.c_str());
  return 1;
}

// libstdc++'s default terminate handler demangles the exception type name
// and drags the whole C++ demangler (~30 KiB) into a static link. hutchrt
// uses no exceptions; a plain abort is all it needs.
namespace __gnu_cxx {
void __verbose_terminate_handler() { std::abort(); }
}  // namespace __gnu_cxx
