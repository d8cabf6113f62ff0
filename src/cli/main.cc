// hutch: the container engine, with docker's command line. Commands land
// issue by issue; `hutch --help` lists what this build has.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/log.h"
#include "base/trace.h"
#include "cli/commands.h"

#ifndef HUTCH_VERSION
#define HUTCH_VERSION "0.0.0"
#endif

namespace {

using namespace hutch;
using namespace hutch::cli;

const std::vector<OptSpec> kGlobal = {
    {"root", "", true, false, "root of hutch's store (default \"/var/lib/hutch\")"},
    {"config", "", true, false, "location of client config files, config.json holds registry logins (default \"~/.docker\")"},
    {"runroot", "", true, false, "where monitors keep sockets and the OCI runtime its state (default \"/run/hutch\")"},
    {"debug", "D", false, false, "enable debug output"},
    {"version", "v", false, false, "print version information and quit"},
};

void usage() {
  std::string out = "\nUsage:  hutch [OPTIONS] COMMAND\n\nA daemonless container engine with docker's command line\n\nCommands:\n";
  for (const auto& c : commands()) {
    std::string line = std::string("  ") + c.name;
    line.resize(14, ' ');
    out += line + c.summary + "\n";
  }
  out += "\nGlobal " + usage_options(kGlobal) + "\nRun 'hutch COMMAND --help' for more information on a command.\n";
  std::fputs(out.c_str(), stdout);
}

}  // namespace

// libstdc++'s verbose terminate handler pulls in the demangler; hutch uses
// no exceptions, so a plain abort is enough.
namespace __gnu_cxx {
void __verbose_terminate_handler() { std::abort(); }
}  // namespace __gnu_cxx

int main(int argc, char** argv) {
  trace::mark("hutch: main");
  Args args(argv, argv + argc);
  auto parsed = parse_args(args, 1, kGlobal);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hutch: %s\nSee 'hutch --help'.\n", parsed.error().message().c_str());
    return 125;
  }
  if (parsed->has("version")) {
    std::printf("hutch version %s\n", HUTCH_VERSION);
    return 0;
  }
  Global g;
  g.root = parsed->get("root", g.root);
  g.debug = parsed->has("debug");
  g.config_dir = parsed->get("config");
  g.runroot = parsed->get("runroot");
  log::configure(2, log::Format::kText, g.debug ? log::Level::kDebug : log::Level::kWarn);
  if (parsed->positional.empty() || parsed->has("help")) {
    usage();
    return parsed->has("help") ? 0 : 1;
  }
  size_t at = args.size() - parsed->positional.size();
  const std::string& name = args[at];
  if (name == "help") {
    usage();
    return 0;
  }
  for (const auto& c : commands())
    if (name == c.name) {
      int rc = c.fn(g, args, at + 1);
      trace::mark_usage("hutch: exit");
      return rc;
    }
  std::fprintf(stderr, "hutch: '%s' is not a hutch command.\nSee 'hutch --help'\n", name.c_str());
  return 1;
}
