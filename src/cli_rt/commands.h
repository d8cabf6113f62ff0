// hutchrt commands: one function per runc subcommand, each in its own
// file. They print, the library does not. Exit codes follow runc: 0 on
// success, 1 on any error, the container's status for run/exec.
// Thread-safety: single threaded process.
#pragma once

#include <string>
#include <vector>

#include "runtime/state.h"

namespace hutch::cli_rt {

struct Global {
  std::string root = "/run/hutchrt";
  std::string log_path;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
};

using Args = std::vector<std::string>;
// Each returns the process exit code; `start` indexes the first argument
// after the command name.
int cmd_create(const Global& g, const Args& a, size_t start);
int cmd_start(const Global& g, const Args& a, size_t start);
int cmd_run(const Global& g, const Args& a, size_t start);
int cmd_state(const Global& g, const Args& a, size_t start);
int cmd_kill(const Global& g, const Args& a, size_t start);
int cmd_delete(const Global& g, const Args& a, size_t start);
int cmd_exec(const Global& g, const Args& a, size_t start);
int cmd_list(const Global& g, const Args& a, size_t start);
int cmd_ps(const Global& g, const Args& a, size_t start);
int cmd_pause(const Global& g, const Args& a, size_t start);
int cmd_resume(const Global& g, const Args& a, size_t start);
int cmd_update(const Global& g, const Args& a, size_t start);
int cmd_features(const Global& g, const Args& a, size_t start);
int cmd_spec(const Global& g, const Args& a, size_t start);

// Prints "hutchrt: <message>" to stderr and to the --log file; returns 1.
int fail(const std::string& command, const hutch::Error& e);
void print(const std::string& text);
extern bool g_log_to_file;

}  // namespace hutch::cli_rt
