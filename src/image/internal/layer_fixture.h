// LayerTest: the gtest fixture shared by the layer apply tests: a fresh
// LayerDir per test and helpers to apply tars and look at the result.
// Thread-safety: one test at a time.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/fs.h"
#include "image/internal/test_tar.h"
#include "image/layer.h"

namespace hutch::image {

// For EXPECT_TRUE: whether `text` holds `part`, showing both when not.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

inline const ApplyOptions kUnprivileged{.preserve_owners = false, .create_devices = false};

class LayerTest : public ::testing::Test {
 protected:
  Result<ApplyResult> apply(std::string_view bytes, const ApplyOptions& opts = kUnprivileged) {
    UniqueFd fd = testutil::memfd_with(bytes);
    return apply_layer(fd.get(), dir_.root_fd(), opts);
  }
  Result<ApplyResult> apply(const std::vector<testutil::TarEntry>& entries) { return apply(testutil::build_tar(entries)); }
  // Applies a hostile layer: it may fail or succeed, but nothing may appear
  // outside the root. Returns the error text ("" on success).
  std::string apply_hostile(const std::vector<testutil::TarEntry>& entries) {
    auto r = apply(entries);
    EXPECT_EQ(dir_.stray_entries(), std::vector<std::string>{});
    return r.ok() ? "" : r.error().message();
  }
  std::string read(const std::string& rel) {
    auto r = fs::read_file(dir_.path(rel));
    EXPECT_TRUE(r.ok()) << rel;
    return r.ok() ? *r : "";
  }
  struct stat lstat_of(const std::string& rel) {
    struct stat st {};
    EXPECT_EQ(::lstat(dir_.path(rel).c_str(), &st), 0) << rel;
    return st;
  }
  bool exists(const std::string& rel) {
    struct stat st;
    return ::lstat(dir_.path(rel).c_str(), &st) == 0;
  }
  std::string readlink(const std::string& rel) {
    char buf[4096];
    ssize_t n = ::readlink(dir_.path(rel).c_str(), buf, sizeof buf);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
  }

  testutil::LayerDir dir_{"layer"};
};

}  // namespace hutch::image
