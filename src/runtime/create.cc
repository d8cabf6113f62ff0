// The create recipe (runtime side): validate, claim the id, make the
// cgroup, clone the init child into its namespaces, answer its sync
// messages, then record state. Every step registers its undo.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "base/scope.h"
#include "base/strings.h"
#include "base/trace.h"
#include "cgroup/manager.h"
#include "runtime/container.h"
#include "runtime/device_rules.h"
#include "runtime/hooks.h"
#include "runtime/idmap.h"
#include "runtime/init.h"
#include "runtime/internal_create.h"
#include "runtime/seccomp.h"
#include "runtime/seccomp_cache.h"
#include "runtime/terminal.h"

namespace hutch::runtime {
namespace {

// Joins, in this process, the namespaces given by path that only affect
// children or that do not change file-system lookups, and restores ours
// afterwards (the runtime keeps running hooks in its own namespaces).
class NamespaceSwitch {
 public:
  Status enter(const oci::Spec& spec) {
    if (!spec.linux) return {};
    for (const auto& ns : spec.linux->namespaces) {
      if (ns.path.empty() || ns.type == oci::NamespaceType::kMount) continue;
      if (ns.type == oci::NamespaceType::kUser) continue;  // joined by the child
      int flag = oci::namespace_clone_flag(ns.type);
      std::string own = std::string("/proc/self/ns/") + oci::namespace_proc_name(ns.type);
      if (ns.type == oci::NamespaceType::kPid) own = "/proc/self/ns/pid_for_children";
      if (ns.type == oci::NamespaceType::kTime) own = "/proc/self/ns/time_for_children";
      UniqueFd target(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!target) return Error::from_errno(std::string(oci::namespace_type_name(ns.type)) + " namespace path \"" + ns.path + "\"");
      UniqueFd saved(::open(own.c_str(), O_RDONLY | O_CLOEXEC));
      if (!saved) return Error::from_errno("open \"" + own + "\"");
      if (::setns(target.get(), flag) != 0)
        return Error::from_errno(std::string("join ") + oci::namespace_type_name(ns.type) + " namespace \"" + ns.path + "\"");
      saved_.emplace_back(flag, std::move(saved));
    }
    if (spec.has_new_namespace(oci::NamespaceType::kTime)) {
      UniqueFd saved(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
      if (!saved) return Error::from_errno("open own time namespace");
      if (::unshare(CLONE_NEWTIME) != 0) return Error::from_errno("unshare time namespace");
      saved_.emplace_back(CLONE_NEWTIME, std::move(saved));
      // Offsets must be written before any process enters (time_namespaces(7)).
      std::string offs;
      for (const auto& [clock, off] : spec.linux->time_offsets)
        offs += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
      for (const auto& line : split(offs, '\n'))
        if (!line.empty()) TRY_CTX(fs::write_existing("/proc/self/timens_offsets", line), "linux.timeOffsets");
    }
    return {};
  }
  void restore() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (::setns(it->second.get(), it->first) != 0) log::warn("create", "could not restore a namespace");
    }
    saved_.clear();
  }
  ~NamespaceSwitch() { restore(); }

 private:
  std::vector<std::pair<int, UniqueFd>> saved_;
};

std::string now_rfc3339() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return format_rfc3339(ts);
}

// Runs in the intermediate child: joins the user namespace at `path`,
// unshares the new namespaces (owned by it now), and forks the container
// init as a sibling (CLONE_PARENT), whose pid goes to the runtime. Returns
// only in the init; the intermediate child exits here.
void spawn_in_user_ns(const std::string& path, uint64_t flags, SyncChannel& ch) {
  auto fail = [&](Error e) {
    (void)ch.send_error(e);
    ::_exit(1);
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(Error::from_errno("user namespace path \"" + path + "\""));
  if (::setns(fd, CLONE_NEWUSER) != 0) fail(Error::from_errno("join user namespace \"" + path + "\""));
  ::close(fd);
  if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)
    fail(Error::from_errno("become root in user namespace \"" + path + "\""));
  int unshare_flags = static_cast<int>(flags & ~static_cast<uint64_t>(CLONE_NEWUSER));
  if (unshare_flags != 0 && ::unshare(unshare_flags) != 0) fail(Error::from_errno("unshare namespaces"));
  struct clone_args args = {};
  args.flags = CLONE_PARENT;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) fail(Error::from_errno("clone container init"));
  if (pid == 0) return;
  (void)ch.send(SyncType::kPid, static_cast<int32_t>(pid));
  ::_exit(0);
}

}  // namespace

std::string hook_state_json(const std::string& oci_version, const std::string& id, const char* status, pid_t pid,
                            const std::string& bundle, const std::map<std::string, std::string>& annotations) {
  std::string out = "{\"ociVersion\":\"" + json_escape(oci_version) + "\",\"id\":\"" + json_escape(id) +
                    "\",\"status\":\"" + status + "\",\"pid\":" + std::to_string(pid) + ",\"bundle\":\"" +
                    json_escape(bundle) + "\"";
  if (!annotations.empty()) {
    out += ",\"annotations\":{";
    bool first = true;
    for (const auto& [k, v] : annotations) {
      if (!first) out += ',';
      first = false;
      out += "\"" + json_escape(k) + "\":\"" + json_escape(v) + "\"";
    }
    out += "}";
  }
  return out + "}";
}

std::string hook_state_json(const ContainerState& st, const char* status) {
  return hook_state_json(st.oci_version, st.id, status, st.pid, st.bundle, st.annotations);
}

Result<Prepared> prepare_create(const StateStore& store, const CreateOptions& opts, bool start_now) {
  TRY(StateStore::validate_id(opts.id));
  Prepared pr;
  std::string bundle = fs::absolute(opts.bundle);
  std::string config_path = bundle + "/config.json";
  auto text = fs::read_file(config_path);
  if (!text.ok()) return std::move(text).error().context("read bundle config");
  auto spec = oci::parse_spec(*text);
  if (!spec.ok()) return std::move(spec).error().context("invalid \"" + config_path + "\"");
  pr.spec = std::make_unique<oci::Spec>(std::move(spec).value());
  trace::mark("hutchrt: create: spec parsed");
  oci::Spec& s = *pr.spec;
  if (!s.process) return Error(EINVAL, "\"" + config_path + "\": process: is required");
  if (s.process->args.empty()) return Error(EINVAL, "\"" + config_path + "\": process.args: must not be empty");
  if (!s.linux) s.linux.emplace();
  std::string rootfs = s.root.path[0] == '/' ? s.root.path : bundle + "/" + s.root.path;
  rootfs = fs::absolute(rootfs);
  struct stat st;
  if (::stat(rootfs.c_str(), &st) != 0) return Error::from_errno("rootfs \"" + rootfs + "\"");
  if (!S_ISDIR(st.st_mode)) return Error(ENOTDIR, "rootfs \"" + rootfs + "\" is not a directory");
  if (s.process->terminal && opts.console_socket.empty() && !start_now)
    return Error(EINVAL, "process.terminal is true: --console-socket is required");
  if (s.linux->intel_rdt)
    return Error::plain(ENOTSUP, "\"" + config_path + "\": linux.intelRdt: Intel RDT is not supported by hutchrt");
  if (opts.systemd_cgroup)
    return Error(ENOTSUP, "--systemd-cgroup: systemd is not running on this host (use the cgroupfs driver)");

  // Relative bind sources are relative to the bundle (runc runs in it).
  for (auto& m : s.mounts) {
    bool bind = m.type == "bind";
    for (const auto& o : m.options) bind |= o == "bind" || o == "rbind";
    if (bind && !m.source.empty() && m.source[0] != '/') m.source = fs::absolute(bundle + "/" + m.source);
  }
  pr.state.id = opts.id;
  pr.state.oci_version = s.oci_version;
  pr.state.bundle = bundle;
  pr.state.rootfs = rootfs;
  pr.state.created = now_rfc3339();
  pr.state.owner = "";
  pr.state.annotations = s.annotations;
  pr.state.new_pid_ns = s.has_new_namespace(oci::NamespaceType::kPid);
  pr.config_text = std::move(text).value();
  if (s.linux->seccomp) {
    auto f = seccomp::compile_cached(*s.linux->seccomp, store.root() + "/.seccomp");
    if (!f.ok()) return std::move(f).error().context("invalid \"" + config_path + "\"");
    pr.seccomp = std::make_unique<seccomp::Filter>(std::move(f).value());
  }
  trace::mark("hutchrt: create: seccomp ready");
  return pr;
}

Result<pid_t> spawn_init(const StateStore& store, const CreateOptions& opts, Prepared& pr, bool start_now,
                         Cleanup& undo) {
  oci::Spec& s = *pr.spec;
  const std::string& id = opts.id;

  log::debug("create", "claim id");
  TRY(store.create_dir(id));
  undo.state_dir = true;
  TRY(fs::write_file(store.config_path(id), pr.config_text, 0600));

  log::debug("create", "cgroup");
  ASSIGN_OR_RETURN(auto cg, cgroup::Manager::plan(s.linux->cgroups_path, id));
  TRY_CTX(cg->create(), "create cgroup");
  trace::mark("hutchrt: create: cgroups made");
  undo.cgroup = cg.get();
  pr.cgroup = std::move(cg);
  {
    oci::Resources res = s.linux->resources ? *s.linux->resources : oci::Resources{};
    res.devices = effective_device_rules(s);
    TRY_CTX(pr.cgroup->apply(res), "apply linux.resources");
  }
  pr.state.cgroup.reset(pr.cgroup->to_json());
  trace::mark("hutchrt: create: cgroups configured");

  log::debug("create", "cgroup ready");
  UniqueFd fifo;
  if (!start_now) {
    if (::mkfifo(store.fifo_path(id).c_str(), 0600) != 0) return Error::from_errno("mkfifo exec.fifo");
    // The init opens it as the container's root, which a user namespace
    // maps to another host uid: give that uid the fifo.
    if (s.has_new_namespace(oci::NamespaceType::kUser)) {
      uid_t uid = 0;
      gid_t gid = 0;
      for (const auto& m : s.linux->uid_mappings)
        if (m.container_id == 0) uid = m.host_id;
      for (const auto& m : s.linux->gid_mappings)
        if (m.container_id == 0) gid = m.host_id;
      if (::chown(store.fifo_path(id).c_str(), uid, gid) != 0) return Error::from_errno("chown exec.fifo");
    }
    fifo.reset(::open(store.fifo_path(id).c_str(), O_PATH | O_CLOEXEC));
    if (!fifo) return Error::from_errno("open exec.fifo");
  }
  UniqueFd console;
  if (s.process->terminal && opts.console_fd >= 0) {
    console.reset(::fcntl(opts.console_fd, F_DUPFD_CLOEXEC, 3));
    if (!console) return Error::from_errno("dup console socket");
  } else if (s.process->terminal && !opts.console_socket.empty()) {
    ASSIGN_OR_RETURN(console, connect_console_socket(opts.console_socket));
  }
  UniqueFd listener;
  if (s.linux->seccomp && !s.linux->seccomp->listener_path.empty()) {
    ASSIGN_OR_RETURN(listener, seccomp::connect_listener(s.linux->seccomp->listener_path));
  }
  ASSIGN_OR_RETURN(auto chans, SyncChannel::make_pair());
  SyncChannel parent_ch = std::move(chans.first);
  SyncChannel child_ch = std::move(chans.second);

  InitContext ctx;
  ctx.spec = &s;
  ctx.id = id;
  ctx.rootfs = pr.state.rootfs;
  ctx.bundle = pr.state.bundle;
  ctx.sync = &child_ch;
  ctx.console_sock = console.get();
  for (int i = 0; i < 3; ++i) ctx.stdio[i] = opts.stdio_fds[i];
  ctx.fifo_fd = fifo.get();
  ctx.listener_sock = listener.get();
  ctx.preserve_fds = opts.preserve_fds;
  ctx.no_pivot = opts.no_pivot;
  ctx.no_new_keyring = opts.no_new_keyring;
  ctx.new_user_ns = s.has_new_namespace(oci::NamespaceType::kUser);
  ctx.new_mount_ns = s.has_new_namespace(oci::NamespaceType::kMount);
  ctx.new_cgroup_ns = s.has_new_namespace(oci::NamespaceType::kCgroup);
  ctx.new_net_ns = s.has_new_namespace(oci::NamespaceType::kNetwork);
  if (auto* mnt = s.find_namespace(oci::NamespaceType::kMount); mnt && !mnt->path.empty())
    ctx.mount_ns_path = mnt->path;
  if (!s.find_namespace(oci::NamespaceType::kMount))
    return Error(EINVAL, "linux.namespaces: a mount namespace is required");
  ctx.cgroup_paths = pr.cgroup->paths();
  // v1 hierarchies: the init joins them itself through these fds. The rest
  // (the v2 tree) the runtime joins for it below.
  std::vector<std::string> v2_dirs;
  std::vector<UniqueFd> join_fds;
  bool any_v1 = false;
  {
    std::set<std::string> seen;
    for (const auto& [name, dir] : ctx.cgroup_paths) {
      if (!seen.insert(dir).second) continue;
      UniqueFd fd(::open((dir + "/tasks").c_str(), O_WRONLY | O_CLOEXEC));
      if (fd) {
        any_v1 = true;
        ctx.cgroup_join_fds.push_back(fd.get());
        join_fds.push_back(std::move(fd));
      } else {
        v2_dirs.push_back(dir);
      }
    }
  }
  // On a hybrid host the v2 tree matters only when it holds a controller
  // the container configures (hugetlb here); otherwise the v1 hierarchies
  // are the container's cgroups, as with crun.
  bool join_v2 = !any_v1 || (s.linux->resources && !s.linux->resources->hugepage_limits.empty());
  ctx.seccomp = pr.seccomp.get();
  // Idmapped mounts are made here, with host privileges; the init attaches them.
  std::vector<UniqueFd> idmap_fds;
  for (size_t i = 0; i < s.mounts.size(); ++i) {
    const auto& m = s.mounts[i];
    bool idmap = false, recursive = false;
    for (const auto& o : m.options) {
      if (o == "idmap" || o == "ridmap") idmap = true;
      if (o == "ridmap" || o == "rbind") recursive = true;
    }
    if (!idmap) continue;
    std::string where = "mounts[" + std::to_string(i) + "]";
    const auto& uids = m.uid_mappings.empty() ? s.linux->uid_mappings : m.uid_mappings;
    const auto& gids = m.gid_mappings.empty() ? s.linux->gid_mappings : m.gid_mappings;
    if (uids.empty() || gids.empty())
      return Error::plain(EINVAL, where + ": an idmapped mount needs uidMappings and gidMappings (on the mount or in linux)");
    ASSIGN_OR_RETURN(UniqueFd userns, make_userns_fd(uids, gids));
    auto tree = idmapped_tree(m.source, recursive, userns.get());
    if (!tree.ok()) return std::move(tree).error().context(where);
    ctx.idmap_trees[i] = tree->get();
    idmap_fds.push_back(std::move(tree).value());
  }

  uint64_t flags = 0;
  for (auto t : {oci::NamespaceType::kUser, oci::NamespaceType::kPid, oci::NamespaceType::kNetwork,
                 oci::NamespaceType::kMount, oci::NamespaceType::kIpc, oci::NamespaceType::kUts})
    if (s.has_new_namespace(t)) flags |= static_cast<uint64_t>(oci::namespace_clone_flag(t));

  const oci::Namespace* user = s.find_namespace(oci::NamespaceType::kUser);
  bool join_user = user && !user->path.empty();
  ctx.joined_user_ns = join_user;
  NamespaceSwitch nss;
  TRY(nss.enter(s));
  log::debug("create", "clone");
  trace::mark("hutchrt: create: clone");
  struct clone_args args = {};
  // Joining a user namespace by path: namespaces made afterwards must
  // belong to it, so an intermediate child joins it, unshares, and forks
  // the init (see spawn_in_user_ns).
  args.flags = join_user ? 0 : flags;
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return Error::from_errno("clone container init");
  if (pid == 0) {
    parent_ch.close();
    if (join_user) spawn_in_user_ns(user->path, flags, child_ch);
    container_init(ctx);
  }
  nss.restore();
  undo.pid = static_cast<pid_t>(pid);
  if (join_user) {
    // The intermediate child reports the init's pid, then exits.
    auto m = parent_ch.recv();
    int status = 0;
    ::waitpid(undo.pid, &status, 0);
    undo.pid = 0;
    if (!m.ok()) return std::move(m).error();
    if (m->type == SyncType::kError) return Error::plain(m->value, m->text);
    undo.pid = m->value;
    // The init is root of the joined namespace: a host uid we learn from
    // its status (seen from here), and the exec.fifo must be its.
    if (fifo) {
      auto status = fs::read_file("/proc/" + std::to_string(undo.pid) + "/status");
      if (!status.ok()) return std::move(status).error();
      uid_t uid = 0;
      gid_t gid = 0;
      for (const auto& line : split(*status, '\n')) {
        auto f = split(line, '\t');
        if (f.size() > 1 && f[0] == "Uid:") uid = static_cast<uid_t>(parse_uint(f[1]).value_or(0));
        if (f.size() > 1 && f[0] == "Gid:") gid = static_cast<gid_t>(parse_uint(f[1]).value_or(0));
      }
      if (::chown(store.fifo_path(id).c_str(), uid, gid) != 0) return Error::from_errno("chown exec.fifo");
    }
  }
  child_ch.close();
  console.reset();
  listener.reset();
  fifo.reset();

  if (ctx.new_user_ns) TRY(write_id_maps(undo.pid, s.linux->uid_mappings, s.linux->gid_mappings));
  TRY(parent_ch.send(SyncType::kGo, undo.pid));
  // The init sets up its rootfs meanwhile; it waits for the second go
  // before anything that needs the cgroup.
  join_fds.clear();
  log::debug("create", "join cgroup");
  if (join_v2) {
    for (const auto& dir : v2_dirs)
      TRY_CTX(fs::write_existing(dir + "/cgroup.procs", std::to_string(undo.pid)),
              "add init to cgroup \"" + dir + "\"");
  }
  log::debug("create", "joined cgroup");
  if (auto sent = parent_ch.send(SyncType::kGo); !sent.ok()) {
    // The init died early; its error message is what matters.
    auto m = parent_ch.recv();
    if (m.ok() && m->type == SyncType::kError) return Error::plain(m->value, m->text);
    return std::move(sent).error();
  }
  pr.state.pid = undo.pid;
  while (true) {
    ASSIGN_OR_RETURN(SyncMsg m, parent_ch.recv());
    if (m.type == SyncType::kError || m.type == SyncType::kExecFailed) return Error::plain(m.value, m.text);
    if (m.type == SyncType::kRunHooks) {
      std::string hs = hook_state_json(pr.state, "created");
      TRY(run_hooks(s.hooks->prestart, "prestart", hs));
      TRY(run_hooks(s.hooks->create_runtime, "createRuntime", hs));
      TRY(parent_ch.send(SyncType::kGo));
      continue;
    }
    if (m.type == SyncType::kCreated) break;
    return Error(EPROTO, "unexpected message from container init");
  }
  log::debug("create", "init ready");
  trace::mark("hutchrt: create: init ready");
  pr.sync = std::make_unique<SyncChannel>(std::move(parent_ch));
  pr.state.pid_start = process_start_time(undo.pid);
  TRY(store.save(pr.state));
  if (!opts.pid_file.empty())
    TRY_CTX(fs::replace_file(fs::absolute(opts.pid_file), std::to_string(undo.pid)), "write pid file");
  return undo.pid;
}

void Cleanup::run(const StateStore& store, const std::string& id) {
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  if (cgroup) {
    auto st = cgroup->destroy();
    if (!st.ok()) log::warn("create", "cleanup: " + st.error().message());
  }
  if (state_dir) {
    auto st = store.remove(id);
    if (!st.ok()) log::warn("create", "cleanup: " + st.error().message());
  }
}

Result<pid_t> create_container(const StateStore& store, const CreateOptions& opts) {
  ASSIGN_OR_RETURN(Prepared pr, prepare_create(store, opts, false));
  Cleanup undo;
  auto pid = spawn_init(store, opts, pr, false, undo);
  if (!pid.ok()) {
    undo.run(store, opts.id);
    return std::move(pid).error();
  }
  return pid;
}

}  // namespace hutch::runtime
