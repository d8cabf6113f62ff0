// Fuzz target: image layers (tar, gzip, zstd), untrusted input from any
// registry. Each input goes into a memfd and is applied into a fresh temp
// directory, which is then removed; the invariant checked besides "no crash"
// is that nothing appears next to the layer directory, and that a tar-split
// recorded on the way, when usable, rebuilds the very tar that was read
// (same length and sha256, image/layer_tar.h). Unprivileged options
// (no owners, no devices), so it runs as any user. Built for libFuzzer with
// clang (-fsanitize=fuzzer), or linked with fuzz_driver.cc for the
// deterministic smoke run over a corpus. Links hutch_image.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/log.h"
#include "image/layer.h"
#include "image/layer_tar.h"

namespace {

// Removes a tree below dir_fd without following symlinks, making each
// directory writable first (a layer may leave read-only directories).
void remove_at(int dir_fd, const char* name) {
  struct stat st;
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    ::unlinkat(dir_fd, name, 0);
    return;
  }
  ::fchmodat(dir_fd, name, 0700, 0);
  int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    std::vector<std::string> names;
    int dup = ::dup(fd);
    if (DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr) {
      while (struct dirent* de = ::readdir(d)) {
        std::string n = de->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      ::closedir(d);
    }
    for (const auto& n : names) remove_at(fd, n.c_str());
    ::close(fd);
  }
  ::unlinkat(dir_fd, name, AT_REMOVEDIR);
}

size_t count_entries(const std::string& dir) {
  size_t n = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* de = ::readdir(d)) {
      std::string name = de->d_name;
      n += name != "." && name != "..";
    }
    ::closedir(d);
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = [] {
    hutch::log::configure(STDERR_FILENO, hutch::log::Format::kText, hutch::log::Level::kError);
    return true;
  }();
  (void)quiet;

  int in = ::memfd_create("layer-fuzz", MFD_CLOEXEC);
  if (in < 0) std::abort();
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(in, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  ::lseek(in, 0, SEEK_SET);

  // <base>/root is the layer; <base> must hold nothing else afterwards.
  const char* t = std::getenv("TMPDIR");
  std::string base = std::string(t && *t ? t : "/tmp") + "/hutch-test-layer-fuzz-XXXXXX";
  if (!::mkdtemp(base.data())) std::abort();
  std::string root = base + "/root";
  if (::mkdir(root.c_str(), 0755) != 0) std::abort();
  int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) std::abort();

  hutch::image::ApplyOptions opts;
  opts.preserve_owners = false;
  opts.create_devices = false;
  int split = ::memfd_create("layer-fuzz-split", MFD_CLOEXEC);
  if (split < 0) std::abort();
  auto applied = hutch::image::apply_layer(in, root_fd, opts, split);
  if (applied.ok() && applied->split_usable) {
    ::lseek(split, 0, SEEK_SET);
    hutch::image::LayerTarReader r(hutch::UniqueFd(::dup(root_fd)), hutch::UniqueFd(::dup(split)), applied->diff_id,
                                   applied->tar_size);
    for (;;) {
      auto v = r.next();
      if (!v.ok()) {
        std::fprintf(stderr, "layer_fuzz: the tar-split does not rebuild the layer: %s\n", v.error().message().c_str());
        std::abort();
      }
      if (v->empty()) break;
    }
  }
  ::close(split);

  ::close(root_fd);
  ::close(in);
  size_t beside = count_entries(base);
  remove_at(AT_FDCWD, base.c_str());
  if (beside != 1) {
    std::fprintf(stderr, "layer_fuzz: a layer wrote outside its directory\n");
    std::abort();
  }
  return 0;
}
