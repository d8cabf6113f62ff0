// Test helpers for layer apply (tests only, not part of hutch_image): build
// tar streams with libarchive's writer, compress them with zlib or libzstd,
// and hand them over in a memfd. Entry names are written as given, hostile
// ones included ("../x", "/abs").
// Thread-safety: pure functions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fd.h"

namespace hutch::image::testutil {

enum class EntryType { kFile, kDir, kSymlink, kHardlink, kChar, kBlock, kFifo, kSocket };

struct TarEntry {
  std::string name;
  EntryType type = EntryType::kFile;
  // kFile: the contents; for a sparse file, the data regions concatenated.
  std::string data;
  std::string link;  // kSymlink, kHardlink: the target
  mode_t mode = 0644;
  int64_t mtime = 1500000000;
  int64_t uid = 0, gid = 0;
  unsigned dev_major = 0, dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
  std::vector<std::pair<int64_t, int64_t>> sparse;  // (offset, length) data regions
  int64_t size = -1;                                // logical size; -1: data.size()
};

enum class TarFormat { kPax, kGnu, kUstar };
enum class TarFilter { kNone, kGzip, kZstd };

// Shorthands.
TarEntry file(std::string name, std::string data, mode_t mode = 0644);
TarEntry dir(std::string name, mode_t mode = 0755);
TarEntry symlink(std::string name, std::string target);
TarEntry hardlink(std::string name, std::string target);

// A whole tar stream; `filter` uses libarchive's own compressor.
std::string build_tar(const std::vector<TarEntry>& entries, TarFormat format = TarFormat::kPax,
                      TarFilter filter = TarFilter::kNone);
// gzip (RFC 1952) and zstd of `plain`, by zlib and libzstd directly.
std::string gzip(std::string_view plain);
std::string zstd(std::string_view plain);
// The plain bytes of the first gzip member or zstd frame in `compressed`.
std::string decompress(std::string_view compressed);
// A memfd holding `bytes`, positioned at 0.
UniqueFd memfd_with(std::string_view bytes);

// A temp tree for one test: <base>/a/b/root is the layer directory (deep, so
// "../../.." from it stays in the tree) and <base>/outside a sibling nothing
// may reach. Removed, whatever the modes inside, on destruction.
class LayerDir {
 public:
  explicit LayerDir(const std::string& tag);
  ~LayerDir();
  LayerDir(const LayerDir&) = delete;
  LayerDir& operator=(const LayerDir&) = delete;

  const std::string& base() const { return base_; }
  const std::string& root() const { return root_; }
  const std::string& outside() const { return outside_; }
  int root_fd() const { return root_fd_.get(); }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }
  // Marks a path (under base) that the test made itself outside the root.
  void allow(const std::string& path) { allowed_.push_back(path); }
  // Everything under base that is neither in the root nor made by the test.
  std::vector<std::string> stray_entries() const;

 private:
  std::string base_, root_, outside_;
  std::vector<std::string> allowed_;
  UniqueFd root_fd_;
};

// Removes a tree, first making each directory writable (layers may hold
// read-only directories). Never follows symlinks.
void remove_tree(const std::string& path);

}  // namespace hutch::image::testutil
