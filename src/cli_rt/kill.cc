#include <signal.h>

#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

int cmd_kill(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"all", "a", false, false, "send the specified signal to all processes inside the container"}};
  auto p = parse_args(a, start, opts);
  if (!p.ok()) return fail("kill", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt kill [command options] <container-id> [signal]\n\n" + usage_options(opts));
    return 0;
  }
  if (p->positional.empty() || p->positional.size() > 2)
    return fail("kill", Error(EINVAL, "\"kill\" requires 1 or 2 arguments: <container-id> [signal]"));
  int sig = SIGTERM;
  if (p->positional.size() == 2) {
    auto s = runtime::parse_signal(p->positional[1]);
    if (!s) return fail("kill", Error::plain(EINVAL, "unknown signal \"" + p->positional[1] + "\""));
    sig = *s;
  }
  runtime::StateStore store(g.root);
  auto r = runtime::kill_container(store, p->positional[0], sig, p->has("all"));
  if (!r.ok()) return fail("kill", r.error());
  return 0;
}

}  // namespace hutch::cli_rt
