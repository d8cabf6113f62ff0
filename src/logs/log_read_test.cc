// Unit tests for read_log on real files in a temp dir: since/until, tail
// across rotated files (checked against a full read on random logs),
// malformed input, and follow with a writer in another thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "logs/internal/record.h"
#include "logs/internal/test_log.h"
#include "logs/log_file.h"

namespace hutch::logs {
namespace {

using S = Stream;

std::vector<std::string> texts(const std::vector<Record>& rs) {
  std::vector<std::string> out;
  for (const Record& r : rs) out.push_back(r.text);
  return out;
}

std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("line " + std::to_string(i));
  return out;
}

TEST_F(LogTest, MissingLogIsEmpty) {
  EXPECT_TRUE(read().empty());
  ReadOptions o;
  o.tail = 5;
  EXPECT_TRUE(read(o).empty());
}

TEST_F(LogTest, SinceUntilAreInclusive) {
  LogWriter w = open_writer();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w.write(S::kStdout, "line " + std::to_string(i) + "\n", kT0 + i * kSecond).ok());
  ReadOptions o;
  o.since_ns = kT0 + 3 * kSecond;
  o.until_ns = kT0 + 6 * kSecond;
  EXPECT_EQ(texts(read(o)), numbered(3, 7));
  o.tail = 2;
  EXPECT_EQ(texts(read(o)), numbered(5, 7));
  o.tail = -1;
  o.until_ns = 0;
  EXPECT_EQ(texts(read(o)), numbered(3, 10));
  o.since_ns = 0;
  o.until_ns = kT0 + kSecond;
  EXPECT_EQ(texts(read(o)), numbered(0, 2));
  o.since_ns = kT0 + 20 * kSecond;
  o.until_ns = 0;
  o.tail = 3;
  EXPECT_TRUE(read(o).empty());
}

TEST_F(LogTest, EmitFalseStops) {
  LogWriter w = open_writer();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w.write(S::kStdout, "line " + std::to_string(i) + "\n", kT0).ok());
  for (int64_t tail : {-1, 5}) {
    ReadOptions o;
    o.tail = tail;
    int n = 0;
    ASSERT_TRUE(read_log(path_, o, [&](const Record&) { return ++n < 3; }).ok());
    EXPECT_EQ(n, 3);
  }
}

TEST_F(LogTest, TailAcrossRotatedFiles) {
  LogWriter w = open_writer(300, 4);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(w.write(S::kStdout, "line " + std::to_string(i) + "\n", kT0 + i).ok());
  ASSERT_TRUE(fs::exists(path_ + ".3"));
  ReadOptions o;
  for (int n : {0, 1, 5, 10, 15}) {
    o.tail = n;
    EXPECT_EQ(texts(read(o)), numbered(40 - n, 40)) << n;
  }
  o.tail = 1000;
  std::vector<Record> all = read();
  EXPECT_EQ(read(o), all);
  EXPECT_EQ(all.back().text, "line 39");
}

TEST_F(LogTest, MalformedLinesAreSkipped) {
  std::string valid1 = format_record(kT0, S::kStdout, false, "one");
  std::string p = format_record(kT0 + 1, S::kStderr, true, "two-");
  std::string f = format_record(kT0 + 2, S::kStderr, false, "and-a-half");
  std::string junk = "junk line\n\n2026-11-30T07:40:01Z stdout X bad tag\n" + std::string(1536 * 1024, 'z') + "\n" +
                     std::string(70000, 'y') + "\n\xff\xfe\n";
  std::string incomplete = format_record(kT0 + 3, S::kStdout, false, "being written");
  incomplete.pop_back();
  ASSERT_TRUE(fs::write_file(path_ + ".1", junk + valid1 + junk + "\n" + p).ok());
  ASSERT_TRUE(fs::write_file(path_, junk + f + junk + incomplete).ok());
  std::vector<Record> want = {Record{kT0, S::kStdout, "one", true}, Record{kT0 + 1, S::kStderr, "two-and-a-half", true}};
  EXPECT_EQ(read(), want);
  ReadOptions o;
  o.tail = 10;
  EXPECT_EQ(read(o), want);
  o.tail = 1;
  EXPECT_EQ(read(o), std::vector<Record>{want[1]});
}

// Random logs (both streams, partial and long lines, flushes, rotation):
// the tail of each must be the end of a full read, with any since/until.
void check_tails(const std::vector<Record>& all, int64_t t_end,
                 const std::function<std::vector<Record>(ReadOptions)>& read) {
  std::vector<std::pair<int64_t, int64_t>> ranges = {{0, 0}, {kT0 + t_end / 3, 0}, {0, kT0 + t_end / 2},
                                                     {kT0 + t_end / 4, kT0 + t_end / 2}};
  for (auto [since, until] : ranges) {
    std::vector<Record> want_all;
    for (const Record& r : all)
      if ((since == 0 || r.time_ns >= since) && (until == 0 || r.time_ns <= until)) want_all.push_back(r);
    ReadOptions o;
    o.since_ns = since;
    o.until_ns = until;
    ASSERT_EQ(read(o), want_all);
    int64_t n_all = static_cast<int64_t>(want_all.size());
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3}, int64_t{7}, n_all / 2, n_all - 1, n_all,
                      n_all + 3}) {
      if (n < 0) continue;
      o.tail = n;
      std::vector<Record> want(want_all.end() - std::min(n, n_all), want_all.end());
      ASSERT_EQ(read(o), want) << "tail " << n << " since " << since << " until " << until;
      // Following, the lines still open are not part of the tail: they are
      // completed by what follows, here nothing (the follow ends at once).
      ReadOptions f = o;
      f.follow = true;
      f.keep_following = [] { return false; };
      std::vector<Record> ended, open;
      for (const Record& r : want_all) (r.newline ? ended : open).push_back(r);
      int64_t n_ended = static_cast<int64_t>(ended.size());
      want.assign(ended.end() - std::min(n, n_ended), ended.end());
      want.insert(want.end(), open.begin(), open.end());
      ASSERT_EQ(read(f), want) << "follow tail " << n << " since " << since << " until " << until;
    }
  }
}

void write_random_log(LogWriter* w, unsigned seed, int ops, size_t max_len, int64_t* t) {
  std::mt19937 rng(seed);
  for (int i = 0; i < ops; ++i) {
    *t += rng() % 3;
    Stream s = rng() % 3 ? S::kStdout : S::kStderr;
    unsigned kind = rng() % 10;
    std::string data;
    if (kind == 0) {
      ASSERT_TRUE(w->flush(kT0 + *t).ok());
      continue;
    }
    size_t len = kind == 1 ? rng() % max_len : rng() % 60;
    for (size_t k = 0; k < len; ++k) data += static_cast<char>('a' + (i + k) % 26);
    if (kind != 2) data += '\n';
    if (kind == 3) data += "second line\nthird";
    ASSERT_TRUE(w->write(s, data, kT0 + *t).ok());
  }
}

TEST_F(LogTest, TailMatchesFullReadOnRandomLogs) {
  struct Case {
    uint64_t max_size;
    int max_file;
    int ops;
    size_t max_len;
    int end;  // 0: as is; 1: both streams end open; 2: stderr open, then a stdout line; 3: ... many
  };
  for (Case c : {Case{0, 1, 300, 100, 1}, Case{2000, 4, 400, 3000, 0}, Case{700, 3, 300, 200, 2},
                 Case{200 * 1024, 3, 1500, 40000, 1}, Case{200 * 1024, 3, 1500, 40000, 2},
                 Case{200 * 1024, 2, 1500, 40000, 0}, Case{0, 1, 300, 100, 3}, Case{10000, 3, 300, 100, 3}}) {
    SCOPED_TRACE(std::to_string(c.max_size) + "/" + std::to_string(c.max_file) + "/" + std::to_string(c.ops));
    TearDown();
    SetUp();
    int64_t t = 0;
    {
      LogWriter w = open_writer(c.max_size, c.max_file);
      ASSERT_NO_FATAL_FAILURE(write_random_log(&w, static_cast<unsigned>(c.ops + c.max_size), c.ops, c.max_len, &t));
      if (c.end != 0) {
        ASSERT_TRUE(w.write(S::kStderr, "err-open", kT0 + t + 1).ok());
        ASSERT_TRUE(w.write(S::kStdout, "out-open", kT0 + t + 2).ok());
        ASSERT_TRUE(w.flush(kT0 + t + 3).ok());
      }
      if (c.end == 2) {
        ASSERT_TRUE(w.write(S::kStdout, "-now-ended\n", kT0 + t + 4).ok());
      }
      if (c.end == 3) {
        // stderr left open far back (within kOpenLineWindow)
        for (int i = 0; i < 300; ++i) ASSERT_TRUE(w.write(S::kStdout, "later\n", kT0 + t + 4).ok());
      }
      t += 5;
    }
    std::vector<Record> all = read();
    ASSERT_GT(all.size(), 10u);
    EXPECT_TRUE(c.end == 0 || !all.back().newline);
    ASSERT_NO_FATAL_FAILURE(check_tails(all, t, [&](ReadOptions o) { return read(o); }));
  }
}

// Follow with a writer thread: the writer writes a batch and waits until the
// reader has seen it, so the test does not depend on timing; batches are
// smaller than a file, so rotations happen while the reader follows.
TEST_F(LogTest, FollowSeesAppendedLinesAcrossRotation) {
  LogWriter w = open_writer(2000, 3);
  ASSERT_TRUE(w.write(S::kStdout, "line 0\n", kT0).ok());
  std::atomic<int> seen{0};
  std::atomic<bool> done{false};
  std::atomic<bool> timed_out{false};
  auto wait_seen = [&](int n) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (seen.load() < n) {
      if (std::chrono::steady_clock::now() > limit) {
        timed_out = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  std::thread writer([&] {
    int i = 1;
    for (int batch = 0; batch < 12 && !timed_out; ++batch) {
      for (int k = 0; k < 20; ++k, ++i) {
        if (!w.write(S::kStdout, "line " + std::to_string(i) + "\n", kT0 + i).ok()) timed_out = true;
      }
      wait_seen(i);
    }
    if (!w.write(S::kStderr, "no newline", kT0 + i).ok() || !w.flush(kT0 + i).ok()) timed_out = true;
    done = true;
  });
  std::vector<Record> got;
  ReadOptions o;
  o.follow = true;
  o.keep_following = [&] { return !done.load(); };
  auto st = read_log(path_, o, [&](const Record& r) {
    got.push_back(r);
    ++seen;
    return true;
  });
  writer.join();
  ASSERT_TRUE(st.ok()) << st.error().message();
  ASSERT_FALSE(timed_out);
  EXPECT_TRUE(fs::exists(path_ + ".2"));
  ASSERT_EQ(got.size(), 242u);
  std::vector<std::string> want = numbered(0, 241);
  want.push_back("no newline");
  EXPECT_EQ(texts(got), want);
  EXPECT_EQ(got.back(), (Record{kT0 + 241, S::kStderr, "no newline", false}));
}

TEST_F(LogTest, FollowWithTailCompletesAnOpenLine) {
  LogWriter w = open_writer();
  ASSERT_TRUE(w.write(S::kStdout, "a\nb\nc\npar", kT0).ok());
  ASSERT_TRUE(w.flush(kT0 + 1).ok());
  std::atomic<int> seen{0};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (seen.load() < 2 && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    (void)w.write(S::kStdout, "tial\nd\n", kT0 + 2);
    while (seen.load() < 4 && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    done = true;
  });
  std::vector<Record> got;
  ReadOptions o;
  o.tail = 2;
  o.follow = true;
  o.keep_following = [&] { return !done.load(); };
  auto st = read_log(path_, o, [&](const Record& r) {
    got.push_back(r);
    ++seen;
    return true;
  });
  writer.join();
  ASSERT_TRUE(st.ok()) << st.error().message();
  std::vector<Record> want = {Record{kT0, S::kStdout, "b", true}, Record{kT0, S::kStdout, "c", true},
                              Record{kT0 + 1, S::kStdout, "partial", true}, Record{kT0 + 2, S::kStdout, "d", true}};
  EXPECT_EQ(got, want);
}

TEST_F(LogTest, FollowWaitsForTheLogAndStopsOnEmitFalse) {
  std::atomic<bool> stop_writer{false};
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    LogWriter w = open_writer();
    for (int i = 0; i < 2000 && !stop_writer; ++i) {
      (void)w.write(S::kStdout, "line " + std::to_string(i) + "\n", kT0 + i);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<Record> got;
  ReadOptions o;
  o.follow = true;  // no keep_following: only emit ends it
  auto st = read_log(path_, o, [&](const Record& r) {
    got.push_back(r);
    return got.size() < 5;
  });
  stop_writer = true;
  writer.join();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(texts(got), numbered(0, 5));
}

TEST_F(LogTest, FollowEndsAtOnceWhenToldSo) {
  LogWriter w = open_writer();
  ASSERT_TRUE(w.write(S::kStdout, "only\nopen", kT0).ok());
  ASSERT_TRUE(w.flush(kT0 + 1).ok());
  ReadOptions o;
  o.follow = true;
  o.keep_following = [] { return false; };
  auto start = std::chrono::steady_clock::now();
  std::vector<Record> got = read(o);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  std::vector<Record> want = {Record{kT0, S::kStdout, "only", true}, Record{kT0 + 1, S::kStdout, "open", false}};
  EXPECT_EQ(got, want);
  o.tail = 1;
  EXPECT_EQ(read(o), want);  // the open line is not counted in the tail: it was still being written
}

}  // namespace
}  // namespace hutch::logs
