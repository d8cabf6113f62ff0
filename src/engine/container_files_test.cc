#include "engine/container_files.h"

#include "image/archive_api.h"
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "base/fs.h"
#include "engine/container_tar.h"
#include "image/layer.h"

namespace hutch::engine {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-files-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string p(const std::string& rel) const { return dir_ + "/" + rel; }
  void mkdir(const std::string& rel, mode_t mode = 0755) {
    ASSERT_TRUE(fs::mkdir_p(p(rel), mode).ok()) << rel;
    ::chmod(p(rel).c_str(), mode);
  }
  void file(const std::string& rel, const std::string& text, mode_t mode = 0644) {
    ASSERT_TRUE(fs::write_file(p(rel), text, mode).ok()) << rel;
  }
  bool whiteout(const std::string& rel) { return ::mknod(p(rel).c_str(), S_IFCHR | 0, makedev(0, 0)) == 0; }
  bool opaque(const std::string& rel) { return ::setxattr(p(rel).c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0; }
  // Gives `rel` the mode and times of `like`, as overlay's copy-up does.
  void same_as(const std::string& rel, const std::string& like) {
    struct stat st;
    ASSERT_EQ(::stat(p(like).c_str(), &st), 0);
    ::chmod(p(rel).c_str(), st.st_mode & 07777);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, p(rel).c_str(), ts, 0), 0);
  }
  std::string dir_;
};

TEST(CleanRelative, Rules) {
  EXPECT_EQ(*clean_relative("/etc/passwd"), "etc/passwd");
  EXPECT_EQ(*clean_relative("./a//b/./c/"), "a/b/c");
  EXPECT_EQ(*clean_relative("a/b/../c"), "a/c");
  EXPECT_EQ(*clean_relative("/"), "");
  EXPECT_EQ(*clean_relative("."), "");
  EXPECT_FALSE(clean_relative("../x").ok());
  EXPECT_FALSE(clean_relative("a/../../x").ok());
}

TEST_F(FilesTest, DiffIsDockersList) {
  if (::geteuid() != 0) GTEST_SKIP() << "whiteouts and trusted xattrs need root";
  // Two image layers (top-most first in the list).
  mkdir("l0/etc");
  file("l0/etc/passwd", "root:x:0:0\n");
  file("l0/etc/group", "root:x:0:\n");
  mkdir("l0/var/lib/x");
  file("l0/var/lib/x/old", "o");
  file("l0/gone", "g");
  mkdir("l0/keep/deep");
  file("l0/keep/deep/f", "f");
  mkdir("l1/etc");
  file("l1/etc/shadow", "s");
  ASSERT_TRUE(whiteout("l1/gone"));  // already deleted by the upper image layer
  mkdir("l1/bin");
  file("l1/bin/sh", "sh");
  // The container's changes.
  mkdir("up/etc");
  same_as("up/etc", "l1/etc");
  file("up/etc/passwd", "root:x:0:0\nnew:x:1:1\n");  // C, /etc unchanged itself
  file("up/etc/new", "n");                            // A, so /etc shows as C
  mkdir("up/bin");
  same_as("up/bin", "l1/bin");
  ASSERT_TRUE(whiteout("up/bin/sh"));  // D
  mkdir("up/var/lib/x");
  same_as("up/var", "l0/var");
  same_as("up/var/lib", "l0/var/lib");
  ASSERT_TRUE(opaque("up/var/lib/x"));  // rm -rf then mkdir: D, and its children A
  file("up/var/lib/x/old", "again");
  mkdir("up/keep/deep");
  file("up/keep/deep/f", "changed");  // C; its unchanged parents are not listed
  same_as("up/keep/deep", "l0/keep/deep");
  same_as("up/keep", "l0/keep");
  file("up/gone", "back");            // A: the image had deleted it
  mkdir("up/newdir/sub");
  file("up/newdir/sub/f", "x");
  auto ch = upper_changes(p("up"), {p("l1"), p("l0")});
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  std::vector<std::string> lines;
  for (const auto& c : *ch) lines.push_back(std::string(1, c.kind) + " " + c.path);
  std::vector<std::string> want = {"C /bin",           "D /bin/sh",       "C /etc",
                                   "A /etc/new",       "C /etc/passwd",   "A /gone",
                                   "C /keep/deep/f",   "A /newdir",       "A /newdir/sub",
                                   "A /newdir/sub/f",  "C /var/lib",      "D /var/lib/x",
                                   "A /var/lib/x/old"};
  EXPECT_EQ(lines, want);
}

TEST_F(FilesTest, EmptyUpperHasNoChanges) {
  mkdir("l0/etc");
  mkdir("up");
  auto ch = upper_changes(p("up"), {p("l0")});
  ASSERT_TRUE(ch.ok());
  EXPECT_TRUE(ch->empty());
}

TEST_F(FilesTest, RuntimeMountPointsAreNotChanges) {
  mkdir("l0/etc");
  file("l0/etc/passwd", "p");
  mkdir("up/etc");
  file("up/etc/hosts", "");           // made for a bind mount: hidden
  file("up/etc/hostname", "edited");  // written to: shown
  mkdir("up/proc");
  mkdir("up/data/x");  // a volume's mount point with something below: shown
  auto ch = upper_changes(p("up"), {p("l0")}, {"/etc/hosts", "/etc/hostname", "/proc", "/data"});
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  std::vector<std::string> lines;
  for (const auto& c : *ch) lines.push_back(std::string(1, c.kind) + " " + c.path);
  EXPECT_EQ(lines, (std::vector<std::string>{"A /data", "A /data/x", "C /etc", "A /etc/hostname"}));
}

// The commit tar turns overlay whiteouts back into OCI ones: unpacked by
// the layer store's own code, the whiteouts come back as they were.
TEST_F(FilesTest, CommitTarRoundTripsWhiteouts) {
  if (::geteuid() != 0) GTEST_SKIP() << "whiteouts and trusted xattrs need root";
  mkdir("up/etc");
  file("up/etc/new", "hello", 0640);
  ASSERT_TRUE(whiteout("up/etc/gone"));
  ASSERT_TRUE(whiteout("up/top-gone"));
  mkdir("up/opq");
  ASSERT_TRUE(opaque("up/opq"));
  file("up/opq/inside", "i");
  ASSERT_EQ(::symlink("../etc/new", p("up/opq/link").c_str()), 0);
  ASSERT_EQ(::link(p("up/etc/new").c_str(), p("up/opq/hard").c_str()), 0);
  UniqueFd up(::open(p("up").c_str(), O_RDONLY | O_DIRECTORY));
  std::string tar;
  TarWriteOptions wo;
  wo.oci_whiteouts = true;
  ASSERT_TRUE(write_tree_tar(up.get(), wo, [&](const void* d, size_t n) -> Status {
                tar.append(static_cast<const char*>(d), n);
                return {};
              }).ok());
  // The names in the tar.
  std::vector<std::string> names;
  {
    struct archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    ASSERT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) names.push_back(archive_entry_pathname(e));
    archive_read_free(a);
  }
  std::vector<std::string> want = {"etc", "etc/.wh.gone", "etc/new", "opq", "opq/.wh..wh..opq",
                                   "opq/hard", "opq/inside", "opq/link", ".wh.top-gone"};
  std::sort(want.begin(), want.end());
  std::sort(names.begin(), names.end());
  for (auto& n : names)
    if (!n.empty() && n.back() == '/') n.pop_back();
  EXPECT_EQ(names, want);
  // Unpacked as a layer.
  mkdir("layer");
  UniqueFd layer(::open(p("layer").c_str(), O_RDONLY | O_DIRECTORY));
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  ASSERT_EQ(::write(pipefd[1], tar.data(), tar.size()), static_cast<ssize_t>(tar.size()));
  ::close(pipefd[1]);
  auto applied = image::apply_layer(pipefd[0], layer.get());
  ::close(pipefd[0]);
  ASSERT_TRUE(applied.ok()) << applied.error().message();
  struct stat st;
  ASSERT_EQ(::lstat(p("layer/etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  ASSERT_EQ(::lstat(p("layer/top-gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  char v[2] = {};
  EXPECT_EQ(::getxattr(p("layer/opq").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  ASSERT_EQ(::lstat(p("layer/etc/new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(*fs::read_file(p("layer/opq/hard")), "hello");
}

// A tar written into a (container) root: symlinks resolve inside it.
std::string make_tar(const std::vector<std::tuple<std::string, char, std::string>>& entries) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open2(
      a, &out, nullptr,
      [](struct archive*, void* self, const void* buf, size_t len) -> la_ssize_t {
        static_cast<std::string*>(self)->append(static_cast<const char*>(buf), len);
        return static_cast<la_ssize_t>(len);
      },
      nullptr, nullptr);
  for (const auto& [name, type, data] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_perm(e, 0644);
    if (type == 'f') {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    } else if (type == 'l') {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, data.c_str());
    } else if (type == 'h') {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, data.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFDIR);
      archive_entry_set_perm(e, 0755);
    }
    archive_write_header(a, e);
    if (type == 'f') archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

Status extract_string(const std::string& tar, int root, const std::string& base, uint64_t resolve) {
  std::string path = "/tmp/hutch-files-test-tar-XXXXXX";
  UniqueFd f(::mkstemp(path.data()));
  ::unlink(path.c_str());
  if (::write(f.get(), tar.data(), tar.size()) != static_cast<ssize_t>(tar.size())) return Error::from_errno("write");
  ::lseek(f.get(), 0, SEEK_SET);
  TarExtractOptions o;
  o.resolve = resolve;
  o.uid = ::getuid();
  o.gid = ::getgid();
  return extract_tar(f.get(), root, base, o);
}

TEST_F(FilesTest, ExtractStaysInTheContainerRoot) {
  mkdir("root/etc");
  mkdir("root/outside");
  mkdir("outside");
  UniqueFd root(::open(p("root").c_str(), O_RDONLY | O_DIRECTORY));
  // An absolute symlink in the tree, then a file through it: lands in root.
  auto s = extract_string(make_tar({{"esc", 'l', "/"}, {"esc/etc/planted", 'f', "x"}, {"up", 'l', "../../outside"},
                                    {"up/planted", 'f', "y"}}),
                          root.get(), "etc", RESOLVE_IN_ROOT);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(*fs::read_file(p("root/etc/planted")), "x");
  EXPECT_EQ(*fs::read_file(p("root/outside/planted")), "y");
  EXPECT_FALSE(fs::exists(p("outside/planted")));
  // ".." above the destination is refused; hard links to outside fail.
  EXPECT_FALSE(extract_string(make_tar({{"../../outside/x", 'f', "z"}}), root.get(), "etc", RESOLVE_IN_ROOT).ok());
  EXPECT_FALSE(fs::exists(p("outside/x")));
  file("outside/secret", "s");
  auto h = extract_string(make_tar({{"h", 'h', "../../outside/secret"}}), root.get(), "etc", RESOLVE_IN_ROOT);
  EXPECT_FALSE(h.ok());
  struct stat st;
  ASSERT_EQ(::stat(p("outside/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(FilesTest, ExtractOnTheHostRefusesEscapingSymlinks) {
  mkdir("dest");
  mkdir("outside");
  UniqueFd dest(::open(p("dest").c_str(), O_RDONLY | O_DIRECTORY));
  std::string out = p("outside");
  auto s = extract_string(make_tar({{"l", 'l', out}, {"l/planted", 'f', "x"}}), dest.get(), "", RESOLVE_BENEATH);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(p("outside/planted")));
  // A symlink already at a file's place is replaced, never written through.
  ASSERT_EQ(::symlink((out + "/target").c_str(), p("dest/f").c_str()), 0);
  ASSERT_TRUE(extract_string(make_tar({{"f", 'f', "new"}}), dest.get(), "", RESOLVE_BENEATH).ok());
  EXPECT_FALSE(fs::exists(p("outside/target")));
  EXPECT_EQ(*fs::read_file(p("dest/f")), "new");
}

TEST_F(FilesTest, ExtractKeepsDirectoriesAndFilesApart) {
  mkdir("dest/d");
  file("dest/f", "x");
  UniqueFd dest(::open(p("dest").c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_FALSE(extract_string(make_tar({{"d", 'f', "x"}}), dest.get(), "", RESOLVE_BENEATH).ok());
  EXPECT_FALSE(extract_string(make_tar({{"f", 'd', ""}}), dest.get(), "", RESOLVE_BENEATH).ok());
  // Missing parents are made.
  ASSERT_TRUE(extract_string(make_tar({{"a/b/c", 'f', "deep"}}), dest.get(), "", RESOLVE_BENEATH).ok());
  EXPECT_EQ(*fs::read_file(p("dest/a/b/c")), "deep");
}

TEST_F(FilesTest, TreeCopyRoundTrip) {
  mkdir("src/sub", 0750);
  file("src/sub/x", "data", 0600);
  file("src/top", "t", 0755);
  ASSERT_EQ(::symlink("sub/x", p("src/ln").c_str()), 0);
  mkdir("dst");
  UniqueFd src(::open(p("src").c_str(), O_PATH));
  std::string tar;
  TarWriteOptions wo;
  wo.top_name = "renamed";
  ASSERT_TRUE(write_tree_tar(src.get(), wo, [&](const void* d, size_t n) -> Status {
                tar.append(static_cast<const char*>(d), n);
                return {};
              }).ok());
  UniqueFd dst(::open(p("dst").c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(extract_string(tar, dst.get(), "", RESOLVE_BENEATH).ok());
  struct stat st;
  ASSERT_EQ(::lstat(p("dst/renamed/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(::lstat(p("dst/renamed/sub/x").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::lstat(p("dst/renamed/top").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat(p("dst/renamed/ln").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(*fs::read_file(p("dst/renamed/ln")), "data");
}

}  // namespace
}  // namespace hutch::engine
