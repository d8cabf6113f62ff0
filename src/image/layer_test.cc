// apply_layer without privileges: contents, metadata, formats, compression,
// diff_id, and hostile or broken streams. Whiteouts, trusted.* xattrs,
// owners and devices are in layer_root_test.cc.
#include "image/layer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <thread>

#include "base/fs.h"
#include "image/internal/layer_fixture.h"

namespace hutch::image {
namespace {

using namespace testutil;  // the tar builders

TarEntry with_mtime(TarEntry e, int64_t mtime) {
  e.mtime = mtime;
  return e;
}

TEST_F(LayerTest, FilesDirsLinksAndMetadata) {
  std::vector<TarEntry> entries = {
      dir("./", 0755),
      with_mtime(dir("etc/", 0750), 1111),
      file("etc/hosts", "127.0.0.1 localhost\n", 0640),
      file("bin/tool", "#!/bin/sh\n", 0755),  // parent not in the tar
      with_mtime(dir("ro/", 0555), 2222),     // read-only, children follow
      file("ro/inside", "x"),
      symlink("etc/link", "../bin/tool"),
      symlink("abs", "/etc/hosts"),
      hardlink("etc/hosts.hl", "etc/hosts"),
      file("empty", ""),
      file("exec", "", 0700),
  };
  entries.push_back(with_mtime(file("old", "o"), 12345));
  std::string tar = build_tar(entries);
  auto r = apply(tar);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->entries, entries.size());
  EXPECT_EQ(r->diff_id.str(), sha256_of(tar).str());
  EXPECT_EQ(r->unpacked_bytes, std::string("127.0.0.1 localhost\n#!/bin/sh\nxo").size());

  EXPECT_EQ(read("etc/hosts"), "127.0.0.1 localhost\n");
  EXPECT_EQ(lstat_of("etc/hosts").st_mode & 07777, 0640u);
  EXPECT_EQ(lstat_of("bin/tool").st_mode & 07777, 0755u);
  EXPECT_EQ(lstat_of("bin").st_mode & 07777, 0755u);  // made as a parent
  EXPECT_EQ(lstat_of("exec").st_mode & 07777, 0700u);
  EXPECT_EQ(lstat_of("etc").st_mode & 07777, 0750u);
  EXPECT_EQ(lstat_of("ro").st_mode & 07777, 0555u);
  EXPECT_EQ(read("ro/inside"), "x");
  EXPECT_EQ(readlink("etc/link"), "../bin/tool");
  EXPECT_EQ(readlink("abs"), "/etc/hosts");  // stored as written, not followed
  EXPECT_EQ(lstat_of("etc/hosts.hl").st_ino, lstat_of("etc/hosts").st_ino);
  EXPECT_EQ(lstat_of("etc/hosts").st_nlink, 2u);
  EXPECT_EQ(lstat_of("old").st_mtim.tv_sec, 12345);
  // Directory times are applied last, so children do not bump them.
  EXPECT_EQ(lstat_of("etc").st_mtim.tv_sec, 1111);
  EXPECT_EQ(lstat_of("ro").st_mtim.tv_sec, 2222);
  EXPECT_EQ(lstat_of("etc/link").st_mtim.tv_sec, 1500000000);
  struct stat root {};
  ASSERT_EQ(::fstat(dir_.root_fd(), &root), 0);
  EXPECT_EQ(root.st_mode & 07777, 0755u);
  EXPECT_EQ(dir_.stray_entries(), std::vector<std::string>{});
}

std::vector<TarEntry> sample() {
  return {dir("d/"), file("d/f", std::string(200000, 'z')), symlink("d/l", "f"), file("g", "hello")};
}

TEST_F(LayerTest, DiffIdIsTheSha256OfThePlainTarForEveryCompression) {
  std::string plain = build_tar(sample());
  Digest want = sha256_of(plain);
  // libarchive's own compressors: the tar inside is padded differently, and
  // the compressed output is padded with zeros to a block.
  std::string la_gzip = build_tar(sample(), TarFormat::kPax, TarFilter::kGzip);
  std::string la_zstd = build_tar(sample(), TarFormat::kPax, TarFilter::kZstd);
  struct Case {
    const char* name;
    std::string bytes;
    Digest want;
  } cases[] = {
      {"plain", plain, want},
      {"gzip", gzip(plain), want},
      {"zstd", zstd(plain), want},
      {"libarchive gzip", la_gzip, sha256_of(decompress(la_gzip))},
      {"libarchive zstd", la_zstd, sha256_of(decompress(la_zstd))},
      // Two gzip members back to back (RFC 1952 2.2), split mid-header.
      {"gzip members", gzip(plain.substr(0, 700)) + gzip(plain.substr(700)), want},
      {"zstd frames", zstd(plain.substr(0, 700)) + zstd(plain.substr(700)), want},
      // Zero padding after the stream, as block-writing tools add.
      {"gzip padded", gzip(plain) + std::string(9000, '\0'), want},
      {"zstd padded", zstd(plain) + std::string(9000, '\0'), want},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    LayerDir d("layer-z");
    UniqueFd fd = memfd_with(c.bytes);
    auto r = apply_layer(fd.get(), d.root_fd(), kUnprivileged);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->diff_id.str(), c.want.str());
    EXPECT_EQ(r->diff_id.algorithm, "sha256");
    EXPECT_EQ(r->entries, 4u);
    EXPECT_EQ(r->unpacked_bytes, 200005u);
    auto f = fs::read_file(d.path("d/f"));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(*f, std::string(200000, 'z'));
  }
}

TEST_F(LayerTest, ReadsFromAPipe) {
  std::string bytes = zstd(build_tar(sample()));
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd rd(p[0]), wr(p[1]);
  std::thread writer([&] {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(wr.get(), bytes.data() + done, std::min<size_t>(4096, bytes.size() - done));
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    wr.reset();
  });
  auto r = apply_layer(rd.get(), dir_.root_fd(), kUnprivileged);
  writer.join();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->diff_id.str(), sha256_of(build_tar(sample())).str());
  EXPECT_EQ(readlink("d/l"), "f");
}

TEST_F(LayerTest, LongNamesInPaxAndGnuFormats) {
  std::string a(100, 'a'), b(150, 'b'), c(250, 'c');
  std::string mid = a + "/" + b;     // 251 bytes
  std::string deep = mid + "/" + c;  // 502 bytes
  std::string target(300, 't');
  for (TarFormat format : {TarFormat::kPax, TarFormat::kGnu}) {
    SCOPED_TRACE(format == TarFormat::kPax ? "pax" : "gnu");
    LayerDir d("layer-long");
    std::vector<TarEntry> entries = {
        file(a + "/short-parent", "1"),
        file(deep, "2"),
        symlink(mid + "/link", target),
        hardlink(mid + "/hl", deep),
    };
    UniqueFd fd = memfd_with(build_tar(entries, format));
    auto r = apply_layer(fd.get(), d.root_fd(), kUnprivileged);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(fs::read_file(d.path(deep)).value(), "2");
    char buf[512];
    ssize_t n = ::readlink(d.path(mid + "/link").c_str(), buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n > 0 ? n : 0), target);
    struct stat s1, s2;
    ASSERT_EQ(::stat(d.path(deep).c_str(), &s1), 0);
    ASSERT_EQ(::stat(d.path(mid + "/hl").c_str(), &s2), 0);
    EXPECT_EQ(s1.st_ino, s2.st_ino);
  }
}

TEST_F(LayerTest, UstarNamesSplitIntoPrefix) {
  std::string name = std::string(120, 'p') + "/file";  // prefix + name fields
  auto r = apply(build_tar({file(name, "u")}, TarFormat::kUstar));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(read(name), "u");
}

bool user_xattrs_supported(const std::string& dir) {
  std::string p = dir + "/.xattr-probe";
  int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::fsetxattr(fd, "user.probe", "1", 1, 0) == 0;
  ::close(fd);
  ::unlink(p.c_str());
  return ok;
}

TEST_F(LayerTest, PaxXattrs) {
  if (!user_xattrs_supported(dir_.base())) GTEST_SKIP() << "the temp file system has no user xattrs";
  TarEntry f = file("f", "data");
  f.xattrs = {{"user.mime", "text/plain"}, {"user.bin", std::string("\0\1\2", 3)}};
  TarEntry d = dir("d/");
  d.xattrs = {{"user.dir", "yes"}};
  // overlayfs' own xattrs steer lookups across layers: never taken from a tar.
  TarEntry o = file("o", "");
  o.xattrs = {{"trusted.overlay.redirect", "/etc"}, {"user.overlay.origin", "x"}, {"user.kept", "1"}};
  auto r = apply({f, d, o});
  ASSERT_TRUE(r.ok()) << r.error().message();
  char buf[64];
  ssize_t n = ::lgetxattr(dir_.path("f").c_str(), "user.mime", buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "text/plain");
  n = ::lgetxattr(dir_.path("f").c_str(), "user.bin", buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), std::string("\0\1\2", 3));
  n = ::lgetxattr(dir_.path("d").c_str(), "user.dir", buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "yes");
  EXPECT_LT(::lgetxattr(dir_.path("o").c_str(), "trusted.overlay.redirect", buf, sizeof buf), 0);
  EXPECT_LT(::lgetxattr(dir_.path("o").c_str(), "user.overlay.origin", buf, sizeof buf), 0);
  EXPECT_GT(::lgetxattr(dir_.path("o").c_str(), "user.kept", buf, sizeof buf), 0);
}

TEST_F(LayerTest, SparseFileKeepsItsHoles) {
  TarEntry s = file("sparse", "abcdefgh");
  s.sparse = {{0, 4}, {1 << 20, 4}};
  s.size = 2 << 20;  // ends in a hole
  auto r = apply({s, file("after", "ok")});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->unpacked_bytes, 10u);
  std::string got = read("sparse");
  ASSERT_EQ(got.size(), size_t{2 << 20});
  EXPECT_EQ(got.substr(0, 4), "abcd");
  EXPECT_EQ(got.substr(1 << 20, 4), "efgh");
  EXPECT_EQ(got.find_first_not_of('\0', 4), size_t{1 << 20});
  EXPECT_EQ(got.find_first_not_of('\0', (1 << 20) + 4), std::string::npos);
  // Holes stay holes (ext4, xfs, btrfs, tmpfs all keep them).
  EXPECT_LT(lstat_of("sparse").st_blocks * 512, 1 << 20);
  EXPECT_EQ(read("after"), "ok");
}

TEST_F(LayerTest, LaterEntriesReplaceEarlierOnes) {
  auto r = apply({
      file("f2d", "file"), dir("f2d/"), file("f2d/in", "1"),   // file, then dir
      dir("d2f/"), file("d2f/child", "c"), file("d2f", "now"),  // dir tree, then file
      dir("merge/"), file("merge/a", "a"), dir("merge/", 0700), file("merge/b", "b"),
      file("twice", "old"), file("twice", "new"),
      symlink("l2f", "twice"), file("l2f", "plain"),
  });
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(read("f2d/in"), "1");
  EXPECT_EQ(read("d2f"), "now");
  EXPECT_EQ(read("merge/a"), "a");
  EXPECT_EQ(read("merge/b"), "b");
  EXPECT_EQ(lstat_of("merge").st_mode & 07777, 0700u);  // the last header wins
  EXPECT_EQ(read("twice"), "new");
  EXPECT_TRUE(S_ISREG(lstat_of("l2f").st_mode));
  EXPECT_EQ(read("twice"), "new");
}

// Small files are written by writer threads; entries that see or replace
// one still in flight wait for it, so the result is as if written in order.
TEST_F(LayerTest, EntriesAfterQueuedFilesSeeThemWritten) {
  std::vector<TarEntry> entries;
  for (int d = 0; d < 8; ++d) {
    entries.push_back(dir("d" + std::to_string(d) + "/"));
    for (int f = 0; f < 50; ++f)
      entries.push_back(file("d" + std::to_string(d) + "/f" + std::to_string(f), std::string(1000 + f, 'a' + d)));
  }
  entries.push_back(file("d1/f3", "again"));         // a name maybe still queued
  entries.push_back(hardlink("d2/link", "d2/f49"));  // a target maybe still queued
  entries.push_back(file("d3/.wh.f7", ""));          // a whiteout of one
  entries.push_back(symlink("d4/f1", "elsewhere"));  // another type over one
  entries.push_back(file("d5/f2/below", "x"));       // through one: refused
  {
    LayerDir d("layer-queued");
    UniqueFd fd = memfd_with(build_tar(entries));
    auto r = apply_layer(fd.get(), d.root_fd(), kUnprivileged);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("\"d5/f2/below\""), std::string::npos) << r.error().message();
  }
  entries.pop_back();
  auto r = apply(entries);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(read("d0/f0"), std::string(1000, 'a'));
  EXPECT_EQ(read("d7/f49"), std::string(1049, 'h'));
  EXPECT_EQ(read("d1/f3"), "again");
  EXPECT_EQ(lstat_of("d2/link").st_ino, lstat_of("d2/f49").st_ino);
  EXPECT_TRUE(S_ISCHR(lstat_of("d3/f7").st_mode));
  EXPECT_TRUE(S_ISLNK(lstat_of("d4/f1").st_mode));
}

// A writer thread's failure is reported with its own entry's name.
TEST_F(LayerTest, WriterErrorsNameTheirEntry) {
  TarEntry bad = file("d/bad", "data");
  bad.xattrs = {{"user." + std::string(300, 'x'), "1"}};  // longer than XATTR_NAME_MAX: ERANGE
  std::vector<TarEntry> entries = {dir("d/"), bad};
  for (int i = 0; i < 20; ++i) entries.push_back(file("d/after" + std::to_string(i), "x"));
  auto r = apply(entries);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("entry \"d/bad\": set xattr"), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message().find("after"), std::string::npos) << r.error().message();
}

TEST_F(LayerTest, DevicesAreSkippedWithoutCreateDevicesFifosAreMade) {
  TarEntry null;
  null.name = "dev/null";
  null.type = EntryType::kChar;
  null.dev_major = 1;
  null.dev_minor = 3;
  TarEntry loop = null;
  loop.name = "dev/loop0";
  loop.type = EntryType::kBlock;
  loop.dev_major = 7;
  loop.dev_minor = 0;
  TarEntry fifo;
  fifo.name = "run/fifo";
  fifo.type = EntryType::kFifo;
  fifo.mode = 0620;
  auto r = apply({null, loop, fifo});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->entries, 3u);
  EXPECT_FALSE(exists("dev/null"));
  EXPECT_FALSE(exists("dev/loop0"));
  EXPECT_TRUE(S_ISFIFO(lstat_of("run/fifo").st_mode));
  EXPECT_EQ(lstat_of("run/fifo").st_mode & 07777, 0620u);
}

TEST_F(LayerTest, AufsMetadataEntriesAreIgnored) {
  auto r = apply({file(".wh..wh.aufs", ""), dir(".wh..wh.plnk/"), file("x", "1")});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(exists(".wh..wh.aufs"));
  EXPECT_FALSE(exists(".wh..wh.plnk"));
  EXPECT_EQ(r->entries, 3u);
}

TEST_F(LayerTest, EmptyLayers) {
  auto empty = apply(std::string_view());
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  EXPECT_EQ(empty->entries, 0u);
  EXPECT_EQ(empty->diff_id.str(), sha256_of("").str());
  std::string end(1024, '\0');  // just the end-of-archive blocks
  auto blocks = apply(gzip(end));
  ASSERT_TRUE(blocks.ok()) << blocks.error().message();
  EXPECT_EQ(blocks->entries, 0u);
  EXPECT_EQ(blocks->diff_id.str(), sha256_of(end).str());
}

}  // namespace
}  // namespace hutch::image
