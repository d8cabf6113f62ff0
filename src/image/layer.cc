#include "image/layer.h"

#include "image/archive_api.h"

#include <memory>
#include <optional>

#include "base/log.h"
#include "image/internal/split_recorder.h"
#include "image/internal/tar_source.h"
#include "image/internal/unpacker.h"

namespace hutch::image {

Result<ApplyResult> apply_layer(int in_fd, int target_dir_fd, const ApplyOptions& opts) {
  return apply_layer(in_fd, target_dir_fd, opts, -1);
}

Result<ApplyResult> apply_layer(int in_fd, int target_dir_fd, const ApplyOptions& opts, int split_fd) {
  internal::TarSource src(in_fd);
  std::optional<internal::SplitRecorder> split;
  if (split_fd >= 0) {
    split.emplace(split_fd);
    src.set_recorder(&*split);
  }
  std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_read_new(), archive_read_free);
  if (!a) return Error::plain(ENOMEM, "apply layer: start the tar reader");
  // Tar only (ustar, pax and GNU; the tar reader reads all of them), no
  // filters: TarSource decompresses, so it can hash the plain tar. Other
  // formats libarchive knows (zip, cpio, ...) are not layers.
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_filter_none(a.get());
  // An empty stream is an empty layer, as for Docker's Go tar reader;
  // libarchive cannot recognise a format in zero bytes.
  auto empty = [&] { return src.plain_bytes() == 0 && !src.error(); };
  bool opened = src.open_archive(a.get()) == ARCHIVE_OK;
  if (!opened && !empty()) return internal::archive_read_error(a.get(), src, "apply layer");

  internal::Unpacker unpacker(target_dir_fd, opts, src, split ? &*split : nullptr);
  ApplyResult result;
  while (opened) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      if (result.entries == 0 && empty()) break;
      return internal::archive_read_error(a.get(), src, "apply layer");
    }
    ++result.entries;
    TRY_CTX(unpacker.apply(a.get(), e), "apply layer");
  }
  // The diff_id covers the whole tar, padding after the end blocks included.
  TRY_CTX(src.drain(), "apply layer");
  TRY_CTX(unpacker.finish(), "apply layer");
  if (unpacker.skipped_devices() > 0)
    log::warn("image", "skipped " + std::to_string(unpacker.skipped_devices()) +
                           " device node(s) in a layer: creating them needs CAP_MKNOD (create_devices)");
  result.diff_id = src.diff_id();
  result.unpacked_bytes = unpacker.bytes();
  result.tar_size = src.plain_bytes();
  if (split) {
    split->finish();
    result.split_usable = split->usable() && split->total() == src.plain_bytes();
  }
  return result;
}

}  // namespace hutch::image
