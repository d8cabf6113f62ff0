// v2 freezer: cgroup-v2.rst, "cgroup.freeze" and "cgroup.events" (Linux 5.2).
#include <chrono>
#include <thread>

#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

Result<bool> frozen(const std::string& dir) {
  ASSIGN_OR_RETURN(uint64_t v, read_keyed(dir, "cgroup.events", "frozen"));
  return v == 1;
}

Status set_frozen(const std::string& dir, bool want) {
  auto st = write_file(dir, "cgroup.freeze", want ? "1" : "0");
  if (!st.ok() && st.error().code() == ENOENT)
    return std::move(st).error().context("freezing needs cgroup.freeze (Linux 5.2 or later)");
  TRY(st);
  // The write only starts the freeze; cgroup.events says when every task
  // has stopped (or, thawing, may run again).
  for (int attempt = 0; attempt < 1000; ++attempt) {
    ASSIGN_OR_RETURN(bool now, frozen(dir));
    if (now == want) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 10 ? 1 : 10));
  }
  if (want) (void)write_file(dir, "cgroup.freeze", "0");
  return Error(EBUSY, std::string("the group did not become ") + (want ? "frozen" : "thawed") +
                          " in \"" + dir + "\"");
}

}  // namespace hutch::cgroup::v2
