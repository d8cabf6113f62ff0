#include "runtime/mount_options.h"

#include <linux/mount.h>
#include <sys/mount.h>

namespace hutch::runtime {
namespace {

struct FlagOpt {
  const char* name;
  bool clear;
  unsigned long flag;
};

// mount(8)'s option words and what they do to the flags.
constexpr FlagOpt kFlags[] = {
    {"async", true, MS_SYNCHRONOUS},    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},           {"defaults", false, 0},
    {"dev", true, MS_NODEV},            {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},     {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},  {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},          {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},     {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME}, {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION}, {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},      {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, 256 /* MS_NOSYMFOLLOW */},
    {"rbind", false, MS_BIND | MS_REC}, {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},     {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},            {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME}, {"suid", true, MS_NOSUID},
    {"symfollow", true, 256},           {"sync", false, MS_SYNCHRONOUS},
};

struct PropOpt {
  const char* name;
  unsigned long flag;
};
constexpr PropOpt kPropagation[] = {
    {"private", MS_PRIVATE},         {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},           {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},             {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},   {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct AttrOpt {
  const char* name;
  bool clear;
  uint64_t attr;
};
// Recursive variants (runtime-spec 1.1 "rro", "rnosuid", ...), applied
// with mount_setattr(2) and AT_RECURSIVE over the whole bind tree.
constexpr AttrOpt kAttrs[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},         {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},     {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},       {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},     {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", false, MOUNT_ATTR_RELATIME}, {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},   {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
};

}  // namespace

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options, const std::string& path) {
  MountOptions m;
  for (size_t i = 0; i < options.size(); ++i) {
    const std::string& o = options[i];
    bool done = false;
    for (const auto& f : kFlags) {
      if (o != f.name) continue;
      if (f.clear) {
        m.flags &= ~f.flag;
        m.clear |= f.flag;
      } else {
        m.flags |= f.flag;
        m.clear &= ~f.flag;
      }
      done = true;
      break;
    }
    if (done) continue;
    for (const auto& p : kPropagation) {
      if (o != p.name) continue;
      m.propagation = p.flag;
      done = true;
      break;
    }
    if (done) continue;
    for (const auto& a : kAttrs) {
      if (o != a.name) continue;
      if (a.clear) {
        m.attr_clr |= a.attr;
        m.attr_set &= ~a.attr;
      } else {
        m.attr_set |= a.attr;
        m.attr_clr &= ~a.attr;
      }
      done = true;
      break;
    }
    if (done) continue;
    if (o == "tmpcopyup") {
      m.tmpcopyup = true;
      continue;
    }
    if (o == "idmap" || o == "ridmap") {
      m.idmap = true;
      continue;
    }
    if (o.empty()) return Error::plain(EINVAL, path + ".options[" + std::to_string(i) + "]: empty option");
    if (!m.data.empty()) m.data += ',';
    m.data += o;
  }
  m.bind = (m.flags & MS_BIND) != 0;
  m.recursive_bind = m.bind && (m.flags & MS_REC);
  return m;
}

}  // namespace hutch::runtime
