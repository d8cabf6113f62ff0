#include "image/decompress.h"

#include <unistd.h>

#include "image/internal/tar_source.h"

namespace hutch::image {

Result<uint64_t> decompress_layer(int in_fd, int out_fd) {
  internal::TarSource src(in_fd);
  // Nothing here is checked: the reader of out_fd hashes what it uses.
  src.skip_hashing();
  uint64_t total = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::string_view chunk, src.next());
    if (chunk.empty()) break;
    const char* p = chunk.data();
    size_t n = chunk.size();
    while (n > 0) {
      ssize_t w = ::write(out_fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return Error::from_errno("write the decompressed layer");
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    total += chunk.size();
  }
  return total;
}

}  // namespace hutch::image
