#include "image/manifest_lists.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"
#include "image/layer_store.h"
#include "image/retention.h"
#include "image/store.h"

namespace hutch::image {
namespace {

class ManifestListsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hutch-lists-test-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  void TearDown() override { (void)fs::remove_all(root_); }
  static std::string digest(char c) { return "sha256:" + std::string(64, c); }
  static ManifestList list(const std::string& name, char index, char manifest) {
    ManifestList ml;
    ml.name = name;
    ml.index = digest(index);
    ml.created = 42;
    ImageRecord r;
    r.manifest = digest(manifest);
    r.config = digest('c');
    r.media_type = "application/vnd.oci.image.manifest.v1+json";
    r.layers = {digest('l')};
    r.diff_ids = {digest('d')};
    r.repo_digests = {"127.0.0.1:5000/a@" + digest(manifest)};
    r.size = 7;
    ml.images[r.manifest] = r;
    return ml;
  }
  std::string root_;
};

TEST_F(ManifestListsTest, RoundTripAndFind) {
  ManifestLists lists(root_);
  ASSERT_TRUE(lists.list().ok());
  EXPECT_TRUE(lists.list()->empty());
  ManifestList want = list("127.0.0.1:5000/multi:latest", '1', 'a');
  ASSERT_TRUE(lists
                  .update([&](std::map<std::string, ManifestList>& all) -> Status {
                    all[want.name] = want;
                    return {};
                  })
                  .ok());
  auto got = lists.find(want.name);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->name, want.name);
  EXPECT_EQ(got->index, want.index);
  EXPECT_EQ(got->created, 42);
  ASSERT_EQ(got->images.size(), 1u);
  const ImageRecord& r = got->images.begin()->second;
  const ImageRecord& w = want.images.begin()->second;
  EXPECT_EQ(r.manifest, w.manifest);
  EXPECT_EQ(r.config, w.config);
  EXPECT_EQ(r.media_type, w.media_type);
  EXPECT_EQ(r.layers, w.layers);
  EXPECT_EQ(r.diff_ids, w.diff_ids);
  EXPECT_EQ(r.repo_digests, w.repo_digests);
  EXPECT_EQ(r.size, 7u);
  auto missing = lists.find("docker.io/library/nope:latest");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_EQ(missing.error().message(), "No such manifest: docker.io/library/nope:latest");
}

TEST_F(ManifestListsTest, NoListsNoFiles) {
  ManifestLists lists(root_);
  ASSERT_TRUE(lists.list().ok());
  EXPECT_FALSE(lists.find("x/a:1").ok());
  EXPECT_FALSE(fs::exists(root_ + "/manifests.lock"));
  ManifestList a = list("x/a:1", '1', 'a');
  auto put = [&](bool add) {
    return lists.update([&](std::map<std::string, ManifestList>& all) -> Status {
      if (add) all[a.name] = a;
      else all.erase(a.name);
      return {};
    });
  };
  ASSERT_TRUE(put(true).ok());
  EXPECT_TRUE(fs::exists(root_ + "/manifests.json"));
  ASSERT_TRUE(put(false).ok());
  EXPECT_FALSE(fs::exists(root_ + "/manifests.json"));
  EXPECT_TRUE(lists.list()->empty());
}

TEST_F(ManifestListsTest, AFailedChangeWritesNothing) {
  ManifestLists lists(root_);
  ManifestList a = list("x/a:1", '1', 'a');
  ASSERT_TRUE(lists
                  .update([&](std::map<std::string, ManifestList>& all) -> Status {
                    all[a.name] = a;
                    return {};
                  })
                  .ok());
  auto st = lists.update([&](std::map<std::string, ManifestList>& all) -> Status {
    all.clear();
    return Error::plain(EINVAL, "no");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(lists.list()->size(), 1u);
  EXPECT_FALSE(fs::exists(root_ + "/manifests.json.tmp"));
}

TEST_F(ManifestListsTest, WhatGcKeeps) {
  std::vector<ManifestList> all = {list("x/a:1", '1', 'a'), list("x/b:1", '2', 'b')};
  auto images = listed_images(all);
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].manifest, digest('a'));
  EXPECT_EQ(images[1].manifest, digest('b'));
  EXPECT_EQ(index_blobs(all), (std::vector<std::string>{digest('1'), digest('2')}));
}

// A blob only a list needs (its index, an image removed from the index) is
// not removed as unneeded.
TEST_F(ManifestListsTest, RetentionKeepsTheListsBlobs) {
  ContentStore content(root_);
  LayerStore layers(root_);
  ImageIndex index(root_);
  ASSERT_TRUE(content.init().ok());
  auto idx = content.put("{\"schemaVersion\":2,\"manifests\":[]}");
  auto manifest = content.put("{\"schemaVersion\":2,\"layers\":[]}");
  auto config = content.put("{\"architecture\":\"amd64\"}");
  auto layer = content.put("not really a layer");
  auto other = content.put("nobody needs this");
  ASSERT_TRUE(idx.ok() && manifest.ok() && config.ok() && layer.ok() && other.ok());
  ManifestList ml;
  ml.name = "x/a:1";
  ml.index = idx->str();
  ImageRecord r;
  r.manifest = manifest->str();
  r.config = config->str();
  r.layers = {layer->str()};
  r.diff_ids = {digest('d')};  // no layer in the store: no tar-split, so the blob stays
  ml.images[r.manifest] = r;
  ASSERT_TRUE(ManifestLists(root_)
                  .update([&](std::map<std::string, ManifestList>& all) -> Status {
                    all[ml.name] = ml;
                    return {};
                  })
                  .ok());
  auto freed = remove_unneeded_blobs({*idx, *manifest, *config, *layer, *other}, content, layers, index);
  ASSERT_TRUE(freed.ok()) << freed.error().message();
  EXPECT_TRUE(content.has(*idx));
  EXPECT_TRUE(content.has(*manifest));
  EXPECT_TRUE(content.has(*config));
  EXPECT_TRUE(content.has(*layer));
  EXPECT_FALSE(content.has(*other));
}

}  // namespace
}  // namespace hutch::image
