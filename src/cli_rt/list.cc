#include <cstdio>

#include "base/json.h"
#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

int cmd_list(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"format", "f", true, false, "select one of: table or json (default: \"table\")"},
                               {"quiet", "q", false, false, "display only container IDs"}};
  auto p = parse_args(a, start, opts);
  if (!p.ok()) return fail("list", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt list [command options]\n\n" + usage_options(opts));
    return 0;
  }
  std::string format = p->get("format", "table");
  if (format != "table" && format != "json") return fail("list", Error(EINVAL, "invalid format option \"" + format + "\""));
  runtime::StateStore store(g.root);
  auto ids = store.list();
  if (!ids.ok()) return fail("list", ids.error());
  if (p->has("quiet")) {
    for (const auto& id : *ids) print(id + "\n");
    return 0;
  }
  json::Ptr arr(json_array());
  std::string table = "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n";
  for (const auto& id : *ids) {
    auto v = runtime::container_state(store, id);
    if (!v.ok()) continue;
    if (format == "json") {
      auto doc = json::parse(runtime::state_json(v->state, v->status, 0));
      if (doc.ok()) json_array_append_new(arr.get(), doc->release());
    } else {
      char line[4096];
      std::snprintf(line, sizeof line, "%-11s %-11d %-11s %-11s %-11s %s\n", id.c_str(),
                    v->status == runtime::Status_::kStopped ? 0 : v->state.pid, runtime::status_name(v->status),
                    v->state.bundle.c_str(), v->state.created.c_str(), v->state.owner.empty() ? "root" : v->state.owner.c_str());
      table += line;
    }
  }
  print(format == "json" ? json::dump(arr.get()) + "\n" : table);
  return 0;
}

}  // namespace hutch::cli_rt
