// Tar-split end to end, unprivileged: a layer unpacked by LayerStore is
// rebuilt byte for byte (so sha256 = diff_id) for every tar shape a layer
// may hold, from files, memfds and pipes in odd chunks; replaced entries
// make the split unusable; a changed layer is never passed off as the
// original.
#include "image/layer_tar.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <thread>

#include "base/fs.h"
#include "image/internal/tar_split.h"
#include "image/internal/test_tar.h"
#include "image/layer_store.h"

namespace hutch::image {
namespace {

using namespace testutil;

class LayerTarTest : public ::testing::Test {
 protected:
  // Unpacks `bytes` as a base layer; returns its chain ID (= diff_id).
  Digest unpack(std::string_view bytes) {
    UniqueFd fd = memfd_with(bytes);
    auto r = store_.unpack_base(fd.get(), true);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : Digest{};
  }
  // The rebuilt tar, or the error text prefixed with "error: ".
  std::string rebuild(const Digest& chain) {
    auto r = store_.open_tar(chain);
    if (!r.ok()) return "error: " + r.error().message();
    std::string out;
    for (;;) {
      auto v = r->next();
      if (!v.ok()) return "error: " + v.error().message();
      if (v->empty()) return out;
      out.append(*v);
    }
  }
  // The paths whose data the layer's split references, in order.
  std::vector<std::string> referenced(const Digest& chain) {
    std::vector<std::string> out;
    UniqueFd fd(::open((store_.dir(chain) + "/tar-split").c_str(), O_RDONLY | O_CLOEXEC));
    internal::SplitReader r(fd.get());
    for (;;) {
      auto rec = r.next();
      EXPECT_TRUE(rec.ok()) << rec.error().message();
      if (!rec.ok() || rec->kind == internal::SplitRecord::Kind::kEnd) return out;
      if (rec->kind == internal::SplitRecord::Kind::kFile) out.push_back(rec->path);
    }
  }
  // Unpacks and checks the rebuilt tar is the plain tar, byte for byte, and
  // that the split references exactly `files`.
  void round_trip(const std::string& plain, std::string_view input, const std::vector<std::string>& files) {
    Digest chain = unpack(input);
    ASSERT_EQ(chain.str(), sha256_of(plain).str());
    ASSERT_TRUE(store_.has_tar_split(chain));
    EXPECT_EQ(referenced(chain), files);
    std::string got = rebuild(chain);
    EXPECT_EQ(got.size(), plain.size()) << got.substr(0, 200);
    EXPECT_TRUE(got == plain);
    EXPECT_LT(store_.tar_split_size(chain), plain.size());
    ASSERT_TRUE(store_.remove(chain).ok());
  }
  void round_trip(const std::string& plain, const std::vector<std::string>& files) {
    round_trip(plain, plain, files);
    round_trip(plain, gzip(plain), files);
    round_trip(plain, zstd(plain), files);
  }
  std::string file_path(const Digest& chain, const std::string& rel) { return store_.diff_dir(chain) + "/" + rel; }

  LayerDir dir_{"tarsplit"};
  LayerStore store_{dir_.base() + "/store"};
};

TarEntry with_xattrs(TarEntry e) {
  e.xattrs = {{"user.mime", "text/plain"}, {"user.bin", std::string("\0\1\2", 3)}};
  return e;
}

const std::string kDeep = std::string(100, 'a') + "/" + std::string(150, 'b') + "/" + std::string(250, 'c');

std::vector<TarEntry> everything() {
  std::string a(100, 'a');
  std::string deep = kDeep;
  std::string big(300000, '\0');
  std::mt19937 rng(7);  // incompressible: the split must not hold it
  for (char& ch : big) ch = static_cast<char>(rng());
  return {
      dir("./"),
      dir("etc/", 0750),
      file("etc/hosts", "127.0.0.1 localhost\n", 0640),
      file("etc/empty", ""),
      file("etc/511", std::string(511, '1')),
      file("etc/512", std::string(512, '2')),
      file("etc/513", std::string(513, '3')),
      file("big", big, 0755),
      file(deep, "deep"),
      symlink(a + "/link", std::string(300, 't')),
      symlink("etc/rel", "hosts"),
      hardlink("etc/hosts.hl", "etc/hosts"),
      hardlink(a + "/deep.hl", deep),
      with_xattrs(file("etc/xattr", "x")),
      dir("etc/ro/", 0555),
      file("etc/ro/inside", "ro"),
      file("etc/.wh.gone", ""),  // a whiteout of a lower layer's file
      file("exec", "#!/bin/sh\n", 0700),
  };
}

// Every regular file with data, but not empty files or the whiteout.
const std::vector<std::string> kEverythingFiles = {"etc/hosts", "etc/511", "etc/512",     "etc/513",      "big",
                                                   kDeep,       "etc/xattr", "etc/ro/inside", "exec"};

TEST_F(LayerTarTest, RebuildsPaxLayersExactly) {
  std::string plain = build_tar(everything(), TarFormat::kPax);
  round_trip(plain, kEverythingFiles);
  Digest chain = unpack(plain);
  EXPECT_LT(store_.tar_split_size(chain), 20000u);  // headers only
}

TEST_F(LayerTarTest, RebuildsGnuLayersExactly) {
  round_trip(build_tar(everything(), TarFormat::kGnu), kEverythingFiles);
}

TEST_F(LayerTarTest, RebuildsUstarLayersExactly) {
  round_trip(build_tar({dir("d/"), file("d/f", "data"), file("g", std::string(70000, 'g')), symlink("l", "d/f")},
                       TarFormat::kUstar),
             {"d/f", "g"});
}

TEST_F(LayerTarTest, RebuildsNamesAsNormalised) {
  round_trip(build_tar({file("./a", "1"), file("/abs/b", "2"), file("x/../c", "3"), file("d//e", "4")}),
             {"a", "abs/b", "c", "d/e"});
}

TEST_F(LayerTarTest, RebuildsLayersWithASparseFileKeptRaw) {
  TarEntry s = file("sparse", "abcdefgh");
  s.sparse = {{0, 4}, {1 << 20, 4}};
  s.size = (1 << 20) + 4;
  round_trip(build_tar({file("before", "b"), s, file("after", "a")}, TarFormat::kPax), {"before", "after"});
}

TEST_F(LayerTarTest, RebuildsAnEmptyLayer) {
  round_trip(build_tar({}), {});
  Digest chain = unpack("");
  ASSERT_TRUE(store_.has_tar_split(chain));
  EXPECT_EQ(rebuild(chain), "");
}

TEST_F(LayerTarTest, RebuildsLayersReadFromAPipeInOddPieces) {
  std::string plain = build_tar(everything(), TarFormat::kPax);
  for (std::string input : {plain, zstd(plain)}) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    UniqueFd rd(p[0]), wr(p[1]);
    std::thread writer([&] {
      std::mt19937 rng(42);
      size_t sizes[] = {1, 7, 100, 511, 512, 513, 4096, 20000};
      size_t done = 0;
      while (done < input.size()) {
        size_t n = std::min(sizes[rng() % 8], input.size() - done);
        ssize_t w = ::write(wr.get(), input.data() + done, n);
        if (w <= 0) break;
        done += static_cast<size_t>(w);
        if (rng() % 4 == 0) std::this_thread::yield();
      }
      wr.reset();
    });
    auto r = store_.unpack_base(rd.get(), true);
    writer.join();
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_TRUE(store_.has_tar_split(*r));
    EXPECT_EQ(referenced(*r), kEverythingFiles);
    EXPECT_TRUE(rebuild(*r) == plain);
    ASSERT_TRUE(store_.remove(*r).ok());
  }
}

TEST_F(LayerTarTest, WriteTarWritesTheSameBytes) {
  std::string plain = build_tar(everything(), TarFormat::kGnu);
  Digest chain = unpack(gzip(plain));
  std::string out = dir_.base() + "/out.tar";
  UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(store_.write_tar(chain, fd.get()).ok());
  EXPECT_TRUE(fs::read_file(out).value() == plain);
  auto r = store_.open_tar(chain);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), plain.size());
  EXPECT_EQ(r->diff_id().str(), chain.str());
}

// GNU tar's own formats: old GNU sparse headers ('S' with extension
// blocks), pax with GNU.sparse 1.0 maps, long names, hardlinks.
TEST_F(LayerTarTest, RebuildsTarsWrittenByGnuTar) {
  if (::access("/usr/bin/tar", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/tar";
  std::string src = dir_.base() + "/src";
  std::string long_dir = src + "/" + std::string(120, 'l');
  ASSERT_TRUE(fs::mkdir_p(long_dir).ok());
  ASSERT_TRUE(fs::write_file(long_dir + "/" + std::string(130, 'n'), "long").ok());
  ASSERT_TRUE(fs::write_file(src + "/plain", std::string(100000, 'p')).ok());
  ASSERT_EQ(::link((src + "/plain").c_str(), (src + "/plain.hl").c_str()), 0);
  ASSERT_EQ(::symlink("plain", (src + "/sym").c_str()), 0);
  {
    UniqueFd f(::open((src + "/sparse").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    ASSERT_TRUE(f);
    ASSERT_EQ(::pwrite(f.get(), "head", 4, 0), 4);
    ASSERT_EQ(::pwrite(f.get(), "tail", 4, 4 << 20), 4);
  }
  for (std::string format : {"gnu", "posix"}) {
    SCOPED_TRACE(format);
    std::string out = dir_.base() + "/" + format + ".tar";
    std::string cmd = "/usr/bin/tar --sparse --format=" + format + " -C " + src + " -cf " + out + " . 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::string plain = fs::read_file(out).value();
    Digest chain = unpack(plain);
    ASSERT_TRUE(store_.has_tar_split(chain));
    auto files = referenced(chain);
    EXPECT_NE(std::find(files.begin(), files.end(), "plain"), files.end());
    EXPECT_EQ(std::find(files.begin(), files.end(), "sparse"), files.end());
    EXPECT_TRUE(rebuild(chain) == plain);
    ASSERT_TRUE(store_.remove(chain).ok());
  }
}

TEST_F(LayerTarTest, ReplacedEntriesMakeTheSplitUnusable) {
  struct Case {
    const char* what;
    std::vector<TarEntry> entries;
  };
  std::vector<Case> cases = {
      {"duplicate file", {file("f", "one"), file("f", "two")}},
      {"whiteout of a file", {file("d/f", "one"), file("d/.wh.f", "")}},
      {"whiteout of a directory", {file("d/sub/f", "one"), file(".wh.d", "")}},
      {"file over a directory", {file("d/sub/f", "one"), file("d", "now a file")}},
      {"symlink over a file", {file("f", "one"), symlink("f", "/etc/passwd")}},
      {"hardlink over a file", {file("f", "one"), file("g", "two"), hardlink("f", "g")}},
      {"directory over a file", {file("f", "one"), dir("f/")}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::string plain = build_tar(c.entries);
    Digest chain = unpack(plain);
    ASSERT_TRUE(store_.has(chain));
    EXPECT_FALSE(store_.has_tar_split(chain));
    EXPECT_EQ(store_.tar_split_size(chain), 0u);
    auto r = store_.open_tar(chain);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ENOENT);
    ASSERT_TRUE(store_.remove(chain).ok());
  }
}

TEST_F(LayerTarTest, HarmlessRepeatsKeepTheSplit) {
  // A directory twice merges; a name that only held a hardlink or an
  // empty file may be replaced: no referenced data is lost.
  round_trip(build_tar({dir("d/"), file("d/f", "one"), dir("d/", 0700), file("e", ""), file("e", "now"),
                        hardlink("h", "d/f"), file("h", "own data")}),
             {"d/f", "e", "h"});
}

TEST_F(LayerTarTest, AChangedLayerIsNeverPassedOffAsTheOriginal) {
  std::string plain = build_tar({file("a", "aaaa"), file("b", std::string(5000, 'b')), file("c", "cc")});
  auto expect_error = [&](const Digest& chain, const std::string& part) {
    std::string got = rebuild(chain);
    EXPECT_EQ(got.rfind("error: ", 0), 0u) << got.substr(0, 100);
    EXPECT_NE(got.find(part), std::string::npos) << got;
  };
  Digest chain = unpack(plain);
  // Same size, other bytes: only the digest can tell.
  ASSERT_TRUE(fs::write_file(file_path(chain, "a"), "AAAA").ok());
  expect_error(chain, "not the layer's diff_id");
  ASSERT_TRUE(fs::write_file(file_path(chain, "a"), "aaaa").ok());
  EXPECT_TRUE(rebuild(chain) == plain);
  // Other size.
  ASSERT_TRUE(fs::write_file(file_path(chain, "b"), "short").ok());
  expect_error(chain, "\"b\"");
  // A symlink where the file was: never followed, even to a same-sized file.
  ASSERT_TRUE(fs::write_file(dir_.outside() + "/b", std::string(5000, 'b')).ok());
  ASSERT_EQ(::unlink(file_path(chain, "b").c_str()), 0);
  ASSERT_EQ(::symlink((dir_.outside() + "/b").c_str(), file_path(chain, "b").c_str()), 0);
  expect_error(chain, "\"b\"");
  ASSERT_EQ(::unlink(file_path(chain, "b").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../outside/b", file_path(chain, "b").c_str()), 0);
  expect_error(chain, "\"b\"");
  // A fifo: refused, not waited on.
  ASSERT_EQ(::unlink(file_path(chain, "b").c_str()), 0);
  ASSERT_EQ(::mkfifo(file_path(chain, "b").c_str(), 0600), 0);
  expect_error(chain, "not a regular file");
  // Gone.
  ASSERT_EQ(::unlink(file_path(chain, "b").c_str()), 0);
  expect_error(chain, "\"b\"");
  // A damaged split.
  ASSERT_TRUE(fs::write_file(store_.dir(chain) + "/tar-split", "garbage").ok());
  expect_error(chain, "tar-split");
}

TEST_F(LayerTarTest, ReadingAfterAnErrorFails) {
  Digest chain = unpack(build_tar({file("a", "aaaa")}));
  ASSERT_EQ(::unlink(file_path(chain, "a").c_str()), 0);
  auto r = store_.open_tar(chain);
  ASSERT_TRUE(r.ok());
  Status last;
  for (int i = 0; i < 10 && last.ok(); ++i) {
    auto v = r->next();
    if (!v.ok()) last = std::move(v).error();
  }
  ASSERT_FALSE(last.ok());
  EXPECT_FALSE(r->next().ok());
}

}  // namespace
}  // namespace hutch::image
