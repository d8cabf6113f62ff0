// Test helpers for the logs tests: a temp dir, reading a log into a vector,
// comparing records. Thread-safety: test code, one thread per instance.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ostream>
#include <string>
#include <vector>

#include "base/fs.h"
#include "logs/log_file.h"

namespace hutch::logs {

// 2026-11-30T07:40:01.123456789Z
inline constexpr int64_t kT0 = 1796024401123456789;
inline constexpr int64_t kSecond = 1000000000;

inline bool operator==(const Record& a, const Record& b) {
  return a.time_ns == b.time_ns && a.stream == b.stream && a.text == b.text && a.newline == b.newline;
}

inline std::ostream& operator<<(std::ostream& os, const Record& r) {
  std::string text = r.text.size() > 60 ? r.text.substr(0, 60) + "...(" + std::to_string(r.text.size()) + ")" : r.text;
  return os << "{" << r.time_ns << " " << (r.stream == Stream::kStdout ? "stdout" : "stderr") << " \"" << text
            << "\"" << (r.newline ? "" : " no-newline") << "}";
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-logs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ctr.log";
  }
  void TearDown() override { (void)fs::remove_all(dir_); }

  LogWriter open_writer(uint64_t max_size = 0, int max_file = 1, uint64_t rate = 0) {
    auto w = LogWriter::open(WriterOptions{path_, max_size, max_file, rate});
    EXPECT_TRUE(w.ok()) << w.error().message();
    return w.ok() ? std::move(w).value() : LogWriter();
  }

  std::vector<Record> read(ReadOptions o = {}) const {
    std::vector<Record> out;
    auto st = read_log(path_, o, [&](const Record& r) {
      out.push_back(r);
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.error().message();
    return out;
  }

  std::string dir_;
  std::string path_;
};

}  // namespace hutch::logs
