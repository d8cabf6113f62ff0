#include "runtime/idmap.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"

namespace hutch::runtime {
namespace {

std::string map_text(const std::vector<oci::IdMapping>& ms) {
  std::string s;
  for (const auto& m : ms)
    s += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  return s;
}

}  // namespace

Status write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uids, const std::vector<oci::IdMapping>& gids) {
  std::string base = "/proc/" + std::to_string(pid);
  TRY_CTX(fs::write_existing(base + "/uid_map", map_text(uids)), "write uid mappings");
  TRY_CTX(fs::write_existing(base + "/gid_map", map_text(gids)), "write gid mappings");
  return {};
}

Result<UniqueFd> make_userns_fd(const std::vector<oci::IdMapping>& uids, const std::vector<oci::IdMapping>& gids) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) return Error::from_errno("clone a user namespace for an idmapped mount");
  if (pid == 0) {
    // Lives only until the parent has written the maps and opened the ns.
    char c;
    wr.reset();
    while (::read(rd.get(), &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  rd.reset();
  auto done = [&]() {
    wr.reset();
    ::waitpid(pid, nullptr, 0);
  };
  std::string base = "/proc/" + std::to_string(pid);
  auto st = write_id_maps(pid, uids, gids);
  if (!st.ok()) {
    done();
    return std::move(st).error().context("idmapped mount");
  }
  UniqueFd ns(::open((base + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  int e = errno;
  done();
  if (!ns) return Error(e, "idmapped mount: open user namespace");
  return ns;
}

Result<UniqueFd> idmapped_tree(const std::string& source, bool recursive, int userns) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), flags)));
  if (!tree) return Error::from_errno("open_tree \"" + source + "\"");
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns);
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                sizeof attr) != 0)
    return Error::from_errno("idmap \"" + source + "\" (does its file system support idmapped mounts?)");
  return tree;
}

Status attach_tree(int tree_fd, int target_fd) {
  if (::syscall(SYS_move_mount, tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return Error::from_errno("move_mount");
  return {};
}

}  // namespace hutch::runtime
