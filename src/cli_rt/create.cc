#include <cstdio>

#include "base/strings.h"
#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

extern const std::vector<OptSpec> kCreateOpts;
const std::vector<OptSpec> kCreateOpts = {
    {"bundle", "b", true, false, "path to the root of the bundle directory, defaults to the current directory"},
    {"console-socket", "", true, false, "path to an AF_UNIX socket which will receive the pty master"},
    {"pid-file", "", true, false, "specify the file to write the process id to"},
    {"no-pivot", "", false, false, "do not use pivot root to jail process inside rootfs"},
    {"no-new-keyring", "", false, false, "do not create a new session keyring for the container"},
    {"preserve-fds", "", true, false, "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)"},
};

Result<runtime::CreateOptions> create_options(const Global& g, const Parsed& p, const char* cmd) {
  runtime::CreateOptions o;
  if (p.positional.size() != 1)
    return Error(EINVAL, std::string("\"") + cmd + "\" requires exactly 1 argument (the container id)");
  o.id = p.positional[0];
  o.bundle = p.get("bundle", ".");
  o.console_socket = p.get("console-socket");
  o.pid_file = p.get("pid-file");
  o.no_pivot = p.has("no-pivot");
  o.no_new_keyring = p.has("no-new-keyring");
  o.systemd_cgroup = g.systemd_cgroup;
  if (p.has("preserve-fds")) {
    auto n = parse_int(p.get("preserve-fds"));
    if (!n || *n < 0) return Error(EINVAL, "--preserve-fds: not a number: \"" + p.get("preserve-fds") + "\"");
    o.preserve_fds = static_cast<int>(*n);
  }
  return o;
}

int cmd_create(const Global& g, const Args& a, size_t start) {
  auto p = parse_args(a, start, kCreateOpts);
  if (!p.ok()) return fail("create", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt create [command options] <container-id>\n\n" + usage_options(kCreateOpts));
    return 0;
  }
  auto o = create_options(g, *p, "create");
  if (!o.ok()) return fail("create", o.error());
  runtime::StateStore store(g.root);
  auto r = runtime::create_container(store, *o);
  if (!r.ok()) return fail("create", r.error());
  return 0;
}

}  // namespace hutch::cli_rt
