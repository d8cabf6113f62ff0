// hutch stop, kill, restart, rm, pause, unpause, rename, wait, container
// prune, boot: commands that change containers' states.
#include <cstdio>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_common.h"

namespace hutch::cli {

namespace {

// Runs `op` for each named container: prints the name as given on
// success, docker's per-container error otherwise; exit 1 if any failed.
int for_each(const Global& g, const std::vector<std::string>& refs,
             const std::function<Status(engine::Containers&, const std::string&)>& op) {
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  int rc = 0;
  for (const auto& ref : refs) {
    auto s = op(*cs, ref);
    if (!s.ok()) {
      std::fprintf(stderr, "Error response from daemon: %s\n", s.error().message().c_str());
      rc = 1;
      continue;
    }
    print(ref + "\n");
  }
  return rc;
}

std::optional<int> timeout_of(const Parsed& p, int* bad) {
  if (!p.has("time")) return std::nullopt;
  auto v = parse_int(p.get("time"));
  if (!v) {
    std::fprintf(stderr, "invalid argument \"%s\" for \"-t, --time\" flag: strconv.ParseInt: parsing \"%s\": invalid syntax\n",
                 p.get("time").c_str(), p.get("time").c_str());
    *bad = 125;
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

}  // namespace

int cmd_stop(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"time", "t", true, false, "Seconds to wait before killing the container"},
                               {"signal", "s", true, false, "Signal to send to the container"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "stop [OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
                         &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("stop", "at least 1 argument");
  int bad = 0;
  auto t = timeout_of(*p, &bad);
  if (bad) return bad;
  std::string sig = p->get("signal");
  return for_each(g, p->positional,
                  [&](engine::Containers& cs, const std::string& ref) { return cs.stop(ref, t, sig); });
}

int cmd_restart(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"time", "t", true, false, "Seconds to wait before killing the container"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "restart [OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
                         &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("restart", "at least 1 argument");
  int bad = 0;
  auto t = timeout_of(*p, &bad);
  if (bad) return bad;
  return for_each(g, p->positional, [&](engine::Containers& cs, const std::string& ref) { return cs.restart(ref, t); });
}

int cmd_kill(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"signal", "s", true, false, "Signal to send to the container (default \"KILL\")"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "kill [OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
                         &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("kill", "at least 1 argument");
  std::string sig = p->get("signal", "KILL");
  return for_each(g, p->positional, [&](engine::Containers& cs, const std::string& ref) { return cs.kill(ref, sig); });
}

int cmd_rm(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"force", "f", false, false, "Force the removal of a running container (uses SIGKILL)"},
                               {"volumes", "v", false, false, "Remove anonymous volumes associated with the container"},
                               {"link", "l", false, false, "Remove the specified link (not supported)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "rm [OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("rm", "at least 1 argument");
  if (p->has("link")) return fail(Error::plain(ENOTSUP, "--link is not supported: hutch has no legacy links"), 125);
  bool force = p->has("force"), vols = p->has("volumes");
  return for_each(g, p->positional,
                  [&](engine::Containers& cs, const std::string& ref) { return cs.remove(ref, force, vols); });
}

int cmd_pause(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "pause CONTAINER [CONTAINER...]",
                         "Pause all processes within one or more containers", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("pause", "at least 1 argument");
  return for_each(g, p->positional, [](engine::Containers& cs, const std::string& ref) { return cs.pause(ref); });
}

int cmd_unpause(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "unpause CONTAINER [CONTAINER...]",
                         "Unpause all processes within one or more containers", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("unpause", "at least 1 argument");
  return for_each(g, p->positional, [](engine::Containers& cs, const std::string& ref) { return cs.unpause(ref); });
}

int cmd_rename(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "rename CONTAINER NEW_NAME", "Rename a container", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 2) return usage_error("rename", "exactly 2 arguments");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto s = cs->rename(p->positional[0], p->positional[1]);
  if (!s.ok()) return fail(s.error());
  return 0;
}

int cmd_wait(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "wait CONTAINER [CONTAINER...]",
                         "Block until one or more containers stop, then print their exit codes", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("wait", "at least 1 argument");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  int rc = 0;
  for (const auto& ref : p->positional) {
    auto r = cs->wait(ref);
    if (!r.ok()) {
      std::fprintf(stderr, "Error response from daemon: %s\n", r.error().message().c_str());
      rc = 1;
      continue;
    }
    print(std::to_string(*r) + "\n");
  }
  return rc;
}

int cmd_boot(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "boot",
                         "After a reboot (or a crash of monitors): clean up what stopped containers left, then start "
                         "the containers whose restart policy asks for it (always, unless-stopped not stopped by "
                         "hand, on-failure that were running). Run by the hutch systemd unit / OpenRC script.",
                         &code);
  if (!p.ok()) return code;
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  int rc = 0;
  auto started = cs->boot([&](const std::string& name, const Error& e) {
    std::fprintf(stderr, "hutch boot: container \"%s\": %s\n", name.c_str(), e.message().c_str());
    rc = 1;
  });
  if (!started.ok()) return fail(started.error());
  for (const auto& id : *started) print(id + "\n");
  return rc;
}

int cmd_container(const Global& g, const Args& a, size_t start) {
  static const std::vector<std::pair<const char*, CommandFn>> subs = {
      {"attach", cmd_attach}, {"commit", cmd_commit}, {"cp", cmd_cp},         {"create", cmd_create},
      {"diff", cmd_diff},     {"exec", cmd_exec},     {"export", cmd_export}, {"inspect", cmd_inspect},
      {"kill", cmd_kill},     {"logs", cmd_logs},     {"ls", cmd_ps},         {"list", cmd_ps},
      {"pause", cmd_pause},   {"ps", cmd_ps},         {"rename", cmd_rename}, {"restart", cmd_restart},
      {"rm", cmd_rm},         {"run", cmd_run},       {"start", cmd_start},   {"stop", cmd_stop},
      {"unpause", cmd_unpause}, {"wait", cmd_wait},
      {"port", cmd_port}, {"prune", cmd_container_prune}, {"stats", cmd_stats}, {"top", cmd_top}, {"update", cmd_update},
  };
  if (start >= a.size() || a[start] == "--help" || a[start] == "-h") {
    std::string out = "\nUsage:  hutch container COMMAND\n\nManage containers\n\nCommands:\n";
    for (const auto& [n, fn] : subs) out += std::string("  ") + n + "\n";
    print(out);
    return start >= a.size() ? 1 : 0;
  }
  for (const auto& [n, fn] : subs)
    if (a[start] == n) return fn(g, a, start + 1);
  std::fprintf(stderr, "hutch: 'container %s' is not a hutch command.\nSee 'hutch container --help'\n", a[start].c_str());
  return 1;
}

}  // namespace hutch::cli
