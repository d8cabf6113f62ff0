#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

static int pause_or_resume(const Global& g, const Args& a, size_t start, bool pause) {
  const char* name = pause ? "pause" : "resume";
  auto p = parse_args(a, start, {});
  if (!p.ok()) return fail(name, p.error());
  if (p->has("help")) {
    print(std::string("Usage: hutchrt ") + name + " <container-id>\n");
    return 0;
  }
  if (p->positional.size() != 1) return fail(name, Error(EINVAL, std::string("\"") + name + "\" requires exactly 1 argument"));
  runtime::StateStore store(g.root);
  auto r = runtime::pause_container(store, p->positional[0], pause);
  if (!r.ok()) return fail(name, r.error());
  return 0;
}

int cmd_pause(const Global& g, const Args& a, size_t start) { return pause_or_resume(g, a, start, true); }
int cmd_resume(const Global& g, const Args& a, size_t start) { return pause_or_resume(g, a, start, false); }

}  // namespace hutch::cli_rt
