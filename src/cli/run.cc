// hutch create, run, start, attach: making containers and being attached to
// them while they run.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/fs.h"
#include "base/trace.h"
#include "cli/attach.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/registry_ui.h"
#include "cli/run_flags.h"
#include "engine/containers.h"
#include "engine/images.h"
#include "engine/pull.h"
#include "monitor/launch.h"
#include "monitor/protocol.h"
#include "registry/auth.h"

namespace hutch::cli {

namespace {

// docker run's implicit pull: --pull missing (default), always or never.
Status ensure_image(const Global& g, const engine::RunOptions& o) {
  engine::Images images(g.root);
  bool have = images.find(o.image).ok();
  if (o.pull == "never") {
    if (have) return {};
    return Error::plain(ENOENT, "no such image: " + o.image + " (and --pull never)");
  }
  if (have && o.pull != "always") return {};
  if (!have) std::fprintf(stderr, "Unable to find image '%s' locally\n", o.image.c_str());
  prepare_network();
  engine::PullOptions po;
  po.platform = image::host_platform();
  if (!o.platform.empty()) {
    ASSIGN_OR_RETURN(po.platform, engine::parse_platform(o.platform));
  }
  po.auth_file = registry::AuthFile::default_path(g.config_dir);
  auto r = engine::pull(g.root, o.image, po);
  if (!r.ok()) return std::move(r).error();
  std::fprintf(stderr, "Status: Downloaded newer image for %s\n", o.image.c_str());
  return {};
}

Result<engine::RunOptions> parse_run(const Args& a, size_t start, const char* cmd, int* code) {
  *code = 125;
  auto p = parse_args(a, start, run_flag_specs(), true);
  if (!p.ok()) {
    std::fprintf(stderr, "hutch: %s\nSee 'hutch %s --help'.\n", p.error().message().c_str(), cmd);
    return std::move(p).error();
  }
  if (p->has("help")) {
    std::string usage = std::string("\nUsage:  hutch ") + cmd + " [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n" +
                        (std::strcmp(cmd, "run") == 0 ? "Create and run a new container from an image"
                                                      : "Create a new container") +
                        "\n\n" + usage_options(run_flag_specs());
    print(usage);
    *code = 0;
    return Error::plain(0, "help");
  }
  if (p->positional.empty()) {
    std::fprintf(stderr, "\"hutch %s\" requires at least 1 argument.\nSee 'hutch %s --help'.\n", cmd, cmd);
    return Error::plain(EINVAL, "usage");
  }
  auto o = run_options_from(*p);
  if (!o.ok()) {
    std::fprintf(stderr, "hutch: %s\nSee 'hutch %s --help'.\n", o.error().message().c_str(), cmd);
    return std::move(o).error();
  }
  return o;
}

// docker's exit code for a failed create or start: the command's problem
// (126 cannot execute, 127 not found) or the engine's (125).
int start_failed(const Error& e, int code) {
  std::fprintf(stderr, "hutch: Error response from daemon: %s\n", e.message().c_str());
  return code;
}

}  // namespace

Result<int> attach_and_start(engine::Containers& cs, const std::string& id, const AttachOptions& ao,
                             bool wait_removal, int* start_code) {
  UniqueFd sock;
  auto before = [&](const state::ContainerRow& row) -> Status {
    ASSIGN_OR_RETURN(sock, monitor::connect_attach(cs.paths().rundir(row.id), ao.in, ao.out, ao.err));
    return {};
  };
  TRY(cs.start(id, before, start_code));
  trace::mark("hutch: started");
  ASSIGN_OR_RETURN(AttachEnd end, attach_session(sock.get(), ao));
  trace::mark("hutch: attach end");
  if (end.detached) return -1;
  if (end.exited && wait_removal) {
    // The row goes now (the monitor removes the rest meanwhile); the
    // monitor closes the socket once it has removed the container.
    (void)cs.forget_exited(id);
    char c;
    while (::read(sock.get(), &c, 1) > 0) {
    }
  }
  if (end.exited) return end.exit_code;
  auto row = cs.find(id);
  return row.ok() ? row->exit_code : 125;
}

// docker's "WARNING: ..." lines for flags it accepts but drops (-p with
// --network host).
static void print_warnings(const engine::RunOptions& o) {
  for (const auto& w : o.warnings) std::fprintf(stderr, "WARNING: %s\n", w.c_str());
}

int cmd_create(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto o = parse_run(a, start, "create", &code);
  if (!o.ok()) return code;
  print_warnings(*o);
  if (auto s = ensure_image(g, *o); !s.ok()) return fail(s.error(), 125);
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error(), 125);
  auto id = cs->create(*o);
  if (!id.ok()) return fail(id.error(), 125);
  print(*id + "\n");
  return 0;
}

int cmd_run(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto o = parse_run(a, start, "run", &code);
  if (!o.ok()) return code;
  print_warnings(*o);
  if (o->tty && !o->detach && o->interactive && !::isatty(0))
    return fail(Error::plain(EINVAL, "the input device is not a TTY"), 1);
  trace::mark("hutch: flags parsed");
  // The monitor starts now, its exec overlapping create's work; start()
  // hands it the bundle (without one, start() launches a fresh monitor).
  std::string bundle_shape = fs::absolute(engine::ContainerPaths{g.root, ""}.dir(std::string(64, '0')));
  auto early = monitor::Launch::spawn(monitor::monitor_binary(), bundle_shape.size());
  if (auto s = ensure_image(g, *o); !s.ok()) return fail(s.error(), 125);
  trace::mark("hutch: image ensured");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error(), 125);
  if (early.ok()) cs->use_monitor(std::move(*early));
  auto id = cs->create(*o);
  if (!id.ok()) return fail(id.error(), 125);
  int start_code = 125;
  if (o->detach) {
    auto s = cs->start(*id, {}, &start_code);
    if (!s.ok()) {
      if (o->auto_remove) (void)cs->remove(*id, true, true);
      return start_failed(s.error(), start_code);
    }
    print(*id + "\n");
    return 0;
  }
  AttachOptions ao;
  ao.in = o->interactive;
  ao.tty = o->tty;
  ao.detach_keys = o->detach_keys;
  if (!o->attach.empty()) {
    ao.in = ao.out = ao.err = false;
    for (const auto& s : o->attach) {
      if (s == "stdin") ao.in = true;
      else if (s == "stdout") ao.out = true;
      else if (s == "stderr") ao.err = true;
    }
  }
  std::string cid = *id;
  engine::Containers* csp = &*cs;
  if (!o->tty && o->sig_proxy) ao.forward = [csp, cid](int sig) { (void)csp->kill(cid, std::to_string(sig)); };
  auto rc = attach_and_start(*cs, cid, ao, o->auto_remove, &start_code);
  if (!rc.ok()) {
    if (o->auto_remove) (void)cs->remove(cid, true, true);
    return start_failed(rc.error(), start_code);
  }
  return *rc < 0 ? 0 : *rc;
}

int cmd_start(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"attach", "a", false, false, "Attach STDOUT/STDERR and forward signals"},
      {"interactive", "i", false, false, "Attach container's STDIN"},
      {"detach-keys", "", true, false, "Override the key sequence for detaching a container"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "start [OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers",
                         &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) return usage_error("start", "at least 1 argument");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  bool attach = p->has("attach") || p->has("interactive");
  if (attach && p->positional.size() > 1)
    return fail(Error::plain(EINVAL, "you cannot start and attach multiple containers at once"));
  if (attach) {
    auto row = cs->find(p->positional[0]);
    if (!row.ok()) return fail(row.error());
    auto doc = engine::Containers::config_of(*row);
    AttachOptions ao;
    ao.in = p->has("interactive");
    ao.tty = doc.ok() && json_is_true(json_object_get(json_object_get(doc->get(), "Config"), "Tty"));
    ao.detach_keys = p->get("detach-keys");
    std::string cid = row->id;
    engine::Containers* csp = &*cs;
    if (!ao.tty) ao.forward = [csp, cid](int sig) { (void)csp->kill(cid, std::to_string(sig)); };
    int start_code = 1;
    auto rc = attach_and_start(*cs, cid, ao, false, &start_code);
    if (!rc.ok()) return start_failed(rc.error(), start_code == 125 ? 1 : start_code);
    return *rc < 0 ? 0 : *rc;
  }
  int rc = 0;
  for (const auto& ref : p->positional) {
    auto s = cs->start(ref);
    if (!s.ok()) {
      std::fprintf(stderr, "Error response from daemon: %s\n", s.error().message().c_str());
      rc = 1;
      continue;
    }
    print(ref + "\n");
  }
  if (rc) std::fprintf(stderr, "Error: failed to start containers: %s\n", "see above");
  return rc;
}

int cmd_attach(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"detach-keys", "", true, false, "Override the key sequence for detaching a container"},
      {"no-stdin", "", false, false, "Do not attach STDIN"},
      {"sig-proxy", "", false, false, "Proxy all received signals to the process (default true)"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "attach [OPTIONS] CONTAINER",
                         "Attach local standard input, output, and error streams to a running container", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) return usage_error("attach", "exactly 1 argument");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto row = cs->find(p->positional[0]);
  if (!row.ok()) return fail(row.error());
  if (row->status != state::Status::kRunning && row->status != state::Status::kPaused)
    return fail(Error::plain(EINVAL, "you cannot attach to a stopped container, start it first"));
  auto doc = engine::Containers::config_of(*row);
  json_t* cfg = doc.ok() ? json_object_get(doc->get(), "Config") : nullptr;
  AttachOptions ao;
  ao.tty = json_is_true(json_object_get(cfg, "Tty"));
  ao.in = !p->has("no-stdin") && json_is_true(json_object_get(cfg, "OpenStdin"));
  ao.detach_keys = p->get("detach-keys");
  std::string cid = row->id;
  engine::Containers* csp = &*cs;
  if (!ao.tty && !p->is_false("sig-proxy")) ao.forward = [csp, cid](int sig) { (void)csp->kill(cid, std::to_string(sig)); };
  auto sock = monitor::connect_attach(cs->paths().rundir(row->id), ao.in, ao.out, ao.err);
  if (!sock.ok()) return fail(sock.error());
  auto end = attach_session(sock->get(), ao);
  if (!end.ok()) return fail(end.error());
  if (end->detached) return 0;
  if (end->exited) return end->exit_code;
  auto fresh = cs->find(cid);
  return fresh.ok() ? fresh->exit_code : 0;
}

}  // namespace hutch::cli
