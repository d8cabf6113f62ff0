#include "monitor/builtin_runtime.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <climits>
#include <vector>

#include "base/fs.h"
#include "runtime/container.h"

namespace hutch::monitor {

namespace {

constexpr const char* kDefaultRoot = "/run/hutchrt";  // hutchrt's --root default (cli_rt/commands.h)

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

}  // namespace

bool runtime_is_builtin(const Settings& s) {
  if (fs::basename(s.runtime) != "hutchrt" || !s.runtime_args.empty()) return false;
  std::string rt = real_path(s.runtime);
  if (rt.empty()) return false;
  // Beside us: hutch-monitor next to that hutchrt is this very file (by
  // inode: we may run from a read-only clone of the directory, whose path
  // says nothing of where it came from).
  struct stat self, beside;
  return ::stat("/proc/self/exe", &self) == 0 && ::stat((fs::dirname(rt) + "/hutch-monitor").c_str(), &beside) == 0 &&
         self.st_dev == beside.st_dev && self.st_ino == beside.st_ino;
}

bool can_create_in_process() {
  struct statvfs v;
  return ::statvfs("/proc/self/exe", &v) == 0 && (v.f_flag & ST_RDONLY);
}

Result<pid_t> create_in_process(const Settings& s, const std::string& console_socket, const int stdio[3]) {
  runtime::CreateOptions o;
  o.id = s.id;
  o.bundle = s.bundle;
  o.console_socket = console_socket;
  for (int i = 0; i < 3; ++i) o.stdio_fds[i] = stdio[i];
  // What it allocated (the spec, its seccomp filter, the cgroup plan) is
  // freed; its pages go back at the supervisor's next trim_code().
  auto r = runtime::create_container(runtime::StateStore(s.runtime_root.empty() ? kDefaultRoot : s.runtime_root), o);
  if (!r.ok()) return Error::plain(r.error().code(), "hutchrt: create: " + r.error().message());
  return *r;
}

std::optional<Status> run_builtin(const Settings& s, std::initializer_list<std::string> args) {
  std::vector<std::string> a(args);
  if (a.empty()) return std::nullopt;
  const std::string cmd = a[0];
  bool force = false;
  std::string id;
  if (cmd == "start" && a.size() == 2) {
    id = a[1];
  } else if (cmd == "delete" && a.size() == 3 && a[1] == "--force") {
    force = true;
    id = a[2];
  } else if (cmd == "delete" && a.size() == 2) {
    id = a[1];
  } else {
    return std::nullopt;
  }
  std::string root = s.runtime_root.empty() ? kDefaultRoot : s.runtime_root;
  runtime::StateStore store(root);
  Status st = cmd == "start" ? runtime::start_container(store, id) : runtime::delete_container(store, id, force);
  if (!st.ok()) return Status(Error::plain(EIO, "hutchrt: " + cmd + ": " + st.error().message()));
  return Status();
}

}  // namespace hutch::monitor
