#include "logs/cursor.h"

#include "base/fs.h"
#include "base/strings.h"

namespace hutch::logs {

Result<int64_t> read_cursor(const std::string& path) {
  auto content = fs::read_file(path);
  if (!content.ok()) {
    if (content.error().code() == ENOENT) return int64_t{0};
    return std::move(content).error().context("read log cursor");
  }
  auto ns = parse_int(trim(*content));
  if (!ns || *ns < 0) return Error::plain(EINVAL, "read log cursor \"" + path + "\": not a time in ns");
  return *ns;
}

Status write_cursor(const std::string& path, int64_t ns) {
  TRY_CTX(fs::write_file_atomic(path, std::to_string(ns) + "\n", 0644), "write log cursor");
  return {};
}

}  // namespace hutch::logs
