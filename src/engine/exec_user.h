// The user a container process runs as, from docker's --user forms ("uid",
// "uid:gid", "name", "name:group", "" = root) and the image's /etc/passwd
// and /etc/group, with runc's lookup rules: numeric ids need no entry, names
// must have one, and the supplementary groups (groups listing the user as a
// member) apply only when no group is given. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace hutch::engine {

struct ExecUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> sgids;  // supplementary groups
  std::string home;             // from passwd ("" when no entry)
};

// `passwd` and `group` are the files' text, nullopt when absent. Errors
// (ENOENT): "unable to find user NAME: no matching entries in passwd file",
// "unable to find group NAME: no matching entries in group file"; EINVAL for
// ids out of range.
Result<ExecUser> resolve_exec_user(const std::string& spec, const std::optional<std::string>& passwd,
                                   const std::optional<std::string>& group);

}  // namespace hutch::engine
