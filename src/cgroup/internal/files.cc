#include "cgroup/internal/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <limits>
#include <thread>

#include "base/fd.h"
#include "base/fs.h"
#include "base/strings.h"

namespace hutch::cgroup {

static std::string join_path(const std::string& dir, std::string_view file) {
  std::string p = dir;
  if (p.empty() || p.back() != '/') p += '/';
  p += file;
  return p;
}

Status write_file(const std::string& dir, std::string_view file, std::string_view value) {
  std::string path = join_path(dir, file);
  // No O_CREAT: a missing file means the controller is not enabled here, and
  // creating it would hide that. O_TRUNC is meaningless on cgroupfs (each
  // write(2) is one command) but keeps a plain-file stand-in to the last value.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return Error::from_errno("open \"" + path + "\"");
  // The kernel parses one value per write(2); a short write would split it.
  while (true) {
    ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n >= 0) break;
    if (errno == EINTR) continue;
    return Error::from_errno("write \"" + std::string(value) + "\" to \"" + path + "\"");
  }
  return {};
}

Result<std::string> read_file(const std::string& dir, std::string_view file) {
  ASSIGN_OR_RETURN(std::string text, fs::read_file(join_path(dir, file)));
  return std::string(trim(text));
}

Result<uint64_t> read_uint(const std::string& dir, std::string_view file) {
  ASSIGN_OR_RETURN(std::string text, read_file(dir, file));
  if (text == "max") return std::numeric_limits<uint64_t>::max();
  auto v = parse_uint(text);
  if (!v) return Error(EINVAL, "\"" + join_path(dir, file) + "\": not a number: \"" + text + "\"");
  return *v;
}

Result<uint64_t> read_keyed(const std::string& dir, std::string_view file, std::string_view key) {
  ASSIGN_OR_RETURN(std::string text, read_file(dir, file));
  for (const auto& line : split(text, '\n')) {
    auto fields = split(trim(line), ' ');
    if (fields.size() != 2 || fields[0] != key) continue;
    if (fields[1] == "max") return std::numeric_limits<uint64_t>::max();
    if (auto v = parse_uint(fields[1])) return *v;
  }
  return Error(ENOENT, "\"" + join_path(dir, file) + "\": no \"" + std::string(key) + "\" entry");
}

bool file_exists(const std::string& dir, std::string_view file) {
  return fs::exists(join_path(dir, file));
}

Status apply_writes(const std::string& dir, const std::vector<Write>& writes) {
  for (const auto& w : writes) TRY(write_file(dir, w.file, w.value));
  return {};
}

static bool on_cgroupfs(const std::string& dir) {
  struct statfs sf;
  if (::statfs(dir.c_str(), &sf) != 0) return true;
  return sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC;
}

// rmdir(2) on cgroupfs ignores the interface files; a plain directory
// standing in for it (unit tests) needs its files unlinked first.
static void unlink_plain_files(const std::string& dir) {
  if (on_cgroupfs(dir)) return;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR) ::unlinkat(::dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
}

static Result<std::vector<std::string>> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return Error::from_errno("open \"" + dir + "\"");
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (e->d_type == DT_DIR && n != "." && n != "..") out.push_back(join_path(dir, n));
  }
  ::closedir(d);
  return out;
}

Status remove_group(const std::string& dir) {
  ASSIGN_OR_RETURN(auto children, subdirs(dir));
  for (const auto& c : children) TRY(remove_group(c));
  unlink_plain_files(dir);
  // A group whose last tasks are still exiting reports EBUSY until the
  // kernel has finished with them; that takes milliseconds, so retry.
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt >= 100) return Error::from_errno("remove \"" + dir + "\"");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace hutch::cgroup
