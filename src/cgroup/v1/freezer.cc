// v1 freezer controller: Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst.
#include <chrono>
#include <thread>

#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

Result<bool> frozen(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string state, read_file(dir, "freezer.state"));
  return state == "FROZEN";
}

Status set_frozen(const std::string& dir, bool want) {
  const char* target = want ? "FROZEN" : "THAWED";
  // Freezing is asynchronous: the state reads FREEZING until every task has
  // stopped. A task forked mid-freeze can leave it stuck there, and writing
  // FROZEN again restarts the walk, so the write is repeated while waiting.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (attempt % 50 == 0) TRY(write_file(dir, "freezer.state", target));
    ASSIGN_OR_RETURN(std::string state, read_file(dir, "freezer.state"));
    if (state == target) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 10 ? 1 : 10));
  }
  // Leave nothing half frozen behind a failed freeze.
  if (want) (void)write_file(dir, "freezer.state", "THAWED");
  return Error(EBUSY, std::string("the freezer did not reach ") + target + " in \"" + dir + "\"");
}

}  // namespace hutch::cgroup::v1
