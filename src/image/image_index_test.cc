#include "image/image_index.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"

namespace hutch::image {
namespace {

class ImageIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hutch-index-test-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  void TearDown() override { (void)fs::remove_all(root_); }
  ImageRecord rec(const std::string& m, const std::string& c, std::vector<std::string> names) {
    ImageRecord r;
    r.manifest = "sha256:" + std::string(64, m[0]);
    r.config = "sha256:" + std::string(64, c[0]);
    r.names = std::move(names);
    r.created = 100;
    return r;
  }
  std::string root_;
};

TEST_F(ImageIndexTest, PutFindList) {
  ImageIndex idx(root_);
  ASSERT_TRUE(idx.put(rec("a", "1", {"docker.io/library/busybox:latest"})).ok());
  ASSERT_TRUE(idx.put(rec("b", "2", {"docker.io/library/alpine:3"})).ok());
  auto all = idx.list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  auto f = idx.find("docker.io/library/busybox:latest");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->config, "sha256:" + std::string(64, '1'));
  EXPECT_TRUE(idx.find("2222").ok());
  EXPECT_TRUE(idx.find("sha256:22222222").ok());
  auto missing = idx.find("nope:1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "No such image: nope:1");
}

TEST_F(ImageIndexTest, ATagMovesToTheNewImage) {
  ImageIndex idx(root_);
  ASSERT_TRUE(idx.put(rec("a", "1", {"x:latest", "x:1"})).ok());
  ASSERT_TRUE(idx.put(rec("b", "2", {"x:latest"})).ok());
  EXPECT_EQ(idx.find("x:latest")->config, "sha256:" + std::string(64, '2'));
  EXPECT_EQ(idx.find("x:1")->config, "sha256:" + std::string(64, '1'));
  auto a = idx.find("x:1");
  EXPECT_EQ(a->names, std::vector<std::string>{"x:1"});
}

TEST_F(ImageIndexTest, ConcurrentWritersLoseNothing) {
  ImageIndex idx(root_);
  for (int i = 0; i < 4; ++i) {
    if (fork() == 0) {
      for (int j = 0; j < 10; ++j) {
        ImageRecord r;
        std::string h = std::to_string(i * 100 + j);
        r.manifest = "sha256:" + std::string(64 - h.size(), '0') + h;
        r.config = r.manifest;
        r.names = {"img" + h + ":latest"};
        if (!idx.put(r).ok()) _exit(1);
      }
      _exit(0);
    }
  }
  for (int i = 0; i < 4; ++i) {
    int st = 0;
    wait(&st);
    EXPECT_EQ(WEXITSTATUS(st), 0);
  }
  EXPECT_EQ(idx.list()->size(), 40u);
  EXPECT_FALSE(fs::exists(root_ + "/images.json.tmp"));
}

}  // namespace
}  // namespace hutch::image

namespace hutch::image {
namespace {

TEST_F(ImageIndexTest, OneRecordPerConfig) {
  ImageIndex idx(root_);
  ASSERT_TRUE(idx.put(rec("a", "1", {"x:latest", "x:old"})).ok());
  ASSERT_TRUE(idx.put(rec("b", "1", {"x:latest"})).ok());
  auto all = idx.list();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].manifest, "sha256:" + std::string(64, 'b'));
  EXPECT_EQ((*all)[0].names.size(), 2u);
}

}  // namespace
}  // namespace hutch::image
