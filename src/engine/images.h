// Engine image operations shared by the CLI and (later) the REST API:
// load, list, tag, remove (with garbage collection of unreferenced layers
// and blobs), inspect in docker's JSON shape.
// Thread-safety: one instance per call site; cross-process safety comes
// from the stores (atomic renames, the index lock).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/archive.h"
#include "image/archive_save.h"
#include "image/image_index.h"
#include "image/layer_store.h"
#include "image/store.h"

namespace hutch::engine {

class Images {
 public:
  explicit Images(const std::string& root);

  Result<std::vector<image::ImageRecord>> load(int fd);
  Result<std::vector<image::ImageRecord>> list() const { return index_.list(); }
  // Resolves a user's name ("busybox", "sha256:…", short ID).
  Result<image::ImageRecord> find(const std::string& name_or_id) const;
  Status tag(const std::string& source, const std::string& target);
  // docker rmi: returns the "Untagged: …" / "Deleted: …" lines.
  Result<std::vector<std::string>> remove(const std::string& name_or_id, bool force);
  // docker image inspect's object for one image.
  Result<std::string> inspect_json(const std::string& name_or_id) const;
  // docker import: a rootfs tarball from `fd` as a one-layer image named
  // `name` (may be empty), its config shaped by `changes`.
  Result<image::ImageRecord> import(int fd, const std::string& name, const std::vector<std::string>& changes,
                                    const std::string& message);
  // docker save: the named images into one archive on `out_fd`.
  Status save(const std::vector<std::string>& names, image::ArchiveFormat format, int out_fd) const;
  // docker image history rows: newest first; the layer size when the step
  // made one.
  struct HistoryRow {
    std::string id;  // the image ID on the newest row, "<missing>" below it
    std::string created, created_by, comment;
    uint64_t size = 0;
  };
  Result<std::vector<HistoryRow>> history(const std::string& name_or_id) const;
  // docker image prune: removes images without names (all unused images
  // with `all`; no containers exist yet, so "unused" is every image).
  Result<std::vector<std::string>> prune(bool all, uint64_t* freed);
  // Removes layers and blobs no image references; returns bytes freed.
  Result<uint64_t> gc();
  // Image IDs containers were created from -> a container id using each;
  // rmi and prune keep those images.
  std::map<std::string, std::string> in_use() const;

 private:
  std::string root_;
  image::ContentStore content_;
  image::LayerStore layers_;
  image::ImageIndex index_;
};

// "busybox" -> "docker.io/library/busybox:latest"; errors name the input.
Result<std::string> normalise_name(const std::string& name);

}  // namespace hutch::engine
