#include "image/internal/split_recorder.h"

#include <algorithm>

#include "base/log.h"

namespace hutch::image::internal {
namespace {

constexpr size_t kBlock = 512;

}  // namespace

SplitRecorder::SplitRecorder(int split_fd) : writer_(split_fd) {}

void SplitRecorder::retire() {
  if (!usable_) return;
  uint64_t from = std::max(unclassified_, view_start_);
  if (from < delivered_) stash_.append(view_.substr(from - view_start_));
  view_ = {};
  view_start_ = delivered_;
}

void SplitRecorder::chunk(std::string_view bytes) {
  if (!usable_) return;
  view_ = bytes;
  view_start_ = delivered_;
  delivered_ += bytes.size();
  // The rest of a referenced payload is dropped as it arrives, uncopied.
  if (unclassified_ < payload_end_) drop(std::min(delivered_, payload_end_));
}

void SplitRecorder::consumed(int64_t pos) {
  if (!usable_ || pos < 0) return;
  if (unclassified_ < payload_end_) return;  // all delivered bytes were dropped
  uint64_t to = std::min(static_cast<uint64_t>(pos), delivered_);
  if (to > unclassified_) emit_raw(to);
}

bool SplitRecorder::reference(int64_t start, uint64_t size, const std::string& path) {
  if (!usable_ || size == 0 || path.empty() || path.size() > kMaxPath) return false;
  auto s = static_cast<uint64_t>(start);
  if (start < 0 || s < unclassified_ || s > delivered_ || unclassified_ < payload_end_) return false;
  emit_raw(s);
  // The header block right before the data must describe this payload: a
  // guard against misreading the position, which would corrupt the split.
  if (!usable_ || raw_since_file_ < kBlock || !is_regular_file_header(tail_, size)) return false;
  auto w = writer_.file(size, path);
  if (!w.ok()) {
    abandon(w.error().message());
    return false;
  }
  referenced_.insert(path);
  raw_since_file_ = 0;
  payload_end_ = s + size;
  drop(std::min(delivered_, payload_end_));
  return true;
}

void SplitRecorder::removed(const std::string& path) {
  if (!usable_ || referenced_.empty()) return;
  bool hit = referenced_.count(path) > 0;
  if (!hit) {
    std::string prefix = path + "/";
    auto it = referenced_.lower_bound(prefix);
    hit = it != referenced_.end() && it->compare(0, prefix.size(), prefix) == 0;
  }
  if (hit) abandon("\"" + path + "\" is replaced by a later entry");
}

void SplitRecorder::abandon(const std::string& why) {
  if (!usable_) return;
  usable_ = false;
  why_ = why;
  log::debug("image", "layer tar-split not kept: " + why);
  stash_.clear();
  stash_.shrink_to_fit();
  referenced_.clear();
  view_ = {};
}

void SplitRecorder::finish() {
  if (!usable_) return;
  if (unclassified_ < payload_end_) return abandon("the stream ends inside a file");
  emit_raw(delivered_);
  auto w = writer_.finish(delivered_);
  if (!w.ok()) abandon(w.error().message());
}

void SplitRecorder::emit_raw(uint64_t to) {
  if (!stash_.empty() && unclassified_ < to) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(stash_.size(), to - unclassified_));
    raw_piece(std::string_view(stash_).substr(0, n));
    stash_.erase(0, n);
    unclassified_ += n;
  }
  if (unclassified_ < to) {
    raw_piece(view_.substr(unclassified_ - view_start_, to - unclassified_));
    unclassified_ = to;
  }
}

void SplitRecorder::drop(uint64_t to) {
  if (!stash_.empty() && unclassified_ < to) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(stash_.size(), to - unclassified_));
    stash_.erase(0, n);
    unclassified_ += n;
  }
  unclassified_ = std::max(unclassified_, to);
}

void SplitRecorder::raw_piece(std::string_view piece) {
  if (!usable_ || piece.empty()) return;
  auto w = writer_.raw(piece);
  if (!w.ok()) return abandon(w.error().message());
  if (piece.size() >= kBlock) {
    tail_.assign(piece.substr(piece.size() - kBlock));
  } else {
    tail_.append(piece);
    if (tail_.size() > kBlock) tail_.erase(0, tail_.size() - kBlock);
  }
  raw_since_file_ += piece.size();
}

}  // namespace hutch::image::internal
