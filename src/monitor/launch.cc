#include "monitor/launch.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "monitor/protocol.h"

namespace hutch::monitor {

namespace {

// Reads one message and turns "error ..." into an Error.
Result<std::string> expect(int fd, std::string_view want, const std::string& bundle) {
  std::string msg;
  bool eof = false;
  TRY(recv_message(fd, &msg, &eof));
  if (eof)
    return Error::plain(EIO, "the container monitor exited without reporting (see \"" + bundle + "/monitor.log\")");
  if (starts_with(msg, "error ")) {
    std::string text;
    int code = 0;
    parse_error_message(std::string_view(msg).substr(6), &text, &code);
    // The code travels as the error's errno (exit_code_for()); the text is
    // what the runtime said, for the user.
    return Error::plain(code == 127 ? ENOENT : code == 126 ? EACCES : EIO, text);
  }
  if (!starts_with(msg, want)) return Error::plain(EPROTO, "unexpected message from the monitor: \"" + msg + "\"");
  return msg.substr(want.size());
}

// A detached read-only bind of `dir` (open_tree + mount_setattr, Linux
// 5.12): no one else sees it, and it goes away with its last user.
UniqueFd readonly_clone(const std::string& dir) {
  UniqueFd tree(static_cast<int>(::open_tree(AT_FDCWD, dir.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree) return UniqueFd();
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) return UniqueFd();
  return tree;
}

}  // namespace

void parse_error_message(std::string_view payload, std::string* text, int* code) {
  *code = 0;
  std::string_view p = payload;
  if (starts_with(p, "exec: ")) p.remove_prefix(6);
  if (starts_with(p, "code=")) {
    size_t colon = p.find(": ");
    if (colon != std::string_view::npos) {
      *code = static_cast<int>(parse_int(p.substr(5, colon - 5)).value_or(0));
      p.remove_prefix(colon + 2);
    }
  }
  *text = std::string(p);
}

int exit_code_for(const Error& e) {
  if (e.code() == ENOENT) return 127;
  if (e.code() == EACCES) return 126;
  return 125;
}

namespace {

// Spawns `monitor_binary arg` with the sync socket as its fd 3; returns our
// end of the socket and the monitor's pid.
Result<std::pair<UniqueFd, pid_t>> spawn_monitor(const std::string& monitor_binary, const std::string& arg,
                                                 const std::string& title = "") {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return Error::from_errno("start the container monitor: socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  // The child's end becomes its fd 3; kept above 3 here so the dup2 below
  // always makes a fresh descriptor (one without close-on-exec).
  if (theirs.get() <= 3) {
    theirs.reset(::fcntl(theirs.get(), F_DUPFD_CLOEXEC, 10));
    if (!theirs) return Error::from_errno("start the container monitor: dup");
  }
  // posix_spawn: the child shares our memory until it execs (no page
  // tables copied, none of our pages made copy-on-write), and an exec
  // failure comes back as its result.
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, theirs.get(), 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  // A session of its own: no terminal of ours, no signal for our process
  // group reaches it.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv = {const_cast<char*>(monitor_binary.c_str()), const_cast<char*>(arg.c_str())};
  if (!title.empty()) argv.push_back(const_cast<char*>(title.c_str()));
  argv.push_back(nullptr);
  bool search = monitor_binary.find('/') == std::string::npos;
  // Exec'd through a read-only clone of its directory, the monitor may
  // create containers itself (monitor/builtin_runtime.h); without one (an
  // old kernel, no privilege) it execs hutchrt from a sealed copy instead.
  UniqueFd ro_dir = search ? UniqueFd() : readonly_clone(monitor_binary.substr(0, monitor_binary.rfind('/') + 1));
  std::string path = ro_dir ? "/proc/self/fd/" + std::to_string(ro_dir.get()) + "/" +
                                  monitor_binary.substr(monitor_binary.rfind('/') + 1)
                            : monitor_binary;
  pid_t child = 0;
  int rc = search ? ::posix_spawnp(&child, argv[0], &fa, &attr, argv.data(), environ)
                  : ::posix_spawn(&child, path.c_str(), &fa, &attr, argv.data(), environ);
  // Through the clone failed (no /proc?): the plain path still works, and
  // the monitor then execs hutchrt for create.
  if (rc != 0 && ro_dir) rc = ::posix_spawn(&child, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return Error::plain(ENOEXEC, "start the container monitor: cannot run \"" + monitor_binary + "\": " + std::strerror(rc));
  return std::make_pair(std::move(ours), child);
}

}  // namespace

Result<Launch> Launch::begin(const std::string& monitor_binary, const std::string& bundle,
                             const std::function<void(pid_t)>& spawned) {
  ASSIGN_OR_RETURN(auto proc, spawn_monitor(monitor_binary, bundle));
  Launch l;
  l.sync_ = std::move(proc.first);
  l.monitor_pid_ = proc.second;
  l.bundle_ = bundle;
  if (spawned) spawned(l.monitor_pid_);
  // The monitor stays our child (a session leader) until we exit; nothing
  // here waits for it: it reports over the socket, and a zombie reads as
  // dead to monitor_alive().
  ASSIGN_OR_RETURN(std::string pid, expect(l.sync_.get(), "created ", bundle));
  l.pid_ = static_cast<pid_t>(parse_int(trim(pid)).value_or(0));
  return l;
}

Result<Launch> Launch::spawn(const std::string& monitor_binary, size_t title_len) {
  ASSIGN_OR_RETURN(auto proc, spawn_monitor(monitor_binary, "-", std::string(title_len, '.')));
  Launch l;
  l.sync_ = std::move(proc.first);
  l.monitor_pid_ = proc.second;
  l.waiting_ = true;
  return l;
}

Status Launch::hand(const std::string& bundle, const std::function<void(pid_t)>& spawned) {
  TRY(send_bundle(bundle));
  if (spawned) spawned(monitor_pid_);
  return wait_created();
}

Status Launch::send_bundle(const std::string& bundle) {
  if (!waiting_) return Error::plain(EINVAL, "the container monitor has its bundle already");
  waiting_ = false;
  bundle_ = fs::absolute(bundle);
  return send_message(sync_.get(), "bundle " + bundle_);
}

Status Launch::wait_created() {
  if (!sync_ || waiting_) return Error::plain(EINVAL, "the container monitor has no bundle to create");
  ASSIGN_OR_RETURN(std::string pid, expect(sync_.get(), "created ", bundle_));
  pid_ = static_cast<pid_t>(parse_int(trim(pid)).value_or(0));
  return {};
}

Status Launch::send_name(const std::string& name) {
  if (!sync_ || waiting_) return Error::plain(EINVAL, "the container monitor has no bundle to rename");
  return send_message(sync_.get(), "name " + name);
}

void Launch::abandon() {
  if (!sync_) return;
  if (!waiting_) (void)send_message(sync_.get(), "abandon");
  waiting_ = false;
  sync_.reset();
  while (monitor_pid_ > 0 && ::waitpid(monitor_pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  monitor_pid_ = 0;
}

void Launch::reap_unused() {
  if (!waiting_) return;
  // Never handed a bundle: it exits at EOF, having touched nothing.
  waiting_ = false;
  sync_.reset();
  while (::waitpid(monitor_pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

Launch& Launch::operator=(Launch&& o) noexcept {
  if (this != &o) {
    reap_unused();
    sync_ = std::move(o.sync_);
    pid_ = o.pid_;
    monitor_pid_ = o.monitor_pid_;
    waiting_ = std::exchange(o.waiting_, false);
    bundle_ = std::move(o.bundle_);
  }
  return *this;
}

Launch::~Launch() { reap_unused(); }

Status Launch::start(bool attached) {
  if (!sync_) return Error::plain(EINVAL, "the container monitor was already started");
  TRY(send_message(sync_.get(), attached ? "start attached" : "start"));
  auto r = expect(sync_.get(), "started ", bundle_);
  sync_.reset();
  if (!r.ok()) return std::move(r).error();
  pid_ = static_cast<pid_t>(parse_int(trim(*r)).value_or(pid_));
  return {};
}

std::string monitor_binary() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string self(buf, static_cast<size_t>(n));
    size_t slash = self.rfind('/');
    if (slash != std::string::npos) {
      std::string cand = self.substr(0, slash) + "/hutch-monitor";
      if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
  }
  return "hutch-monitor";
}

}  // namespace hutch::monitor
