#include <unistd.h>

#include <cstdio>

#include "base/log.h"
#include "cli_rt/commands.h"

namespace hutch::cli_rt {

bool g_log_to_file = false;

int fail(const std::string& command, const hutch::Error& e) {
  std::string msg = command + ": " + e.message();
  // With --log, runc reports the error in the log (containerd reads it)
  // and on stderr for its caller.
  if (g_log_to_file) hutch::log::error("", msg);
  std::fprintf(stderr, "hutchrt: %s\n", msg.c_str());
  return 1;
}

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

}  // namespace hutch::cli_rt
