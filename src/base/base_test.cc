// Unit tests for base: Error/Result, string helpers, file-system helpers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>

#include "base/error.h"
#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"

namespace hutch {
namespace {

namespace stdfs = std::filesystem;

// ---- Error and Result ----

TEST(Error, MessageChainsContextOutermostFirstThenErrnoText) {
  Error e(ENOENT, "open \"/x\"");
  e.context("mount proc").context("create container");
  EXPECT_EQ(e.message(), "create container: mount proc: open \"/x\": " + std::string(std::strerror(ENOENT)));
  EXPECT_EQ(e.code(), ENOENT);
  EXPECT_EQ(e.innermost(), "open \"/x\"");
}

TEST(Error, PlainOmitsErrnoTextButKeepsCode) {
  Error e = Error::plain(EINVAL, "config: bad");
  EXPECT_EQ(e.message(), "config: bad");
  EXPECT_EQ(e.code(), EINVAL);
  e.context("parse");
  EXPECT_EQ(e.message(), "parse: config: bad");
}

TEST(Error, CodeZeroHasNoErrnoTextAndEmptyStepsAreSkipped) {
  Error e(0, "hook failed");
  EXPECT_EQ(e.message(), "hook failed");
  e.context("");
  e.context("run");
  EXPECT_EQ(e.message(), "run: hook failed");
  EXPECT_EQ(Error(EPERM, "").message(), std::strerror(EPERM));
}

TEST(Error, FromErrnoAndWithContext) {
  errno = EACCES;
  Error e = Error::from_errno("open");
  EXPECT_EQ(e.code(), EACCES);
  Error e2 = std::move(e).with_context("outer");
  EXPECT_EQ(e2.message(), "outer: open: " + std::string(std::strerror(EACCES)));
}

TEST(Result, HoldsValueOrError) {
  Result<std::string> ok(std::string("v"));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, "v");
  EXPECT_EQ(ok->size(), 1u);
  std::string moved = std::move(ok).value();
  EXPECT_EQ(moved, "v");

  Result<int> bad(Error(EIO, "x"));
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(bad.error().code(), EIO);
}

TEST(Result, VoidDefaultsToSuccess) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status o = Ok{};
  EXPECT_TRUE(o.ok());
  Status f = Error(EBUSY, "busy");
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.error().code(), EBUSY);
}

Status fails_with(int code) { return Error(code, "inner"); }
Status succeeds() { return {}; }
int g_after_try = 0;

Status uses_try(bool fail) {
  TRY(fail ? fails_with(ENOSPC) : succeeds());
  ++g_after_try;
  return {};
}

Status uses_try_ctx() {
  TRY_CTX(fails_with(EROFS), "write state");
  return {};
}

Result<int> maybe_int(bool fail) {
  if (fail) return Error::plain(EINVAL, "no int");
  return 42;
}

Result<int> uses_assign(bool fail) {
  ASSIGN_OR_RETURN(int v, maybe_int(fail));
  ASSIGN_OR_RETURN(int w, maybe_int(false));  // two on separate lines must not clash
  return v + w;
}

TEST(Macros, TryReturnsTheErrorAndSkipsTheRest) {
  g_after_try = 0;
  auto s = uses_try(true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ENOSPC);
  EXPECT_EQ(g_after_try, 0);
  EXPECT_TRUE(uses_try(false).ok());
  EXPECT_EQ(g_after_try, 1);
}

TEST(Macros, TryCtxAddsTheStep) {
  auto s = uses_try_ctx();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "write state: inner: " + std::string(std::strerror(EROFS)));
}

TEST(Macros, AssignOrReturnUnwrapsOrPropagates) {
  auto r = uses_assign(false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 84);
  auto e = uses_assign(true);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message(), "no int");
}

// ---- strings ----

TEST(Strings, Split) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split("a,b,c", ','), (V{"a", "b", "c"}));
  EXPECT_EQ(split("", ','), (V{""}));
  EXPECT_EQ(split("a,,b,", ','), (V{"a", "", "b", ""}));
  EXPECT_EQ(split(",", ','), (V{"", ""}));
  EXPECT_EQ(split("abc", ','), (V{"abc"}));
  EXPECT_EQ(split("/usr/bin:/bin", ':'), (V{"/usr/bin", "/bin"}));
}

TEST(Strings, TrimStartsWithJoin) {
  EXPECT_EQ(trim("  a b\t\r\n"), "a b");
  EXPECT_EQ(trim(" \t\n "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_TRUE(starts_with("SIGKILL", "SIG"));
  EXPECT_TRUE(starts_with("abc", ""));
  EXPECT_FALSE(starts_with("SI", "SIG"));
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(join({"one"}, ","), "one");
}

TEST(Strings, ParseInt) {
  EXPECT_EQ(parse_int("0"), 0);
  EXPECT_EQ(parse_int("-17"), -17);
  EXPECT_EQ(parse_int("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parse_int("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(parse_int("9223372036854775808"), std::nullopt);  // overflow
  EXPECT_EQ(parse_int("-9223372036854775809"), std::nullopt);
  for (const char* junk : {"", "-", " 1", "1 ", "1a", "0x10", "1e3", "1.5", "--1", "\n"})
    EXPECT_EQ(parse_int(junk), std::nullopt) << '"' << junk << '"';
}

TEST(Strings, ParseUint) {
  EXPECT_EQ(parse_uint("0"), 0u);
  EXPECT_EQ(parse_uint("18446744073709551615"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(parse_uint("18446744073709551616"), std::nullopt);
  for (const char* junk : {"", "-1", "-0", "+1", " 1", "1 ", "12x", "0x1"})
    EXPECT_EQ(parse_uint(junk), std::nullopt) << '"' << junk << '"';
}

TEST(Strings, JsonEscape) {
  EXPECT_EQ(json_escape("plain/text"), "plain/text");
  EXPECT_EQ(json_escape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(json_escape("\n\r\t"), "\\n\\r\\t");
  EXPECT_EQ(json_escape(std::string_view("\x01\x1f\0", 3)), "\\u0001\\u001f\\u0000");
  EXPECT_EQ(json_escape("\x7f"), "\x7f");
  EXPECT_EQ(json_escape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through
  EXPECT_EQ(json_escape(""), "");
}

TEST(Strings, FormatRfc3339) {
  EXPECT_EQ(format_rfc3339({1136214245, 999999999}), "2006-01-02T15:04:05.999999999Z");
  EXPECT_EQ(format_rfc3339({1136214245, 1}), "2006-01-02T15:04:05.000000001Z");
  EXPECT_EQ(format_rfc3339({1709164800 + 3723, 123456789}), "2024-02-29T01:02:03.123456789Z");
  EXPECT_EQ(format_rfc3339({946684799, 999999999}), "1999-12-31T23:59:59.999999999Z");
}

// ---- fs ----

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-base-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    stdfs::remove_all(dir_, ec);
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : stdfs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string dir_;
};

TEST_F(FsTest, WriteFileAtomicLeavesOnlyTheFile) {
  std::string p = dir_ + "/state.json";
  ASSERT_TRUE(fs::write_file_atomic(p, "one", 0600).ok());
  ASSERT_TRUE(fs::write_file_atomic(p, "two-longer", 0600).ok());
  auto text = fs::read_file(p);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text, "two-longer");
  EXPECT_EQ(names(), std::vector<std::string>{"state.json"});
  EXPECT_FALSE(fs::exists(p + ".tmp"));
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(FsTest, WriteFileAtomicIntoMissingDirFailsAndCreatesNothing) {
  auto s = fs::write_file_atomic(dir_ + "/missing/state.json", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ENOENT);
  EXPECT_NE(s.error().message().find("missing/state.json.tmp"), std::string::npos) << s.error().message();
  EXPECT_TRUE(names().empty());
}

TEST_F(FsTest, ReadWriteAndWriteExisting) {
  std::string p = dir_ + "/f";
  ASSERT_TRUE(fs::write_file(p, "hello").ok());
  ASSERT_TRUE(fs::write_file(p, "hi").ok());  // truncates
  EXPECT_EQ(*fs::read_file(p), "hi");
  ASSERT_TRUE(fs::write_existing(p, "HI").ok());
  EXPECT_EQ(*fs::read_file(p), "HI");
  auto s = fs::write_existing(dir_ + "/nope", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ENOENT);
  EXPECT_FALSE(fs::exists(dir_ + "/nope"));
  auto r = fs::read_file(dir_ + "/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().innermost(), "open \"" + dir_ + "/nope\"");
}

TEST_F(FsTest, ReadFileHandlesLargeContent) {
  std::string big(100000, 'x');
  big[54321] = 'y';
  ASSERT_TRUE(fs::write_file(dir_ + "/big", big).ok());
  UniqueFd d(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto r = fs::read_file_at(d.get(), "big");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, big);
}

TEST_F(FsTest, MkdirP) {
  ASSERT_TRUE(fs::mkdir_p(dir_ + "/a/b//c/", 0700).ok());
  EXPECT_TRUE(stdfs::is_directory(dir_ + "/a/b/c"));
  ASSERT_TRUE(fs::mkdir_p(dir_ + "/a/b/c").ok());  // exists: fine
  EXPECT_TRUE(fs::mkdir_p("").ok());
  ASSERT_TRUE(fs::write_file(dir_ + "/file", "").ok());
  auto s = fs::mkdir_p(dir_ + "/file/sub");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ENOTDIR);
  EXPECT_EQ(s.error().innermost(), "mkdir \"" + dir_ + "/file/sub\"");
}

TEST_F(FsTest, MkdirPRelative) {
  char old[PATH_MAX];
  ASSERT_NE(::getcwd(old, sizeof old), nullptr);
  ASSERT_EQ(::chdir(dir_.c_str()), 0);
  auto s = fs::mkdir_p("rel/x");
  ASSERT_EQ(::chdir(old), 0);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_TRUE(stdfs::is_directory(dir_ + "/rel/x"));
}

TEST_F(FsTest, RemoveAllDoesNotFollowSymlinks) {
  std::string outside = dir_ + "/outside";
  ASSERT_TRUE(fs::mkdir_p(outside + "/keep").ok());
  ASSERT_TRUE(fs::write_file(outside + "/precious", "data").ok());
  std::string tree = dir_ + "/tree";
  ASSERT_TRUE(fs::mkdir_p(tree + "/d1/d2").ok());
  ASSERT_TRUE(fs::write_file(tree + "/d1/d2/f", "x").ok());
  ASSERT_EQ(::symlink(outside.c_str(), (tree + "/d1/link").c_str()), 0);
  ASSERT_EQ(::symlink((outside + "/precious").c_str(), (tree + "/filelink").c_str()), 0);
  ASSERT_EQ(::symlink("/nonexistent", (tree + "/dangling").c_str()), 0);

  auto s = fs::remove_all(tree);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_FALSE(stdfs::exists(stdfs::symlink_status(tree)));
  EXPECT_TRUE(stdfs::is_directory(outside + "/keep"));
  EXPECT_EQ(*fs::read_file(outside + "/precious"), "data");
}

TEST_F(FsTest, RemoveAllOnASymlinkRemovesOnlyTheLink) {
  std::string outside = dir_ + "/outside";
  ASSERT_TRUE(fs::mkdir_p(outside).ok());
  ASSERT_TRUE(fs::write_file(outside + "/f", "x").ok());
  ASSERT_EQ(::symlink(outside.c_str(), (dir_ + "/link").c_str()), 0);
  ASSERT_TRUE(fs::remove_all(dir_ + "/link").ok());
  EXPECT_FALSE(stdfs::exists(stdfs::symlink_status(dir_ + "/link")));
  EXPECT_TRUE(stdfs::exists(outside + "/f"));
}

TEST_F(FsTest, RemoveAllMissingAndSingleFile) {
  EXPECT_TRUE(fs::remove_all(dir_ + "/missing").ok());
  ASSERT_TRUE(fs::write_file(dir_ + "/f", "x").ok());
  EXPECT_TRUE(fs::remove_all(dir_ + "/f").ok());
  EXPECT_FALSE(fs::exists(dir_ + "/f"));
}

TEST(FsPaths, DirnameBasename) {
  EXPECT_EQ(fs::dirname("/a/b/c"), "/a/b");
  EXPECT_EQ(fs::dirname("/a"), "/");
  EXPECT_EQ(fs::dirname("a"), ".");
  EXPECT_EQ(fs::basename("/a/b/c"), "c");
  EXPECT_EQ(fs::basename("c"), "c");
  EXPECT_EQ(fs::basename("/a/"), "");
}

TEST(FsPaths, Absolute) {
  EXPECT_EQ(fs::absolute("/a/./b/../c"), "/a/c");
  EXPECT_EQ(fs::absolute("/../../x"), "/x");
  EXPECT_EQ(fs::absolute("/"), "/");
  EXPECT_EQ(fs::absolute("//a//b/"), "/a/b");
  char cwd[PATH_MAX];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  std::string c = cwd;
  EXPECT_EQ(fs::absolute("x/y"), (c == "/" ? "" : c) + "/x/y");
  EXPECT_EQ(fs::absolute("."), c);
  EXPECT_EQ(fs::absolute(""), c);
  EXPECT_EQ(fs::absolute("x/./.."), c);
}

// ---- trace ----

// The trace file is opened at a process's first mark: this is the only
// test here that marks.
TEST_F(FsTest, TraceMarksAppendTimedLines) {
  std::string path = dir_ + "/trace";
  ::setenv("HUTCH_TRACE", path.c_str(), 1);
  trace::mark("first step");
  trace::mark_usage("exit");
  ::unsetenv("HUTCH_TRACE");
  auto text = fs::read_file(path);
  ASSERT_TRUE(text.ok());
  auto lines = split(trim(*text), '\n');
  ASSERT_EQ(lines.size(), 2u) << *text;
  std::string pid = " " + std::to_string(::getpid()) + " ";
  EXPECT_NE(lines[0].find(pid + "first step"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(pid + "exit: cpu user "), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("minor faults"), std::string::npos) << lines[1];
  // "<seconds>.<micros>" first.
  EXPECT_TRUE(parse_int(lines[0].substr(0, lines[0].find('.'))).has_value()) << lines[0];
}

}  // namespace
}  // namespace hutch
