#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

int cmd_state(const Global& g, const Args& a, size_t start) {
  auto p = parse_args(a, start, {});
  if (!p.ok()) return fail("state", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt state <container-id>\n\nOutputs the state of a container as JSON.\n");
    return 0;
  }
  if (p->positional.size() != 1) return fail("state", Error(EINVAL, "\"state\" requires exactly 1 argument"));
  runtime::StateStore store(g.root);
  auto v = runtime::container_state(store, p->positional[0]);
  if (!v.ok()) return fail("state", v.error());
  print(runtime::state_json(v->state, v->status, 2) + "\n");
  return 0;
}

}  // namespace hutch::cli_rt
