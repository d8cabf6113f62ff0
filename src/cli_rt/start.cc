#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

int cmd_start(const Global& g, const Args& a, size_t start) {
  auto p = parse_args(a, start, {});
  if (!p.ok()) return fail("start", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt start <container-id>\n\nExecutes the user defined process in a created container.\n");
    return 0;
  }
  if (p->positional.size() != 1) return fail("start", Error(EINVAL, "\"start\" requires exactly 1 argument"));
  runtime::StateStore store(g.root);
  auto r = runtime::start_container(store, p->positional[0]);
  if (!r.ok()) return fail("start", r.error());
  return 0;
}

}  // namespace hutch::cli_rt
