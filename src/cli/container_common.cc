#include "cli/container_common.h"

#include <cstdio>

namespace hutch::cli {

Result<engine::Containers> open_containers(const Global& g) { return engine::Containers::open(g.root, g.runroot); }

int usage_error(const char* cmd, const char* what) {
  std::fprintf(stderr, "\"hutch %s\" requires %s.\nSee 'hutch %s --help'.\n", cmd, what, cmd);
  return 1;
}

}  // namespace hutch::cli
