// Unit tests for the log writer (records, partial lines, 16 KiB splits,
// rotation, rate limit), parse_record and the --new cursor, on real files in
// a temp dir.
#include "logs/log_file.h"

#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "logs/cursor.h"
#include "logs/internal/record.h"
#include "logs/internal/test_log.h"

namespace hutch::logs {
namespace {

using S = Stream;

Record rec(int64_t t, Stream s, std::string text, bool newline = true) { return Record{t, s, std::move(text), newline}; }

std::string file(const std::string& p) {
  auto c = fs::read_file(p);
  return c.ok() ? *c : "<missing>";
}

TEST_F(LogTest, RoundTripStdoutStderr) {
  LogWriter w = open_writer();
  ASSERT_TRUE(w.write(S::kStdout, "hello\n", kT0).ok());
  ASSERT_TRUE(w.write(S::kStderr, "oops: it broke\n", kT0 + 1).ok());
  ASSERT_TRUE(w.write(S::kStdout, "a\n\nb c\n", kT0 + 2).ok());
  EXPECT_EQ(file(path_),
            "2026-11-30T07:40:01.123456789Z stdout F hello\n"
            "2026-11-30T07:40:01.123456790Z stderr F oops: it broke\n"
            "2026-11-30T07:40:01.123456791Z stdout F a\n"
            "2026-11-30T07:40:01.123456791Z stdout F \n"
            "2026-11-30T07:40:01.123456791Z stdout F b c\n");
  std::vector<Record> want = {rec(kT0, S::kStdout, "hello"), rec(kT0 + 1, S::kStderr, "oops: it broke"),
                              rec(kT0 + 2, S::kStdout, "a"), rec(kT0 + 2, S::kStdout, ""),
                              rec(kT0 + 2, S::kStdout, "b c")};
  EXPECT_EQ(read(), want);
  ReadOptions o;
  o.tail = 100;
  EXPECT_EQ(read(o), want);
}

TEST_F(LogTest, PartialLinesAreHeldThenJoined) {
  LogWriter w = open_writer();
  ASSERT_TRUE(w.write(S::kStdout, "abc", kT0).ok());
  EXPECT_EQ(file(path_), "");  // held until the newline
  ASSERT_TRUE(w.write(S::kStdout, "def\nghi", kT0 + 1).ok());
  ASSERT_TRUE(w.flush(kT0 + 2).ok());  // "ghi" goes out as P
  ASSERT_TRUE(w.write(S::kStdout, "jkl\n", kT0 + 3).ok());
  ASSERT_TRUE(w.write(S::kStdout, "end", kT0 + 4).ok());
  ASSERT_TRUE(w.flush(kT0 + 5).ok());
  std::vector<Record> want = {rec(kT0 + 1, S::kStdout, "abcdef"), rec(kT0 + 2, S::kStdout, "ghijkl"),
                              rec(kT0 + 5, S::kStdout, "end", false)};
  EXPECT_EQ(read(), want);
  ReadOptions o;
  o.tail = 2;
  EXPECT_EQ(read(o), std::vector<Record>(want.begin() + 1, want.end()));
}

TEST_F(LogTest, PartialLinesOfBothStreams) {
  LogWriter w = open_writer();
  ASSERT_TRUE(w.write(S::kStdout, "out-a", kT0).ok());
  ASSERT_TRUE(w.write(S::kStderr, "err-a", kT0).ok());
  ASSERT_TRUE(w.flush(kT0 + 1).ok());
  ASSERT_TRUE(w.write(S::kStderr, "err-b\nerr-c\n", kT0 + 2).ok());
  ASSERT_TRUE(w.write(S::kStdout, "out-b\n", kT0 + 3).ok());
  std::vector<Record> want = {rec(kT0 + 1, S::kStderr, "err-aerr-b"), rec(kT0 + 2, S::kStderr, "err-c"),
                              rec(kT0 + 1, S::kStdout, "out-aout-b")};
  EXPECT_EQ(read(), want);
}

TEST_F(LogTest, LongLinesSplitAt16KiB) {
  LogWriter w = open_writer();
  std::string line(40000, 'x');
  for (size_t i = 0; i < line.size(); ++i) line[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(w.write(S::kStdout, line + "\n", kT0).ok());
  std::string exact(kMaxLine, 'e');  // exactly 16 KiB then the newline: one F record
  ASSERT_TRUE(w.write(S::kStderr, exact + "\n", kT0 + 1).ok());
  std::string held(kMaxLine, 'h');  // 16 KiB without newline goes out as P at once
  ASSERT_TRUE(w.write(S::kStdout, held, kT0 + 3).ok());

  std::vector<std::string> lines = split(file(path_), '\n');
  ASSERT_EQ(lines.size(), 6u);  // 3 + 1 + 1 and the empty piece after the last newline
  std::vector<std::string> tags;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    int64_t t;
    Stream s;
    bool partial;
    std::string_view text;
    ASSERT_TRUE(parse_record(lines[i], &t, &s, &partial, &text)) << i;
    EXPECT_LE(text.size(), kMaxLine);
    tags.push_back(std::string(s == S::kStdout ? "o" : "e") + (partial ? "P" : "F") + std::to_string(text.size()));
  }
  EXPECT_EQ(tags, (std::vector<std::string>{"oP16384", "oP16384", "oF7232", "eF16384", "oP16384"}));

  std::vector<Record> want = {rec(kT0, S::kStdout, line), rec(kT0 + 1, S::kStderr, exact),
                              rec(kT0 + 3, S::kStdout, held, false)};
  EXPECT_EQ(read(), want);
  ReadOptions o;
  o.tail = 3;
  EXPECT_EQ(read(o), want);
}

TEST_F(LogTest, RotationKeepsMaxFileFiles) {
  LogWriter w = open_writer(300, 3);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(w.write(S::kStdout, "line " + std::to_string(i) + "\n", kT0 + i).ok());
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_TRUE(fs::exists(path_ + ".1"));
  EXPECT_TRUE(fs::exists(path_ + ".2"));
  EXPECT_FALSE(fs::exists(path_ + ".3"));
  for (std::string p : {path_, path_ + ".1", path_ + ".2"}) EXPECT_LE(file(p).size(), 300u) << p;

  std::vector<Record> got = read();
  ASSERT_GT(got.size(), 10u);
  ASSERT_LT(got.size(), 200u);
  int first = 200 - static_cast<int>(got.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(got[i], rec(kT0 + first + static_cast<int64_t>(i), S::kStdout, "line " + std::to_string(first + i)));
}

TEST_F(LogTest, RotationWithOneFileReplacesIt) {
  LogWriter w = open_writer(200, 1);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(w.write(S::kStdout, "n" + std::to_string(i) + "\n", kT0 + i).ok());
  EXPECT_FALSE(fs::exists(path_ + ".1"));
  std::vector<Record> got = read();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().text, "n49");
  EXPECT_LE(file(path_).size(), 200u);
}

TEST_F(LogTest, ReopenAppendsAndCountsTheExistingSize) {
  {
    LogWriter w = open_writer(400, 2);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(w.write(S::kStdout, "first " + std::to_string(i) + "\n", kT0).ok());
  }
  LogWriter w = open_writer(400, 2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(w.write(S::kStdout, "second " + std::to_string(i) + "\n", kT0).ok());
  EXPECT_TRUE(fs::exists(path_ + ".1"));  // 10 records of ~45 bytes do not fit in 400
  std::vector<Record> got = read();
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got.front().text, "first 0");
  EXPECT_EQ(got.back().text, "second 4");
}

TEST_F(LogTest, OpenRejectsBadOptions) {
  EXPECT_FALSE(LogWriter::open(WriterOptions{path_, 100, 0, 0}).ok());
  EXPECT_FALSE(LogWriter::open(WriterOptions{"", 0, 1, 0}).ok());
  EXPECT_FALSE(LogWriter::open(WriterOptions{dir_ + "/no/such/dir/log", 0, 1, 0}).ok());
  LogWriter closed;
  EXPECT_FALSE(closed.write(S::kStdout, "x\n", kT0).ok());
  EXPECT_FALSE(closed.flush(kT0).ok());
}

TEST_F(LogTest, RateLimitDropsAndReports) {
  LogWriter w = open_writer(0, 1, 100);  // 100 B/s, 100 B burst
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w.write(S::kStdout, "123456789\n", kT0).ok());  // 100 bytes: the burst
  ASSERT_TRUE(w.write(S::kStdout, "dropped-1\n", kT0).ok());
  ASSERT_TRUE(w.write(S::kStderr, "dropped-2\n", kT0 + kSecond / 100).ok());  // 1 token back: not enough
  EXPECT_EQ(w.dropped(), 20u);
  ASSERT_TRUE(w.write(S::kStdout, "back\n", kT0 + kSecond / 2).ok());  // 50 tokens
  std::vector<Record> got = read();
  ASSERT_EQ(got.size(), 12u);
  EXPECT_EQ(got[9], rec(kT0, S::kStdout, "123456789"));
  EXPECT_EQ(got[10], rec(kT0 + kSecond / 2, S::kStderr, "hutch: dropped 20 bytes of log output"));
  EXPECT_EQ(got[11], rec(kT0 + kSecond / 2, S::kStdout, "back"));
  // Reported once.
  ASSERT_TRUE(w.write(S::kStdout, "more\n", kT0 + kSecond).ok());
  EXPECT_EQ(read().size(), 13u);
}

TEST_F(LogTest, RateLimitDropsTheRestOfALine) {
  LogWriter w = open_writer(0, 1, 20000);
  std::string line(40000, 'l');
  // The first 16 KiB piece fits; the rest of the line is dropped, and an
  // empty F ends the line already begun.
  ASSERT_TRUE(w.write(S::kStdout, line + "\n", kT0).ok());
  EXPECT_EQ(w.dropped(), 16384u + 7233u);
  ASSERT_TRUE(w.write(S::kStdout, "next\n", kT0 + 2 * kSecond).ok());
  std::vector<Record> want = {rec(kT0, S::kStdout, std::string(kMaxLine, 'l')),
                              rec(kT0 + 2 * kSecond, S::kStderr, "hutch: dropped 23617 bytes of log output"),
                              rec(kT0 + 2 * kSecond, S::kStdout, "next")};
  EXPECT_EQ(read(), want);
}

TEST_F(LogTest, DroppedNoticeWaitsForAnOpenStderrLine) {
  LogWriter w = open_writer(0, 1, 10);
  ASSERT_TRUE(w.write(S::kStderr, "12345", kT0).ok());
  ASSERT_TRUE(w.flush(kT0).ok());                         // stderr P "12345": 5 tokens left
  ASSERT_TRUE(w.write(S::kStdout, "abcdefghij\n", kT0).ok());  // dropped (11)
  ASSERT_TRUE(w.write(S::kStderr, "678\n", kT0).ok());        // 4 tokens: fits, closes the line
  std::vector<Record> want = {rec(kT0, S::kStderr, "12345678"),
                              rec(kT0, S::kStderr, "hutch: dropped 11 bytes of log output")};
  EXPECT_EQ(read(), want);
}

TEST(ParseRecord, Valid) {
  int64_t t;
  Stream s;
  bool partial;
  std::string_view text;
  ASSERT_TRUE(parse_record("2026-11-30T07:40:01.123456789Z stdout F hello world", &t, &s, &partial, &text));
  EXPECT_EQ(t, kT0);
  EXPECT_EQ(s, S::kStdout);
  EXPECT_FALSE(partial);
  EXPECT_EQ(text, "hello world");

  ASSERT_TRUE(parse_record("2026-11-30T07:40:01Z stderr P  two  spaces ", &t, &s, &partial, &text));
  EXPECT_EQ(t, 1796024401 * kSecond);
  EXPECT_EQ(s, S::kStderr);
  EXPECT_TRUE(partial);
  EXPECT_EQ(text, " two  spaces ");

  ASSERT_TRUE(parse_record("2026-11-30T09:40:01.5+02:00 stdout F", &t, &s, &partial, &text));
  EXPECT_EQ(t, 1796024401 * kSecond + kSecond / 2);
  EXPECT_EQ(text, "");
  ASSERT_TRUE(parse_record("2026-11-30T07:40:01.5-00:30 stdout F ", &t, &s, &partial, &text));
  EXPECT_EQ(t, (1796024401 + 1800) * kSecond + kSecond / 2);
  EXPECT_EQ(text, "");
  ASSERT_TRUE(parse_record("2026-11-30T07:40:01Z stdout P:x:y tagged", &t, &s, &partial, &text));
  EXPECT_TRUE(partial);
  EXPECT_EQ(text, "tagged");
  ASSERT_TRUE(parse_record("1970-01-01T00:00:00Z stdout F epoch", &t, &s, &partial, &text));
  EXPECT_EQ(t, 0);
  ASSERT_TRUE(parse_record("1969-12-31T23:59:59.9Z stdout F before", &t, &s, &partial, &text));
  EXPECT_EQ(t, -kSecond / 10);
  ASSERT_TRUE(parse_record("2024-02-29T00:00:00Z stdout F leap", &t, &s, &partial, &text));
  ASSERT_TRUE(parse_record("2000-02-29T00:00:00Z stdout F leap", &t, &s, &partial, &text));
  ASSERT_TRUE(parse_record("2026-01-01T00:00:00Z stdout F tab\tand\rcr", &t, &s, &partial, &text));
  EXPECT_EQ(text, "tab\tand\rcr");
}

TEST(ParseRecord, Invalid) {
  int64_t t;
  Stream s;
  bool partial;
  std::string_view text;
  for (const char* bad : {
           "",
           " ",
           "2026-11-30T07:40:01Z",
           "2026-11-30T07:40:01Z stdout",
           "2026-11-30T07:40:01Z stdout ",
           "2026-11-30T07:40:01Z stdin F x",
           "2026-11-30T07:40:01Z stdout X x",
           "2026-11-30T07:40:01Z stdout FF x",
           "2026-11-30T07:40:01Z  stdout F x",
           "2026-11-30T07:40:01 stdout F x",
           "2026-11-30T07:40:01.Z stdout F x",
           "2026-11-30T07:40:01.1234567890Z stdout F x",
           "2026-11-30T07:40:01ZZ stdout F x",
           "2026-11-30t07:40:01Z stdout F x",
           "2026-13-30T07:40:01Z stdout F x",
           "2026-00-30T07:40:01Z stdout F x",
           "2026-02-29T07:40:01Z stdout F x",
           "1900-02-29T07:40:01Z stdout F x",
           "2026-11-31T07:40:01Z stdout F x",
           "2026-11-30T24:40:01Z stdout F x",
           "2026-11-30T07:60:01Z stdout F x",
           "2026-11-30T07:40:61Z stdout F x",
           "2026-11-30T07:40:01+2:00 stdout F x",
           "2026-11-30T07:40:01+02 stdout F x",
           "2026-11-30T07:40:01+0200 stdout F x",
           "2026-11-30T07:40:01+24:00 stdout F x",
           "+026-11-30T07:40:01Z stdout F x",
           "2263-01-01T00:00:00Z stdout F x",  // past int64 ns
           "1600-01-01T00:00:00Z stdout F x",
           "9999-12-31T23:59:59.999999999Z stdout F x",
       }) {
    EXPECT_FALSE(parse_record(bad, &t, &s, &partial, &text)) << bad;
  }
}

TEST(ParseRecord, FormatRoundTrips) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    // 1678 .. 2261
    int64_t ns = static_cast<int64_t>(rng() % (9000000000ULL * kSecond)) - 4500000000LL * kSecond;
    Stream s = rng() % 2 ? S::kStdout : S::kStderr;
    bool p = rng() % 2;
    std::string line = format_record(ns, s, p, "text");
    line.pop_back();
    int64_t t;
    Stream s2;
    bool p2;
    std::string_view text;
    ASSERT_TRUE(parse_record(line, &t, &s2, &p2, &text)) << line;
    EXPECT_EQ(t, ns) << line;
    EXPECT_EQ(s2, s);
    EXPECT_EQ(p2, p);
    EXPECT_EQ(text, "text");
  }
}

TEST(ParseRecord, RandomBytesNeverCrash) {
  std::mt19937_64 rng(42);
  const std::string base = "2026-11-30T07:40:01.123456789Z stdout F hello";
  const std::string alphabet = "0123456789-:T.Z+ FPstdoureX\n\t\xff";
  int64_t t;
  Stream s;
  bool partial;
  std::string_view text;
  int parsed = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string line;
    if (i % 2) {
      line.resize(rng() % 80);
      for (char& c : line) c = static_cast<char>(rng());
    } else {
      // Mutations of a valid line: flips, cuts, insertions from the alphabet.
      line = base;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        size_t pos = rng() % (line.size() + 1);
        char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 3) {
          case 0: if (pos < line.size()) line[pos] = c; break;
          case 1: line.insert(pos, 1, c); break;
          case 2: line.resize(pos); break;
        }
      }
    }
    if (parse_record(line, &t, &s, &partial, &text)) {
      ++parsed;
      EXPECT_TRUE(text.empty() || (text.data() >= line.data() && text.data() + text.size() <= line.data() + line.size()));
    }
  }
  EXPECT_GT(parsed, 0);
}

TEST_F(LogTest, Cursor) {
  std::string p = dir_ + "/cursor";
  auto c = read_cursor(p);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(*c, 0);
  ASSERT_TRUE(write_cursor(p, kT0).ok());
  c = read_cursor(p);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, kT0);
  ASSERT_TRUE(write_cursor(p, kT0 + 5).ok());
  EXPECT_EQ(*read_cursor(p), kT0 + 5);
  ASSERT_TRUE(fs::write_file(p, "junk\n").ok());
  EXPECT_FALSE(read_cursor(p).ok());
  EXPECT_FALSE(write_cursor(dir_ + "/no/such/dir/cursor", 1).ok());
}

// Not a benchmark: shows that 100k short records take no pathological time
// (one write(2) each), and that a tail of the result does not read it all.
TEST_F(LogTest, HundredThousandShortRecords) {
  LogWriter w = open_writer();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i)
    ASSERT_TRUE(w.write(i % 7 ? S::kStdout : S::kStderr, "record " + std::to_string(i) + "\n", kT0 + i).ok());
  auto wrote = std::chrono::steady_clock::now();
  ReadOptions o;
  o.tail = 3;
  std::vector<Record> tail = read(o);
  auto tailed = std::chrono::steady_clock::now();
  size_t n = 0;
  ASSERT_TRUE(read_log(path_, {}, [&](const Record&) { return ++n, true; }).ok());
  auto all = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count(); };
  std::printf("100k records: write %lld ms, tail 3 %lld ms, read all %lld ms, %zu bytes\n",
              static_cast<long long>(ms(start, wrote)), static_cast<long long>(ms(wrote, tailed)),
              static_cast<long long>(ms(tailed, all)), file(path_).size());
  EXPECT_EQ(n, 100000u);
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].text, "record 99997");
  EXPECT_EQ(tail[2].text, "record 99999");
}

}  // namespace
}  // namespace hutch::logs
