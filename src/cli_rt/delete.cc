#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

int cmd_delete(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"force", "f", false, false, "forcibly delete the container if it is still running (uses SIGKILL)"}};
  auto p = parse_args(a, start, opts);
  if (!p.ok()) return fail("delete", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt delete [command options] <container-id>\n\n" + usage_options(opts));
    return 0;
  }
  if (p->positional.size() != 1) return fail("delete", Error(EINVAL, "\"delete\" requires exactly 1 argument"));
  runtime::StateStore store(g.root);
  auto r = runtime::delete_container(store, p->positional[0], p->has("force"));
  if (!r.ok()) return fail("delete", r.error());
  return 0;
}

}  // namespace hutch::cli_rt
