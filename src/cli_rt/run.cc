#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

extern const std::vector<OptSpec> kCreateOpts;
Result<runtime::CreateOptions> create_options(const Global& g, const Parsed& p, const char* cmd);

int cmd_run(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = kCreateOpts;
  opts.push_back({"detach", "d", false, false, "detach from the container's process"});
  opts.push_back({"keep", "", false, false, "do not delete the container after it exits"});
  auto p = parse_args(a, start, opts);
  if (!p.ok()) return fail("run", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt run [command options] <container-id>\n\n" + usage_options(opts));
    return 0;
  }
  auto o = create_options(g, *p, "run");
  if (!o.ok()) return fail("run", o.error());
  runtime::RunOptions ro;
  ro.create = *o;
  ro.detach = p->has("detach");
  ro.keep = p->has("keep");
  runtime::StateStore store(g.root);
  auto r = runtime::run_container(store, ro);
  if (!r.ok()) return fail("run", r.error());
  return *r;
}

}  // namespace hutch::cli_rt
