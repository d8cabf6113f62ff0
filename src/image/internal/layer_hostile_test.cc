// apply_layer against hostile and broken layers (part of layer_test, label
// unit). Each hostile layer must fail or be neutralised, and nothing may be
// written outside the layer directory: LayerDir::stray_entries() checks the
// whole temp tree after every apply.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "image/internal/layer_fixture.h"

namespace hutch::image {
namespace {

using namespace testutil;  // the tar builders

using LayerHostileTest = LayerTest;

TEST_F(LayerHostileTest, DotDotAboveTheRootRefusesTheLayer) {
  EXPECT_TRUE(contains(apply_hostile({file("../evil", "x")}), "entry \"../evil\": path climbs above the layer root"));
  EXPECT_TRUE(contains(apply_hostile({file("a/../../evil", "x")}), "\"a/../../evil\""));
  EXPECT_TRUE(contains(apply_hostile({dir("../../../outside/d/")}), "climbs above"));
  EXPECT_TRUE(contains(apply_hostile({symlink("../l", "/")}), "climbs above"));
}

TEST_F(LayerHostileTest, DotDotWithinTheRootIsResolvedLexically) {
  EXPECT_EQ(apply_hostile({file("a/../b", "x")}), "");
  EXPECT_EQ(read("b"), "x");
  EXPECT_FALSE(exists("a"));
}

TEST_F(LayerHostileTest, AbsoluteNamesAreStoredInside) {
  EXPECT_EQ(apply_hostile({file("/abs/evil", "x"), file("/" + dir_.outside() + "/f", "y")}), "");
  EXPECT_EQ(read("abs/evil"), "x");
  EXPECT_EQ(read(dir_.outside().substr(1) + "/f"), "y");
}

TEST_F(LayerHostileTest, FileThroughAnAbsoluteSymlinkIsRefused) {
  std::string err = apply_hostile({symlink("link", dir_.outside()), file("link/evil", "x")});
  EXPECT_TRUE(contains(err, "entry \"link/evil\": parent \"link\" is a symlink"));
  EXPECT_EQ(readlink("link"), dir_.outside());
}

TEST_F(LayerHostileTest, FileThroughARelativeSymlinkIsRefused) {
  // root is <base>/a/b/root: "../../../outside" is <base>/outside.
  EXPECT_TRUE(contains(apply_hostile({symlink("link", "../../../outside"), file("link/evil", "x")}), "is a symlink"));
  EXPECT_TRUE(contains(apply_hostile({symlink("l2", "../../../outside"), dir("l2/sub/"), file("l2/sub/evil", "x")}), "is a symlink"));
}

TEST_F(LayerHostileTest, SymlinkDeepInThePathIsRefused) {
  EXPECT_TRUE(contains(apply_hostile({dir("x/"), symlink("x/y", "/"), file("x/y/z/evil", "x")}), "parent \"x/y\" is a symlink"));
}

TEST_F(LayerHostileTest, SymlinkSwappedForADirectoryIsRefused) {
  std::string err = apply_hostile({dir("d/"), file("d/ok", "1"), symlink("d", dir_.outside()), file("d/evil", "x")});
  EXPECT_TRUE(contains(err, "parent \"d\" is a symlink"));
}

TEST_F(LayerHostileTest, FileReplacingASymlinkDoesNotWriteThroughIt) {
  std::string target = dir_.outside() + "/target";
  EXPECT_EQ(apply_hostile({symlink("f", target), file("f", "inside"), symlink("d", dir_.outside()), dir("d/"),
                           file("d/x", "in d")}),
            "");
  EXPECT_TRUE(S_ISREG(lstat_of("f").st_mode));
  EXPECT_EQ(read("f"), "inside");
  EXPECT_EQ(read("d/x"), "in d");
}

TEST_F(LayerHostileTest, HardlinkOutOfTheRootIsRefused) {
  std::string secret = dir_.base() + "/secret";
  ASSERT_TRUE(fs::write_file(secret, "s").ok());
  dir_.allow(secret);
  EXPECT_TRUE(contains(apply_hostile({hardlink("h", "../../../secret")}), "climbs above"));
  EXPECT_TRUE(contains(apply_hostile({hardlink("h", "../../outside/file")}), "climbs above"));
  // Absolute targets are names inside the layer, like entry names.
  EXPECT_TRUE(contains(apply_hostile({hardlink("h", secret)}), "is not in the layer"));
  EXPECT_TRUE(contains(apply_hostile({hardlink("passwd", "/etc/passwd")}), "hardlink target \"/etc/passwd\" is not in the layer"));
  struct stat st;
  ASSERT_EQ(::stat(secret.c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_FALSE(exists("h"));
  EXPECT_FALSE(exists("passwd"));
}

TEST_F(LayerHostileTest, HardlinkThroughASymlinkIsRefused) {
  std::string secret = dir_.base() + "/secret";
  ASSERT_EQ(::mkdir(secret.c_str(), 0755), 0);
  ASSERT_TRUE(fs::write_file(secret + "/file", "s").ok());
  dir_.allow(secret);
  EXPECT_TRUE(contains(apply_hostile({symlink("s", secret), hardlink("h", "s/file")}), "parent \"s\" is a symlink"));
  EXPECT_TRUE(contains(apply_hostile({symlink("r", "../../../secret"), hardlink("h", "r/file")}), "is a symlink"));
  struct stat st;
  ASSERT_EQ(::stat((secret + "/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(LayerHostileTest, HardlinkToASymlinkLinksTheSymlinkItself) {
  EXPECT_EQ(apply_hostile({symlink("s", "/etc/passwd"), hardlink("h", "s")}), "");
  EXPECT_TRUE(S_ISLNK(lstat_of("h").st_mode));
  EXPECT_EQ(lstat_of("h").st_ino, lstat_of("s").st_ino);
  EXPECT_EQ(readlink("h"), "/etc/passwd");
}

TEST_F(LayerHostileTest, HardlinkToADirectoryIsRefused) {
  EXPECT_TRUE(contains(apply_hostile({dir("d/"), hardlink("h", "d")}), "is a directory"));
}

TEST_F(LayerHostileTest, WhiteoutsOfDotAndDotDotAreRefused) {
  EXPECT_TRUE(contains(apply_hostile({file(".wh..", "")}), "whiteout names no file"));
  EXPECT_TRUE(contains(apply_hostile({file("a/.wh..", "")}), "whiteout names no file"));
  EXPECT_TRUE(contains(apply_hostile({file("a/.wh.", "")}), "whiteout names no file"));
  EXPECT_TRUE(contains(apply_hostile({file(".wh...", "")}), "whiteout names no file"));
  // ".wh..." as a parent is just an odd directory name, inside the root.
  apply_hostile({file(".wh.../x", "")});
}

TEST_F(LayerHostileTest, DeviceNodesAreSkippedWithoutPrivilege) {
  TarEntry mem;
  mem.name = "dev/mem";
  mem.type = EntryType::kChar;
  mem.dev_major = 1;
  mem.dev_minor = 1;
  TarEntry disk = mem;
  disk.name = "sda";
  disk.type = EntryType::kBlock;
  disk.dev_major = 8;
  EXPECT_EQ(apply_hostile({mem, disk}), "");
  EXPECT_FALSE(exists("dev/mem"));
  EXPECT_FALSE(exists("sda"));
}

TEST_F(LayerHostileTest, NonDirectoryNamedAsTheRootIsRefused) {
  EXPECT_TRUE(contains(apply_hostile({file(".", "x")}), "names the layer root"));
  EXPECT_TRUE(contains(apply_hostile({symlink("./", "/")}), "names the layer root"));
}

TEST_F(LayerHostileTest, ParentThatIsAFileIsRefused) {
  EXPECT_TRUE(contains(apply_hostile({file("f", "x"), file("f/g", "y")}), "parent \"f\" is not a directory"));
}

TEST_F(LayerHostileTest, OverlongPathsAreRefused) {
  std::string deep;
  while (deep.size() < 5000) deep += "dddddddd/";
  EXPECT_TRUE(contains(apply_hostile({file(deep + "f", "x")}), "longer than PATH_MAX"));
}

// Broken streams: an error, never a crash.

std::string valid_tar() { return build_tar({dir("d/"), file("d/f", std::string(5000, 'x')), file("g", "y")}); }

TEST_F(LayerHostileTest, TruncatedStreamsFail) {
  std::string tar = valid_tar();
  // Cuts inside a header or inside file data. (A cut between entries reads
  // as a tar without its end blocks, which Go's reader, and so Docker,
  // accepts too.)
  for (size_t cut : {size_t{100}, size_t{700}, size_t{1536}, size_t{3000}}) {
    SCOPED_TRACE(cut);
    LayerDir d("layer-cut");
    UniqueFd fd = memfd_with(tar.substr(0, cut));
    auto r = apply_layer(fd.get(), d.root_fd(), kUnprivileged);
    EXPECT_FALSE(r.ok());
  }
  std::string gz = gzip(tar);
  auto g = apply(gz.substr(0, gz.size() / 2));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message(), "truncated gzip stream"));
  std::string zs = zstd(tar);
  LayerDir d2("layer-cut");
  UniqueFd fd = memfd_with(zs.substr(0, zs.size() - 3));
  auto z = apply_layer(fd.get(), d2.root_fd(), kUnprivileged);
  ASSERT_FALSE(z.ok());
  EXPECT_TRUE(contains(z.error().message(), "zstd"));
}

TEST_F(LayerHostileTest, CorruptStreamsFail) {
  std::string tar = valid_tar();
  std::string bad_sum = tar;
  bad_sum[0] ^= 0x55;  // the first header's checksum no longer matches
  EXPECT_FALSE(apply(bad_sum).ok());

  std::string gz = gzip(tar);
  gz[gz.size() - 6] ^= 0xff;  // CRC32 in the trailer
  auto crc = apply(gz);
  ASSERT_FALSE(crc.ok());
  EXPECT_TRUE(contains(crc.error().message(), "gzip"));

  auto trailing = apply(gzip(tar) + "garbage!");
  EXPECT_FALSE(trailing.ok());
  auto after_padding = apply(zstd(tar) + std::string(100, '\0') + "garbage!");
  ASSERT_FALSE(after_padding.ok());
  EXPECT_TRUE(contains(after_padding.error().message(), "data after the zero padding"));

  std::string zs = zstd(tar);
  zs[zs.size() / 2] ^= 0xff;
  EXPECT_FALSE(apply(zs).ok());

  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 7919) ^ (i >> 3)));
  EXPECT_FALSE(apply(noise).ok());
  EXPECT_FALSE(apply(std::string("\x1f\x8b") + noise).ok());
  EXPECT_FALSE(apply(std::string("\x28\xb5\x2f\xfd") + noise).ok());
  EXPECT_EQ(dir_.stray_entries(), std::vector<std::string>{});
}

TEST_F(LayerHostileTest, OtherCompressionsAndFormatsAreRefused) {
  auto xz = apply(std::string("\xfd" "7zXZ\0", 6) + std::string(100, 'x'));
  ASSERT_FALSE(xz.ok());
  EXPECT_TRUE(contains(xz.error().message(), "xz or bzip2"));
  auto zip = apply(std::string("PK\x03\x04", 4) + std::string(100, '\0'));
  EXPECT_FALSE(zip.ok());
}

}  // namespace
}  // namespace hutch::image
