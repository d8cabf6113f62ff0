// Host device nodes: stat one, or walk /dev.
#include "engine/host_devices.h"

#include <dirent.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <fstream>
#include <set>

namespace hutch::engine {
namespace {

DeviceInfo info_of(const struct stat& st) {
  DeviceInfo d;
  d.type = S_ISBLK(st.st_mode) ? "b" : "c";
  d.major = major(st.st_rdev);
  d.minor = minor(st.st_rdev);
  d.file_mode = st.st_mode & 07777;
  d.uid = st.st_uid;
  d.gid = st.st_gid;
  return d;
}

void walk(const std::string& dir, bool top, std::vector<std::pair<std::string, DeviceInfo>>& out) {
  static const std::set<std::string> kSkipDirs = {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"};
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (!(top && kSkipDirs.count(name))) walk(path, false, out);
      continue;
    }
    if (top && name == "console") continue;
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    out.emplace_back(path, info_of(st));
  }
  ::closedir(d);
}

}  // namespace

Result<DeviceInfo> stat_host_device(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Error::from_errno("stat \"" + path + "\"");
  if (S_ISDIR(st.st_mode)) return Error::plain(EISDIR, "\"" + path + "\" is a directory");
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    return Error::plain(EINVAL, "\"" + path + "\" is not a device node");
  return info_of(st);
}

std::vector<std::pair<std::string, DeviceInfo>> host_devices(const std::string& dev) {
  std::vector<std::pair<std::string, DeviceInfo>> out;
  walk(dev, true, out);
  return out;
}

std::pair<uint64_t, uint64_t> default_nofile() {
  const uint64_t kDocker = 1048576;
  struct rlimit r;
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_max >= kDocker) return {kDocker, kDocker};
  // CapEff in /proc/self/status: may we raise the hard limit?
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    uint64_t eff = std::strtoull(line.c_str() + 7, nullptr, 16);
    if (eff & (uint64_t{1} << CAP_SYS_RESOURCE)) return {kDocker, kDocker};
  }
  return {r.rlim_max, r.rlim_max};
}

std::vector<std::string> bounding_capabilities() {
  std::vector<std::string> caps;
  const auto& all = all_capabilities();
  for (size_t i = 0; i < all.size(); ++i)
    if (::prctl(PR_CAPBSET_READ, static_cast<unsigned long>(i), 0, 0, 0) == 1) caps.push_back(all[i]);
  return caps;
}

}  // namespace hutch::engine
