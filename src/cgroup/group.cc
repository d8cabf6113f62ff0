#include "cgroup/internal/group.h"

#include <sys/stat.h>

#include <algorithm>

#include "base/json.h"
#include "base/log.h"
#include "base/scope.h"
#include "base/strings.h"
#include "cgroup/internal/files.h"
#include "cgroup/layout.h"
#include "cgroup/v1/v1.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup {

bool Dir::has(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

Error not_available(std::string_view controller) {
  return Error(ENOTSUP, "cgroup controller \"" + std::string(controller) +
                            "\" is not available on this host");
}

const Dir* Group::unified() const {
  for (const auto& d : dirs_)
    if (d.version == 2) return &d;
  return nullptr;
}

const Dir* Group::dir_for(std::string_view controller) const {
  for (const auto& d : dirs_)
    if (d.version == 1 && d.has(controller)) return &d;
  const Dir* u = unified();
  if (!u) return nullptr;
  // v2 freezes and filters devices in every group without a controller
  // (cgroup.freeze, eBPF programs); v1's blkio is v2's io.
  if (controller == "freezer" || controller == "devices") return u;
  if (controller == "blkio") controller = "io";
  return u->has(controller) ? u : nullptr;
}

bool Group::unified_only() const {
  return std::all_of(dirs_.begin(), dirs_.end(), [](const Dir& d) { return d.version == 2; });
}

Status Group::create_dir(const Dir& d, std::vector<std::string>& made) {
  std::string cur = d.mount;
  for (const auto& part : split(d.path.substr(d.mount.size()), '/')) {
    if (part.empty()) continue;
    // Controllers reach a v2 group only through every ancestor's
    // cgroup.subtree_control, from the root down.
    // On a hybrid host the v2 tree belongs to the init system; leave its
    // controllers alone (crun needs hugetlb free to move it to v1).
    if (d.version == 2 && unified_only())
      TRY_CTX(v2::enable_controllers(cur), "enable controllers in \"" + cur + "\"");
    cur += "/" + part;
    if (::mkdir(cur.c_str(), 0755) == 0)
      made.push_back(cur);
    else if (errno != EEXIST)
      return Error::from_errno("create cgroup \"" + cur + "\"");
  }
  if (d.version == 1 && d.has("cpuset"))
    TRY_CTX(v1::init_cpuset(d.mount, d.path), "set up cpuset \"" + d.path + "\"");
  return {};
}

Status Group::create() {
  std::vector<std::string> made;
  // A failed create leaves nothing it made behind; directories that
  // existed before (a shared parent such as /hutch) stay.
  ScopeGuard undo([&] {
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      auto st = remove_group(*it);
      if (!st.ok()) log::warn("cgroup", "undo create: " + st.error().message());
    }
  });
  for (const auto& d : dirs_) TRY(create_dir(d, made));
  undo.release();
  return {};
}

namespace {

// True when /proc/PID/status says the process has exactly one thread.
bool single_threaded(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid), "status");
  return text.ok() && text->find("\nThreads:\t1\n") != std::string::npos;
}

}  // namespace

Status Group::add_process(pid_t pid) {
  // Each hierarchy holds its own membership; cgroup.procs moves every
  // thread of the process. On v1, writing cgroup.procs takes the
  // threadgroup rwsem for writing, which waits for an RCU grace period
  // (several ms); "tasks" moves one thread without it (kernel/cgroup/
  // cgroup-v1.c). A single-threaded process (a runtime's fresh child) is
  // moved whole either way, so it goes through "tasks".
  bool one_thread = single_threaded(pid);
  for (const auto& d : dirs_) {
    const char* file = d.version == 1 && one_thread && file_exists(d.path, "tasks") ? "tasks" : "cgroup.procs";
    TRY_CTX(write_file(d.path, file, std::to_string(pid)),
            "add process " + std::to_string(pid) + " to cgroup \"" + d.path + "\"");
  }
  return {};
}

Status Group::set_frozen(bool want) {
  const Dir* d = dir_for("freezer");
  if (!d) return not_available("freezer");
  auto st = d->version == 1 ? v1::set_frozen(d->path, want) : v2::set_frozen(d->path, want);
  if (!st.ok()) return std::move(st).error().context(want ? "freeze" : "thaw");
  return {};
}

Result<bool> Group::frozen() {
  const Dir* d = dir_for("freezer");
  if (!d) return false;
  return d->version == 1 ? v1::frozen(d->path) : v2::frozen(d->path);
}

Result<std::vector<pid_t>> Group::pids() {
  for (const auto& d : dirs_) {
    if (!file_exists(d.path, "cgroup.procs")) continue;
    ASSIGN_OR_RETURN(std::string text, read_file(d.path, "cgroup.procs"));
    std::vector<pid_t> out;
    for (const auto& line : split(text, '\n'))
      if (auto v = parse_int(trim(line))) out.push_back(static_cast<pid_t>(*v));
    return out;
  }
  return Error(ENOENT, "no cgroup.procs in any of the container's cgroups; was it created?");
}

Result<Stats> Group::stats() {
  Stats s;
  if (const Dir* d = dir_for("memory")) {
    bool v1 = d->version == 1;
    ASSIGN_OR_RETURN(s.memory_usage,
                     read_uint(d->path, v1 ? "memory.usage_in_bytes" : "memory.current"));
    ASSIGN_OR_RETURN(s.memory_limit,
                     read_uint(d->path, v1 ? "memory.limit_in_bytes" : "memory.max"));
  }
  // v1 accounts CPU time in cpuacct; v2 in cpu.stat, present in every
  // group whether or not the cpu controller is enabled.
  if (const Dir* d = dir_for("cpuacct"); d && d->version == 1) {
    ASSIGN_OR_RETURN(s.cpu_usage_ns, read_uint(d->path, "cpuacct.usage"));
  } else if (const Dir* u = unified()) {
    ASSIGN_OR_RETURN(uint64_t usec, read_keyed(u->path, "cpu.stat", "usage_usec"));
    s.cpu_usage_ns = usec * 1000;
  }
  if (const Dir* d = dir_for("pids")) {
    ASSIGN_OR_RETURN(s.pids_current, read_uint(d->path, "pids.current"));
  }
  return s;
}

Status Group::destroy() {
  Status first;
  for (const auto& d : dirs_) {
    auto st = remove_group(d.path);
    if (!st.ok() && first.ok())
      first = std::move(st);
    else if (!st.ok())
      log::warn("cgroup", "destroy: " + st.error().message());
  }
  return first;
}

std::map<std::string, std::string> Group::paths() const {
  std::map<std::string, std::string> out;
  for (const auto& d : dirs_) {
    for (const auto& c : d.controllers) out[c] = d.path;
    if (d.version == 2) out["unified"] = d.path;
    if (!d.name.empty()) out["name=" + d.name] = d.path;
  }
  return out;
}

json_t* Group::to_json() const {
  json_t* dirs = json_array();
  for (const auto& d : dirs_) {
    json_t* controllers = json_array();
    for (const auto& c : d.controllers) json_array_append_new(controllers, json::str(c));
    json_t* j = json_object();
    json_object_set_new(j, "version", json_integer(d.version));
    json_object_set_new(j, "mount", json::str(d.mount));
    json_object_set_new(j, "path", json::str(d.path));
    json_object_set_new(j, "controllers", controllers);
    if (!d.name.empty()) json_object_set_new(j, "name", json::str(d.name));
    json_array_append_new(dirs, j);
  }
  json_t* out = json_object();
  json_object_set_new(out, "dirs", dirs);
  return out;
}

static Result<std::string> string_field(const json_t* j, const char* key, size_t i, bool required) {
  const json_t* v = json_object_get(j, key);
  if (!v && !required) return std::string();
  if (!json_is_string(v))
    return Error(EINVAL, "dirs[" + std::to_string(i) + "]." + key + ": want a string");
  return std::string(json_string_value(v), json_string_length(v));
}

Result<std::vector<Dir>> dirs_from_json(const json_t* saved) {
  const json_t* dirs = json_is_object(saved) ? json_object_get(saved, "dirs") : nullptr;
  if (!json_is_array(dirs) || json_array_size(dirs) == 0)
    return Error(EINVAL, "dirs: want a non-empty array");
  std::vector<Dir> out;
  for (size_t i = 0; i < json_array_size(dirs); ++i) {
    const json_t* j = json_array_get(dirs, i);
    Dir d;
    const json_t* version = json_object_get(j, "version");
    if (!json_is_integer(version) ||
        (json_integer_value(version) != 1 && json_integer_value(version) != 2))
      return Error(EINVAL, "dirs[" + std::to_string(i) + "].version: want 1 or 2");
    d.version = static_cast<int>(json_integer_value(version));
    ASSIGN_OR_RETURN(d.mount, string_field(j, "mount", i, true));
    ASSIGN_OR_RETURN(d.path, string_field(j, "path", i, true));
    ASSIGN_OR_RETURN(d.name, string_field(j, "name", i, false));
    if (!starts_with(d.path, d.mount + "/") || !path_components(d.path.substr(d.mount.size())).ok())
      return Error(EINVAL, "dirs[" + std::to_string(i) + "].path: not below its mount");
    const json_t* controllers = json_object_get(j, "controllers");
    if (!json_is_array(controllers))
      return Error(EINVAL, "dirs[" + std::to_string(i) + "].controllers: want an array");
    for (size_t k = 0; k < json_array_size(controllers); ++k) {
      const json_t* c = json_array_get(controllers, k);
      if (!json_is_string(c))
        return Error(EINVAL, "dirs[" + std::to_string(i) + "].controllers: want strings");
      d.controllers.push_back(json_string_value(c));
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace hutch::cgroup
