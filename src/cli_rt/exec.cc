#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/container.h"

namespace hutch::cli_rt {

int cmd_exec(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"console-socket", "", true, false, "path to an AF_UNIX socket which will receive the pty master"},
      {"cwd", "", true, false, "current working directory in the container"},
      {"env", "e", true, true, "set environment variables"},
      {"tty", "t", false, false, "allocate a pseudo-TTY"},
      {"user", "u", true, false, "UID (format: <uid>[:<gid>])"},
      {"additional-gids", "g", true, true, "additional gids"},
      {"process", "p", true, false, "path to the process.json"},
      {"detach", "d", false, false, "detach from the container's process"},
      {"pid-file", "", true, false, "specify the file to write the process id to"},
      {"process-label", "", true, false, "set the asm process label (accepted; SELinux is not applied)"},
      {"apparmor", "", true, false, "set the apparmor profile (accepted; AppArmor is not applied)"},
      {"no-new-privs", "", false, false, "set the no new privileges value for the process"},
      {"cap", "c", true, true, "add a capability to the bounding set for the process"},
      {"preserve-fds", "", true, false, "pass N additional file descriptors to the container"},
      {"ignore-paused", "", false, false, "allow exec in a paused container"},
  };
  auto p = parse_args(a, start, opts);
  if (!p.ok()) return fail("exec", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt exec [command options] <container-id> <command> [command options]  || -p process.json <container-id>\n\n" +
          usage_options(opts));
    return 0;
  }
  if (p->positional.empty()) return fail("exec", Error(EINVAL, "\"exec\" requires a container id"));
  runtime::ExecOptions eo;
  eo.id = p->positional[0];
  eo.console_socket = p->get("console-socket");
  eo.pid_file = p->get("pid-file");
  eo.detach = p->has("detach");
  if (p->has("preserve-fds")) {
    auto n = parse_int(p->get("preserve-fds"));
    if (!n || *n < 0) return fail("exec", Error(EINVAL, "--preserve-fds: not a number"));
    eo.preserve_fds = static_cast<int>(*n);
  }
  runtime::StateStore store(g.root);
  if (p->has("process")) {
    auto text = fs::read_file(p->get("process"));
    if (!text.ok()) return fail("exec", text.error());
    auto proc = oci::parse_process(*text);
    if (!proc.ok()) return fail("exec", std::move(proc).error().context("invalid \"" + p->get("process") + "\""));
    eo.process = std::move(proc).value();
  } else {
    if (p->positional.size() < 2) return fail("exec", Error(EINVAL, "\"exec\" requires a command to run"));
    // The container's own process is the base, as runc does.
    auto cfg = fs::read_file(store.config_path(eo.id));
    if (!cfg.ok()) {
      auto st = store.load(eo.id);
      return fail("exec", st.ok() ? cfg.error() : st.error());
    }
    auto spec = oci::parse_spec(*cfg);
    if (!spec.ok()) return fail("exec", spec.error());
    eo.process = spec->process ? *spec->process : oci::Process{};
    eo.process.args.assign(p->positional.begin() + 1, p->positional.end());
    eo.process.terminal = p->has("tty");
    eo.process.console_size.reset();
  }
  for (const auto& e : p->all("env")) {
    std::string key = e.substr(0, e.find('='));
    std::erase_if(eo.process.env, [&](const std::string& kv) { return kv.substr(0, kv.find('=')) == key; });
    eo.process.env.push_back(e);
  }
  if (p->has("tty")) eo.process.terminal = true;
  if (p->has("cwd")) eo.process.cwd = p->get("cwd");
  if (p->has("user")) {
    auto parts = split(p->get("user"), ':');
    auto uid = parse_uint(parts[0]);
    if (!uid) return fail("exec", Error(EINVAL, "--user: expected <uid>[:<gid>], got \"" + p->get("user") + "\""));
    eo.process.user.uid = static_cast<uint32_t>(*uid);
    if (parts.size() > 1) {
      auto gid = parse_uint(parts[1]);
      if (!gid) return fail("exec", Error(EINVAL, "--user: bad gid in \"" + p->get("user") + "\""));
      eo.process.user.gid = static_cast<uint32_t>(*gid);
    }
  }
  for (const auto& g2 : p->all("additional-gids")) {
    auto gid = parse_uint(g2);
    if (!gid) return fail("exec", Error(EINVAL, "--additional-gids: bad gid \"" + g2 + "\""));
    eo.process.user.additional_gids.push_back(static_cast<uint32_t>(*gid));
  }
  if (p->has("no-new-privs")) eo.process.no_new_privileges = true;
  if (!p->all("cap").empty()) {
    if (!eo.process.capabilities) eo.process.capabilities.emplace();
    auto& c = *eo.process.capabilities;
    for (const auto& cap : p->all("cap")) {
      std::string name = starts_with(cap, "CAP_") ? cap : "CAP_" + cap;
      for (auto* set : {&c.bounding, &c.effective, &c.permitted})
        if (std::find(set->begin(), set->end(), name) == set->end()) set->push_back(name);
    }
  }
  if (eo.process.cwd.empty() || eo.process.cwd[0] != '/')
    return fail("exec", Error(EINVAL, "--cwd: must be an absolute path"));
  auto r = runtime::exec_container(store, eo);
  if (!r.ok()) return fail("exec", r.error());
  return *r;
}

}  // namespace hutch::cli_rt
