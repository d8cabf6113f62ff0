// docker diff, export, cp and commit: a container's files seen from the
// host.
//
// diff and commit read the container's upper dir (its changes) against its
// image's layers, never through a mount. export reads the merged root: the
// running container's overlay mount, else a private read-only overlay
// (lowerdir=upper:layers...) made here as a detached mount that no path
// names and that goes away with its fd, so nothing is left even on SIGKILL.
// cp reaches a running container through /proc/<pid>/root, so its volumes
// and tmpfs mounts are seen as the container sees them; a stopped
// container gets a private writable overlay (upper + work), which shows
// only the image and the container's own changes: paths under its volumes
// and bind mounts are not visible then (docker mounts them for cp).
// Every path inside a container is resolved with openat2(RESOLVE_IN_ROOT),
// every path from a container's tar is kept below its destination.
// Thread-safety: as Containers (one per thread).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "engine/containers.h"
#include "image/image_index.h"

namespace hutch::engine {

// One line of docker diff: kind 'C' (changed), 'A' (added), 'D' (deleted).
struct Change {
  char kind;
  std::string path;  // absolute, "/etc/passwd"
  bool operator==(const Change&) const = default;
};

// The changes in `upper` (an overlay upper dir) against `lower` (the image's
// layer dirs, top-most first), in docker's order: a walk of the upper dir,
// names sorted, parents before children. A whiteout is D; a directory that
// is opaque and existed below is D (it was removed, then made again), and
// its children A; a path the layers hold is C, others A. An unchanged
// directory (same mode, size and mtime as below) is left out unless
// something directly in it was added or deleted, which shows it as C.
// `placeholders` (absolute paths) are the runtime's mount points (docker
// keeps them in its "-init" layer): left out while they are an empty file
// or directory the layers do not hold.
Result<std::vector<Change>> upper_changes(const std::string& upper, const std::vector<std::string>& lower,
                                          const std::set<std::string>& placeholders = {});
// The mount points the runtime makes in a container's root: /etc/hosts,
// /etc/hostname, /etc/resolv.conf, /proc, /sys, /dev, /.hutch-init and the
// destinations of its volumes and bind mounts (from the row's "Mounts").
std::set<std::string> mount_placeholders(const state::ContainerRow& row);

// The merged root of a container, open as a directory, and whatever keeps
// it (a private mount lives as long as the fd).
struct ContainerRoot {
  UniqueFd fd;
  bool live = false;  // the running container's own view (/proc/<pid>/root)
};

// A private overlay of `upper` over `lower` (top-most first), not attached
// to any path: read-only with upper as the top lower dir when `work` is
// empty, else writable. Needs root.
Result<UniqueFd> mount_private_overlay(const std::vector<std::string>& lower, const std::string& upper,
                                       const std::string& work, const std::string& scratch_dir);

struct CopyOptions {
  bool archive = false;      // -a: keep uid/gid (else: the caller's when copying out, root's when copying in)
  bool follow_link = false;  // -L: a symlink SRC is copied as its target
};

// What commit makes.
struct CommitOptions {
  std::string name;  // REPOSITORY[:TAG], may be empty
  std::string author, message;
  std::vector<std::string> changes;  // Dockerfile instructions, as import --change (and VOLUME)
  bool pause = true;
};

class ContainerFiles {
 public:
  explicit ContainerFiles(Containers& cs) : cs_(cs) {}

  Result<std::vector<Change>> diff(const std::string& ref);
  // The whole merged file system as a tar.
  Status export_tar(const std::string& ref, int out_fd);
  // docker cp CONTAINER:SRC DEST; DEST "-" writes SRC as a tar to out_fd.
  Status copy_from(const std::string& ref, const std::string& src, const std::string& dest, int out_fd,
                   const CopyOptions& o);
  // docker cp SRC CONTAINER:DEST; SRC "-" reads a tar from in_fd.
  Status copy_to(const std::string& ref, const std::string& src, int in_fd, const std::string& dest,
                 const CopyOptions& o);
  // docker commit: the container's changes as a new layer over its image.
  Result<image::ImageRecord> commit(const std::string& ref, const CommitOptions& o);

 private:
  // The merged root for cp (live view when running) or export (the overlay).
  Result<ContainerRoot> open_root(const state::ContainerRow& row, bool writable, bool live_view);
  Result<std::vector<std::string>> lower_dirs(const state::ContainerRow& row);

  Containers& cs_;
};

}  // namespace hutch::engine
