#include "cli/commands.h"

namespace hutch::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"version", cmd_version, "Show the hutch version information"},
  };
  return kCommands;
}

}  // namespace hutch::cli
