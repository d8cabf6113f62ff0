#include "cli_rt/cloned_binary.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"

namespace hutch::cli_rt {
namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

bool running_from_sealed_copy() {
  int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int seals = ::fcntl(fd, F_GET_SEALS);
  ::close(fd);
  return seals >= 0 && (seals & kSeals) == kSeals;
}

}  // namespace

void ensure_cloned_binary(char** argv, char** envp) {
  if (running_from_sealed_copy()) return;
  int src = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0) {
    log::warn("exe", "cannot open /proc/self/exe; running without a sealed copy");
    return;
  }
  struct stat st;
  int mfd = static_cast<int>(::syscall(SYS_memfd_create, "hutchrt", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (mfd < 0 || ::fstat(src, &st) != 0) {
    log::warn("exe", "cannot make a sealed copy of hutchrt");
    ::close(src);
    if (mfd >= 0) ::close(mfd);
    return;
  }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = ::sendfile(mfd, src, &off, static_cast<size_t>(st.st_size - off));
    if (n <= 0) break;
  }
  ::close(src);
  if (off != st.st_size || ::fcntl(mfd, F_ADD_SEALS, kSeals) != 0) {
    log::warn("exe", "cannot seal the copy of hutchrt");
    ::close(mfd);
    return;
  }
  ::syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
  log::warn("exe", "cannot run the sealed copy of hutchrt");
  ::close(mfd);
}

}  // namespace hutch::cli_rt
