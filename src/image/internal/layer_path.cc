#include "image/internal/layer_path.h"

#include <limits.h>

#include <cerrno>

namespace hutch::image::internal {
namespace {

// image-spec layer.md, "Whiteouts".
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueName = ".wh..wh..opq";

}  // namespace

Result<std::vector<std::string>> normalise_entry_path(std::string_view name) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string_view::npos) j = name.size();
    std::string_view c = name.substr(i, j - i);
    i = j + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (parts.empty()) return Error::plain(EINVAL, "path climbs above the layer root");
      parts.pop_back();
      continue;
    }
    parts.emplace_back(c);
  }
  size_t len = 0;
  for (const auto& p : parts) len += p.size() + 1;
  // Longer paths cannot be reached with ordinary path calls in a container
  // anyway; refusing them bounds the nesting (and so the recursion) a
  // hostile layer can cause.
  if (len >= PATH_MAX) return Error::plain(ENAMETOOLONG, "path is longer than PATH_MAX");
  return parts;
}

std::string join_components(const std::vector<std::string>& parts, size_t count) {
  std::string s;
  for (size_t i = 0; i < count && i < parts.size(); ++i) {
    if (i) s += '/';
    s += parts[i];
  }
  return s;
}

Result<Whiteout> classify_whiteout(std::string_view base) {
  if (base.substr(0, kWhiteoutPrefix.size()) != kWhiteoutPrefix) return Whiteout{};
  if (base == kOpaqueName) return Whiteout{WhiteoutKind::kOpaque, {}};
  if (base.substr(0, kWhiteoutMetaPrefix.size()) == kWhiteoutMetaPrefix) return Whiteout{WhiteoutKind::kIgnored, {}};
  std::string_view target = base.substr(kWhiteoutPrefix.size());
  if (target.empty() || target == "." || target == "..")
    return Error::plain(EINVAL, "whiteout names no file (\"" + std::string(base) + "\")");
  return Whiteout{WhiteoutKind::kFile, std::string(target)};
}

}  // namespace hutch::image::internal
