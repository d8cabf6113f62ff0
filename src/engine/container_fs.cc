#include "engine/container_fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/strings.h"
#include "image/digest.h"
#include "image/layer_store.h"

namespace hutch::engine {

Result<std::vector<std::string>> layer_dirs(const std::string& root, const image::ImageRecord& rec) {
  std::vector<image::Digest> diff_ids;
  for (const auto& d : rec.diff_ids) {
    ASSIGN_OR_RETURN(image::Digest dg, image::Digest::parse(d));
    diff_ids.push_back(dg);
  }
  image::LayerStore layers(root);
  std::vector<std::string> out;
  for (const auto& chain : image::chain_ids(diff_ids)) {
    if (!layers.has(chain))
      return Error::plain(ENOENT, "layer " + chain.str() + " of image " + rec.config.substr(7, 12) +
                                      " is missing from the store: pull or load the image again");
    out.insert(out.begin(), layers.diff_dir(chain));
  }
  return out;
}

namespace {

// Opens `rel` below `dirfd` without leaving it.
int open_in(int dirfd, const std::string& rel, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how));
}

bool is_whiteout(int dirfd, const std::string& rel) {
  struct stat st;
  if (::fstatat(dirfd, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_opaque(int dirfd, const std::string& rel) {
  UniqueFd d(open_in(dirfd, rel.empty() ? "." : rel, O_RDONLY | O_DIRECTORY));
  if (!d) return false;
  char v[4];
  ssize_t n = ::fgetxattr(d.get(), "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

}  // namespace

Result<std::string> read_layered_file(const std::vector<std::string>& layers, const std::string& path,
                                      size_t max_size) {
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  std::vector<std::string> parts = split(rel, '/');
  for (const auto& layer : layers) {
    UniqueFd root(::open(layer.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) return Error::from_errno("open layer \"" + layer + "\"");
    if (is_whiteout(root.get(), rel)) break;
    UniqueFd f(open_in(root.get(), rel, O_RDONLY | O_NOFOLLOW));
    if (!f && errno == ELOOP) f.reset(open_in(root.get(), rel, O_RDONLY));
    if (f) {
      std::string out;
      char buf[8192];
      for (;;) {
        ssize_t n = ::read(f.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_errno("read \"" + path + "\" in the image");
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > max_size) return Error::plain(EFBIG, "\"" + path + "\" in the image is too large");
      }
      return out;
    }
    // A whiteout or opaque dir on the way hides the lower layers.
    bool hidden = false;
    std::string prefix;
    for (size_t i = 0; i + 1 < parts.size() && !hidden; ++i) {
      prefix += (i ? "/" : "") + parts[i];
      hidden = is_whiteout(root.get(), prefix) || is_opaque(root.get(), prefix);
    }
    if (hidden) break;
  }
  return Error::plain(ENOENT, "\"" + path + "\" not found in the image");
}

}  // namespace hutch::engine
