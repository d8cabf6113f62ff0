// hutch commands: one function per docker command, each in its own file.
// Commands print; the engine library does not. Exit codes follow docker:
// 0 success, 1 a failed operation, 125 bad usage (unknown flag or command
// arguments). Thread-safety: single-threaded process.
#pragma once

#include <string>
#include <vector>

#include "base/args.h"
#include "base/error.h"

namespace hutch::cli {

struct Global {
  std::string root = "/var/lib/hutch";
  bool debug = false;
  std::string config_dir;  // --config: where config.json (registry logins) lives
  std::string runroot;     // --runroot: monitors' sockets and runtime state ("" = derived from root)
};

using Args = std::vector<std::string>;
using CommandFn = int (*)(const Global&, const Args&, size_t);

struct Command {
  const char* name;
  CommandFn fn;
  const char* summary;
};

// The table main() dispatches on (commands.cc).
const std::vector<Command>& commands();

int cmd_version(const Global& g, const Args& a, size_t start);
int cmd_images(const Global& g, const Args& a, size_t start);
int cmd_image(const Global& g, const Args& a, size_t start);
int cmd_load(const Global& g, const Args& a, size_t start);
int cmd_tag(const Global& g, const Args& a, size_t start);
int cmd_save(const Global& g, const Args& a, size_t start);
int cmd_import(const Global& g, const Args& a, size_t start);
int cmd_history(const Global& g, const Args& a, size_t start);
int cmd_rmi(const Global& g, const Args& a, size_t start);
int cmd_pull(const Global& g, const Args& a, size_t start);
int cmd_push(const Global& g, const Args& a, size_t start);
int cmd_login(const Global& g, const Args& a, size_t start);
int cmd_logout(const Global& g, const Args& a, size_t start);
int cmd_search(const Global& g, const Args& a, size_t start);
int cmd_manifest(const Global& g, const Args& a, size_t start);
int cmd_image_inspect(const Global& g, const Args& a, size_t start);
int cmd_system(const Global& g, const Args& a, size_t start);
// Containers (issue 4).
int cmd_create(const Global& g, const Args& a, size_t start);
int cmd_run(const Global& g, const Args& a, size_t start);
int cmd_start(const Global& g, const Args& a, size_t start);
int cmd_attach(const Global& g, const Args& a, size_t start);
int cmd_stop(const Global& g, const Args& a, size_t start);
int cmd_kill(const Global& g, const Args& a, size_t start);
int cmd_restart(const Global& g, const Args& a, size_t start);
int cmd_rm(const Global& g, const Args& a, size_t start);
int cmd_pause(const Global& g, const Args& a, size_t start);
int cmd_unpause(const Global& g, const Args& a, size_t start);
int cmd_rename(const Global& g, const Args& a, size_t start);
int cmd_wait(const Global& g, const Args& a, size_t start);
int cmd_ps(const Global& g, const Args& a, size_t start);
int cmd_logs(const Global& g, const Args& a, size_t start);
int cmd_exec(const Global& g, const Args& a, size_t start);
int cmd_inspect(const Global& g, const Args& a, size_t start);
int cmd_container(const Global& g, const Args& a, size_t start);
int cmd_boot(const Global& g, const Args& a, size_t start);
int cmd_shell(const Global& g, const Args& a, size_t start);
int cmd_volume(const Global& g, const Args& a, size_t start);
// Container files (container_files.cc): diff, cp, export, commit.
int cmd_diff(const Global& g, const Args& a, size_t start);
int cmd_cp(const Global& g, const Args& a, size_t start);
int cmd_export(const Global& g, const Args& a, size_t start);
int cmd_commit(const Global& g, const Args& a, size_t start);
// stats, top, update, events, port, info, prune (issue 5).
int cmd_stats(const Global& g, const Args& a, size_t start);
int cmd_top(const Global& g, const Args& a, size_t start);
int cmd_update(const Global& g, const Args& a, size_t start);
int cmd_events(const Global& g, const Args& a, size_t start);
int cmd_port(const Global& g, const Args& a, size_t start);
int cmd_info(const Global& g, const Args& a, size_t start);
int cmd_container_prune(const Global& g, const Args& a, size_t start);
int cmd_system_prune(const Global& g, const Args& a, size_t start);

// Parses a command's flags; on error prints docker's usage message and
// sets `exit_code` to 125. Prints help and sets 0 for --help.
Result<Parsed> parse_command(const Args& a, size_t start, const std::vector<OptSpec>& specs, const char* usage,
                             const char* summary, int* exit_code);
// "Error: <message>" on stderr; returns `code`.
int fail(const Error& e, int code = 1);
void print(const std::string& text);

// Networks (issue 5): network.cc.
int cmd_network(const Global& g, const Args& a, size_t start);

}  // namespace hutch::cli
