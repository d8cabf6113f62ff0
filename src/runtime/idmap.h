// Idmapped mounts (runtime-spec 1.2 mount option "idmap"/"ridmap"): the
// runtime, still holding its host privileges, clones the mount source as
// a detached tree and marks it with a user namespace carrying the mount's
// mappings (mount_setattr(2), MOUNT_ATTR_IDMAP); the container init later
// moves the tree into place. Thread-safety: forks; single-threaded callers.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"

namespace hutch::runtime {

// Writes /proc/PID/{uid,gid}_map, one write each (user_namespaces(7)).
Status write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uids, const std::vector<oci::IdMapping>& gids);
// A user namespace with the given mappings, held by an fd (its helper
// process is gone when this returns).
Result<UniqueFd> make_userns_fd(const std::vector<oci::IdMapping>& uids, const std::vector<oci::IdMapping>& gids);
// A detached copy of `source` (recursive for "ridmap"/rbind) idmapped through `userns`.
Result<UniqueFd> idmapped_tree(const std::string& source, bool recursive, int userns);
// Moves a detached tree onto `target_fd` (an O_PATH fd of the mount point).
Status attach_tree(int tree_fd, int target_fd);

}  // namespace hutch::runtime
