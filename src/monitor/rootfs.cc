#include "monitor/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/fs.h"

namespace hutch::monitor {

namespace {

// overlayfs splits lowerdir at ':' and options at ','; a backslash escapes
// either (Documentation/filesystems/overlayfs.rst, "Multiple lower layers").
std::string escape(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == ',' || c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The mount(2) data argument is copied into one page.
constexpr size_t kMaxMountData = 4095;
// fsconfig(FSCONFIG_SET_STRING) copies at most 256 bytes of a value
// (fs/fsopen.c: strndup_user(_value, 256)).
constexpr size_t kMaxFsconfigValue = 255;

// The new mount API, one layer per "lowerdir+" (Linux 6.8).
Status mount_with_fsconfig(const OverlayRootfs& r) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return Error::from_errno("fsopen overlay");
  auto set = [&](const char* key, const std::string& value) -> Status {
    if (value.size() > kMaxFsconfigValue)
      return Error::plain(ENAMETOOLONG, std::string(key) + " \"" + value + "\" is longer than 255 bytes");
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0)
      return Error::from_errno(std::string("overlay option ") + key + " \"" + value + "\"");
    return {};
  };
  for (const auto& l : r.lower) TRY(set("lowerdir+", l));
  TRY(set("upperdir", r.upper));
  TRY(set("workdir", r.work));
  if (r.volatile_upper && ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0)
    return Error::from_errno("overlay option volatile");
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return Error::from_errno("create the overlay");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) return Error::from_errno("fsmount overlay");
  if (::move_mount(mnt.get(), "", AT_FDCWD, r.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return Error::from_errno("move_mount to \"" + r.target + "\"");
  return {};
}

}  // namespace

std::string overlay_options(const OverlayRootfs& r) {
  std::string o = "lowerdir=";
  for (size_t i = 0; i < r.lower.size(); ++i) {
    if (i) o += ':';
    o += escape(r.lower[i]);
  }
  o += ",upperdir=" + escape(r.upper) + ",workdir=" + escape(r.work);
  if (r.volatile_upper) o += ",volatile";
  return o;
}

bool is_mount_point(const std::string& path) {
  struct statx st = {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) != 0) return false;
  return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

Status mount_rootfs(const OverlayRootfs& r) {
  if (r.lower.empty()) return {};
  std::string step = "mount the root file system at \"" + r.target + "\"";
  if (r.upper.empty() || r.work.empty() || r.target.empty())
    return Error::plain(EINVAL, step + ": upper, work and target dirs are required");
  if (is_mount_point(r.target)) return {};
  TRY_CTX(fs::mkdir_p(r.target, 0755), step);
  TRY_CTX(fs::mkdir_p(r.upper, 0755), step);
  TRY_CTX(fs::mkdir_p(r.work, 0700), step);
  std::string data = overlay_options(r);
  if (data.size() <= kMaxMountData) {
    if (::mount("overlay", r.target.c_str(), "overlay", 0, data.c_str()) != 0) return Error::from_errno(step);
    return {};
  }
  auto st = mount_with_fsconfig(r);
  if (!st.ok()) {
    return std::move(st).error().context(step + " (" + std::to_string(r.lower.size()) +
                                          " layers; the options exceed one page, which needs Linux 6.8)");
  }
  return {};
}

Status unmount_rootfs(const OverlayRootfs& r) {
  if (r.lower.empty() || !is_mount_point(r.target)) return {};
  if (::umount2(r.target.c_str(), UMOUNT_NOFOLLOW) == 0) return {};
  if (errno == EBUSY && ::umount2(r.target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return {};
  return Error::from_errno("unmount \"" + r.target + "\"");
}

}  // namespace hutch::monitor
