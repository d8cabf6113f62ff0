#include "runtime/state.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"

namespace hutch::runtime {

const char* status_name(Status_ s) {
  switch (s) {
    case Status_::kCreating: return "creating";
    case Status_::kCreated: return "created";
    case Status_::kRunning: return "running";
    case Status_::kPaused: return "paused";
    case Status_::kStopped: return "stopped";
  }
  return "unknown";
}

Status StateStore::validate_id(const std::string& id) {
  if (id.empty()) return Error::plain(EINVAL, "container id must not be empty");
  if (id.size() > 1024) return Error::plain(EINVAL, "container id is longer than 1024 bytes");
  auto ok = [](char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return !first && (c == '_' || c == '.' || c == '+' || c == '-');
  };
  for (size_t i = 0; i < id.size(); ++i)
    if (!ok(id[i], i == 0)) return Error::plain(EINVAL, "invalid container id \"" + id + "\" (allowed: [A-Za-z0-9][A-Za-z0-9_.+-]*)");
  return {};
}

Status StateStore::create_dir(const std::string& id) const {
  TRY(fs::mkdir_p(root_, 0711));
  if (::mkdir(dir(id).c_str(), 0711) != 0) {
    if (errno == EEXIST) return Error::plain(EEXIST, "container \"" + id + "\" already exists");
    return Error::from_errno("mkdir \"" + dir(id) + "\"");
  }
  return {};
}

Status StateStore::save(const ContainerState& st) const {
  json::Ptr j(json_object());
  json_object_set_new(j.get(), "id", json::str(st.id));
  json_object_set_new(j.get(), "ociVersion", json::str(st.oci_version));
  json_object_set_new(j.get(), "pid", json_integer(st.pid));
  json_object_set_new(j.get(), "pidStart", json_integer(static_cast<json_int_t>(st.pid_start)));
  json_object_set_new(j.get(), "bundle", json::str(st.bundle));
  json_object_set_new(j.get(), "rootfs", json::str(st.rootfs));
  json_object_set_new(j.get(), "created", json::str(st.created));
  json_object_set_new(j.get(), "owner", json::str(st.owner));
  json_t* ann = json_object();
  for (const auto& [k, v] : st.annotations) json_object_set_new(ann, k.c_str(), json::str(v));
  json_object_set_new(j.get(), "annotations", ann);
  json_object_set(j.get(), "cgroup", st.cgroup ? st.cgroup.get() : json_null());
  json_object_set_new(j.get(), "newPidNs", json_boolean(st.new_pid_ns));
  json_object_set_new(j.get(), "systemdCgroup", json_boolean(st.systemd_cgroup));
  // No fsync (fs::replace_file): what the runtime records (state.json, pid
  // files) lives under /run and means nothing after a reboot, and the
  // fsyncs would cost milliseconds per create (runc and crun do the same).
  return fs::replace_file(dir(st.id) + "/state.json", json::dump(j.get()), 0600);
}

Result<ContainerState> StateStore::load(const std::string& id) const {
  TRY(validate_id(id));
  std::string path = dir(id) + "/state.json";
  auto text = fs::read_file(path);
  if (!text.ok()) {
    if (text.error().code() == ENOENT) return Error::plain(ENOENT, "container \"" + id + "\" does not exist");
    return std::move(text).error();
  }
  ASSIGN_OR_RETURN(json::Ptr j, json::parse(*text));
  ContainerState st;
  auto s = [&](const char* k) {
    const char* v = json_string_value(json_object_get(j.get(), k));
    return std::string(v ? v : "");
  };
  st.id = s("id");
  st.oci_version = s("ociVersion");
  st.pid = static_cast<pid_t>(json_integer_value(json_object_get(j.get(), "pid")));
  st.pid_start = static_cast<uint64_t>(json_integer_value(json_object_get(j.get(), "pidStart")));
  st.bundle = s("bundle");
  st.rootfs = s("rootfs");
  st.created = s("created");
  st.owner = s("owner");
  const char* k;
  json_t* v;
  json_object_foreach(json_object_get(j.get(), "annotations"), k, v) {
    if (json_is_string(v)) st.annotations[k] = json_string_value(v);
  }
  json_t* cg = json_object_get(j.get(), "cgroup");
  if (cg && !json_is_null(cg)) st.cgroup.reset(json_incref(cg));
  st.new_pid_ns = json_is_true(json_object_get(j.get(), "newPidNs"));
  st.systemd_cgroup = json_is_true(json_object_get(j.get(), "systemdCgroup"));
  return st;
}

Status StateStore::remove(const std::string& id) const { return fs::remove_all(dir(id)); }

Result<std::vector<std::string>> StateStore::list() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(root_.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return Error::from_errno("open \"" + root_ + "\"");
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (fs::exists(root_ + "/" + n + "/state.json")) out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Result<UniqueFd> StateStore::lock(const std::string& id) const {
  UniqueFd fd(::open(dir(id).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return Error::plain(ENOENT, "container \"" + id + "\" does not exist");
    return Error::from_errno("open \"" + dir(id) + "\"");
  }
  if (::flock(fd.get(), LOCK_EX) != 0) return Error::from_errno("lock \"" + dir(id) + "\"");
  return fd;
}

Status_ compute_status(const StateStore& store, const ContainerState& st, bool frozen) {
  if (st.pid <= 0) return Status_::kStopped;
  uint64_t start = process_start_time(st.pid);
  if (start == 0 || start != st.pid_start) return Status_::kStopped;
  if (frozen) return Status_::kPaused;
  if (fs::exists(store.fifo_path(st.id))) return Status_::kCreated;
  return Status_::kRunning;
}

std::string state_json(const ContainerState& st, Status_ status, int indent) {
  json::Ptr j(json_object());
  json_object_set_new(j.get(), "ociVersion", json::str(st.oci_version));
  json_object_set_new(j.get(), "id", json::str(st.id));
  json_object_set_new(j.get(), "pid", json_integer(status == Status_::kStopped ? 0 : st.pid));
  json_object_set_new(j.get(), "status", json::str(status_name(status)));
  json_object_set_new(j.get(), "bundle", json::str(st.bundle));
  json_object_set_new(j.get(), "rootfs", json::str(st.rootfs));
  json_object_set_new(j.get(), "created", json::str(st.created));
  json_object_set_new(j.get(), "owner", json::str(st.owner));
  if (!st.annotations.empty()) {
    json_t* ann = json_object();
    for (const auto& [k, v] : st.annotations) json_object_set_new(ann, k.c_str(), json::str(v));
    json_object_set_new(j.get(), "annotations", ann);
  }
  return json::dump(j.get(), indent);
}

}  // namespace hutch::runtime
