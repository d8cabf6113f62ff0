// Mount options: turns an OCI mount's "options" list into mount(2) flags,
// propagation flags, recursive attributes (mount_setattr) and the data
// string the filesystem receives. Pure code. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace hutch::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_* set
  unsigned long clear = 0;        // MS_* explicitly cleared ("rw", "suid"...)
  unsigned long propagation = 0;  // MS_PRIVATE|MS_REC ... (applied after mounting)
  uint64_t attr_set = 0;          // MOUNT_ATTR_* for recursive "r*" options
  uint64_t attr_clr = 0;
  bool bind = false;
  bool recursive_bind = false;
  bool tmpcopyup = false;
  bool idmap = false;
  std::string data;               // options the filesystem parses itself
};

// `index` and the options are used for error messages naming the JSON path.
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options, const std::string& path_for_errors);

// Flags that mount(2) applies per mount point and a bind remount must repeat.
constexpr unsigned long kRemountableFlags = 0x1 /*RDONLY*/ | 0x2 /*NOSUID*/ | 0x4 /*NODEV*/ |
                                            0x8 /*NOEXEC*/ | 0x400 /*NOATIME*/ | 0x800 /*NODIRATIME*/ |
                                            0x200000 /*RELATIME*/ | 0x1000000 /*STRICTATIME*/ |
                                            0x100 /*NOSYMFOLLOW*/;

}  // namespace hutch::runtime
