// Unpacker: writes the entries of a layer tar, as libarchive reads them,
// below a layer directory. libarchive only parses; every write is ours,
// relative to directory fds (never archive_write_disk, whose path checks are
// opt-in and which follows symlinks made by earlier entries).
//
// Rules, per entry (names normalised by layer_path.h):
//   - parents must be real directories inside the root: missing ones are
//     made (0755), a symlink or other file on the way refuses the layer
//     (this stops "symlink, then a file through it");
//   - the last component is made with *at() calls and never followed; an
//     existing entry of that name is replaced, except that a directory onto
//     a directory merges;
//   - directory modes and times are applied by finish(), deepest first, so
//     later entries do not change a directory's mtime and a read-only mode
//     does not stop its children being written;
//   - hardlink targets must already be in the layer, below real
//     directories, and not be directories;
//   - ".wh.NAME" becomes a 0:0 character device NAME, ".wh..wh..opq" sets
//     trusted.overlay.opaque=y on its directory (overlayfs.rst, "whiteouts
//     and opaque directories"); the tar's own trusted.overlay.* and
//     user.overlay.* xattrs are dropped, since they steer overlayfs lookups
//     (redirect, origin, metacopy) across layers;
//   - devices need ApplyOptions::create_devices, else they are skipped and
//     counted; fifos need no privilege and are always made; sockets are
//     skipped;
//   - xattrs that the file system or our privileges refuse (EPERM, ENOTSUP)
//     are logged and skipped, as Docker does for rootless use.
// With a SplitRecorder, each non-sparse regular file with data becomes a
// reference in the layer's tar-split, and every entry replaced or removed
// is reported to it (split_recorder.h).
// Regular files up to 8 MiB (not sparse) are read into memory and written
// by a FileWriter on 2 threads of its own (file_writer.h), while this one
// parses on; bigger and sparse files are written here. Whatever could see
// or change a file still being written waits for the writers first: an
// entry on a pending path, a hardlink, a whiteout, a removal, finish().
// The tar-split recorder is only used from the calling thread. A writer's
// error (naming its entry) is returned by the next apply() or finish().
// Thread-safety: an instance is used by one thread; its writers are joined
// when it is destroyed, also after an error.
#pragma once

#include "image/archive_api.h"
#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/internal/file_writer.h"
#include "image/internal/split_recorder.h"
#include "image/internal/tar_source.h"
#include "image/layer.h"

namespace hutch::image::internal {

class Unpacker {
 public:
  // Neither fd nor `src` nor `split` (may be null) is owned; all outlive
  // the Unpacker.
  Unpacker(int root_fd, const ApplyOptions& opts, const TarSource& src, SplitRecorder* split = nullptr);
  ~Unpacker();
  Unpacker(const Unpacker&) = delete;
  Unpacker& operator=(const Unpacker&) = delete;

  // Writes one entry, reading its data from `a`. Errors name the entry.
  Status apply(struct archive* a, struct archive_entry* e);
  // Waits for the file writers, then applies the deferred directory modes
  // and times.
  Status finish();

  uint64_t bytes() const { return bytes_; }
  uint64_t skipped_devices() const { return skipped_devices_; }

 private:
  struct Meta {
    mode_t perm;
    uid_t uid;
    gid_t gid;
    struct timespec times[2];  // atime, mtime (futimens order)
  };
  struct DeferredDir {
    std::vector<std::string> parts;
    mode_t perm;
    struct timespec times[2];
  };

  Status apply_entry(struct archive* a, struct archive_entry* e, const std::string& name);
  Status make_dir(struct archive_entry* e, int parent, const std::vector<std::string>& parts);
  // Takes `parent` when the file is queued.
  Status make_file(struct archive* a, struct archive_entry* e, UniqueFd& parent, const std::vector<std::string>& parts);
  Status queue_file(struct archive* a, struct archive_entry* e, UniqueFd& parent,
                    const std::vector<std::string>& parts);
  // Waits until the writers are done; their first error.
  Status flush();
  Status make_symlink(struct archive_entry* e, int parent, const std::vector<std::string>& parts);
  Status make_node(struct archive_entry* e, int parent, const std::vector<std::string>& parts, mode_t type);
  Status make_hardlink(struct archive_entry* e, int parent, const std::vector<std::string>& parts);
  Status make_whiteout(struct archive_entry* e, int parent, const std::vector<std::string>& parts,
                       const std::string& name);
  // Removes what is at parts (parent fd, base name) unless a directory is
  // merged into a directory; true when a directory is kept.
  Result<bool> make_room(int parent, const std::vector<std::string>& parts, bool new_is_dir);
  // Owner, mode (`chmod`), xattrs and times of a symlink or node, by name.
  Status set_meta_at(struct archive_entry* e, int parent, const std::string& base, bool chmod);
  // Through `fd` when >= 0, else by name in `parent`.
  Status set_xattrs(struct archive_entry* e, int fd, int parent, const std::string& base);
  void forget_dirs_below(const std::string& path);
  Meta meta_of(struct archive_entry* e) const;
  FileMeta file_meta_of(struct archive_entry* e) const;
  // The entry's xattrs without overlayfs' own.
  std::vector<Xattr> xattrs_of(struct archive_entry* e) const;

  // Whether the split may reference this file's data (before reading it).
  bool reference_payload(struct archive_entry* e, const std::vector<std::string>& parts);

  int root_;
  ApplyOptions opts_;
  const TarSource& src_;
  SplitRecorder* split_;
  bool privileged_;           // euid 0: modes do not stop us reading back
  int64_t entry_start_ = -1;  // stream position of the current entry's data
  std::map<std::string, DeferredDir> deferred_;
  uint64_t bytes_ = 0;
  uint64_t skipped_devices_ = 0;
  std::unique_ptr<FileWriter> writer_;  // null on a single CPU: all inline
};

// The error for a failed libarchive read: ours (read, decompression) when
// the source failed, else libarchive's text.
Error archive_read_error(struct archive* a, const TarSource& src, const std::string& step);

}  // namespace hutch::image::internal
