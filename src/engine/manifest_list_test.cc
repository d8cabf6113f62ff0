#include "engine/manifest_list.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "engine/images.h"
#include "image/archive.h"
#include "image/digest.h"
#include "image/manifest_lists.h"
#include "image/store.h"

namespace hutch::engine {
namespace {

oci::Descriptor desc(char c, const std::string& os, const std::string& arch, const std::string& variant = "") {
  oci::Descriptor d;
  d.media_type = oci::kMediaTypeImageManifest;
  d.digest = "sha256:" + std::string(64, c);
  d.size = 100;
  d.platform = oci::Platform{arch, os, "", {}, variant};
  return d;
}

TEST(PlatformText, FromConfigAndShown) {
  oci::ImageConfig c;
  c.os = "linux";
  c.architecture = "arm64";
  c.variant = "v8";
  c.os_version = "5.10";
  c.os_features = {"f1"};
  oci::Platform p = platform_of(c);
  EXPECT_EQ(p.os, "linux");
  EXPECT_EQ(p.architecture, "arm64");
  EXPECT_EQ(p.variant, "v8");
  EXPECT_EQ(p.os_version, "5.10");
  EXPECT_EQ(p.os_features, std::vector<std::string>{"f1"});
  EXPECT_EQ(platform_text(p), "linux/arm64/v8");
  p.variant.clear();
  EXPECT_EQ(platform_text(p), "linux/arm64");
}

TEST(AddToIndex, NewListInOrder) {
  auto idx = add_to_index({}, {{"amd", desc('a', "linux", "amd64")}, {"arm", desc('b', "linux", "arm64", "v8")}});
  ASSERT_TRUE(idx.ok()) << idx.error().message();
  EXPECT_EQ(idx->media_type, oci::kMediaTypeImageIndex);
  EXPECT_EQ(idx->schema_version, 2);
  ASSERT_EQ(idx->manifests.size(), 2u);
  EXPECT_EQ(idx->manifests[0].digest, "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(idx->manifests[1].platform->variant, "v8");
  // What is emitted parses back to the same index, with the platforms.
  auto back = oci::parse_index(oci::to_json(*idx));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *idx);
  EXPECT_NE(oci::to_json(*idx).find("\"mediaType\":\"application/vnd.oci.image.index.v1+json\""), std::string::npos);
}

TEST(AddToIndex, DuplicatePlatformsAreRefused) {
  auto idx = add_to_index({}, {{"one", desc('a', "linux", "amd64")}, {"two", desc('b', "linux", "amd64")}});
  ASSERT_FALSE(idx.ok());
  EXPECT_EQ(idx.error().code(), EINVAL);
  EXPECT_EQ(idx.error().message(),
            "images one and two are both for linux/amd64: a manifest list holds one image per platform");
  // Variants tell platforms apart.
  EXPECT_TRUE(
      add_to_index({}, {{"v7", desc('a', "linux", "arm", "v7")}, {"v6", desc('b', "linux", "arm", "v6")}}).ok());
}

TEST(AddToIndex, AnImageWithoutPlatformIsRefused) {
  oci::Descriptor d = desc('a', "", "amd64");
  auto idx = add_to_index({}, {{"noos", d}});
  ASSERT_FALSE(idx.ok());
  EXPECT_NE(idx.error().message().find("image noos states no platform"), std::string::npos);
}

TEST(AddToIndex, AmendReplacesTheSamePlatformOrDigest) {
  auto base = add_to_index({}, {{"amd", desc('a', "linux", "amd64")}, {"arm", desc('b', "linux", "arm64")}});
  ASSERT_TRUE(base.ok());
  base->annotations["keep"] = "me";
  auto amended = add_to_index(*base, {{"new-amd", desc('c', "linux", "amd64")}});
  ASSERT_TRUE(amended.ok()) << amended.error().message();
  ASSERT_EQ(amended->manifests.size(), 2u);
  EXPECT_EQ(amended->manifests[0].digest, "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(amended->manifests[1].digest, "sha256:" + std::string(64, 'c'));
  EXPECT_EQ(amended->annotations.at("keep"), "me");
  // The same image again, now stating another platform, moves.
  auto again = add_to_index(*amended, {{"b-as-s390x", desc('b', "linux", "s390x")}});
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->manifests.size(), 2u);
  EXPECT_EQ(again->manifests[1].platform->architecture, "s390x");
}

TEST(AnnotateIndex, ChangesOneEntry) {
  auto base = add_to_index({}, {{"amd", desc('a', "linux", "amd64")}, {"other", desc('b', "linux", "amd64", "v3")}});
  ASSERT_TRUE(base.ok());
  PlatformChange c;
  c.architecture = "arm64";
  c.variant = "v8";
  c.os_features = std::vector<std::string>{"sse4"};
  auto got = annotate_index(*base, "sha256:" + std::string(64, 'b'), c);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(platform_text(*got->manifests[1].platform), "linux/arm64/v8");
  EXPECT_EQ(got->manifests[1].platform->os_features, std::vector<std::string>{"sse4"});
  EXPECT_EQ(platform_text(*got->manifests[0].platform), "linux/amd64");
  // Clearing the variant makes it a duplicate of the first entry.
  PlatformChange clear;
  clear.variant = "";
  auto dup = annotate_index(*base, "sha256:" + std::string(64, 'b'), clear);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message().find("are both for linux/amd64"), std::string::npos);
}

TEST(AnnotateIndex, BadInput) {
  auto base = add_to_index({}, {{"amd", desc('a', "linux", "amd64")}});
  ASSERT_TRUE(base.ok());
  PlatformChange c;
  c.os = "linux";
  auto missing = annotate_index(*base, "sha256:" + std::string(64, 'f'), c);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  PlatformChange bad;
  bad.architecture = "arm 64";
  auto r = annotate_index(*base, "sha256:" + std::string(64, 'a'), bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "invalid architecture \"arm 64\"");
  PlatformChange empty;
  empty.os = "";
  EXPECT_FALSE(annotate_index(*base, "sha256:" + std::string(64, 'a'), empty).ok());
}

// The store side: lists of imported images (empty tars, distinct configs).
class ManifestStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hutch-manifest-test-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  void TearDown() override { (void)fs::remove_all(root_); }
  // An empty layer tar (two zero blocks) imported as `name`.
  image::ImageRecord import(const std::string& name) {
    UniqueFd fd(::memfd_create("tar", MFD_CLOEXEC));
    std::string zeros(1024, '\0');
    EXPECT_EQ(::write(fd.get(), zeros.data(), zeros.size()), 1024);
    EXPECT_EQ(::lseek(fd.get(), 0, SEEK_SET), 0);
    auto r = Images(root_).import(fd.get(), name, {}, "made for " + name);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return *r;
  }
  std::string root_;
};

TEST_F(ManifestStoreTest, CreateAnnotateInspectRemove) {
  image::ImageRecord a = import("one:1");
  image::ImageRecord b = import("two:1");
  ASSERT_NE(a.manifest, b.manifest);
  std::string host = image::host_platform().architecture;

  // Both state the host's platform.
  auto dup = manifest_create(root_, "127.0.0.1:5000/multi", {"one:1", "two:1"}, false);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message().find("images one:1 and two:1 are both for linux/" + host), std::string::npos)
      << dup.error().message();
  auto unknown = manifest_create(root_, "127.0.0.1:5000/multi", {"nope:1"}, false);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), ENOENT);

  auto made = manifest_create(root_, "127.0.0.1:5000/multi", {"one:1"}, false);
  ASSERT_TRUE(made.ok()) << made.error().message();
  EXPECT_EQ(made->name, "127.0.0.1:5000/multi:latest");
  auto exists = manifest_create(root_, "127.0.0.1:5000/multi:latest", {"two:1"}, false);
  ASSERT_FALSE(exists.ok());
  EXPECT_EQ(exists.error().code(), EEXIST);

  // two:1 is not in the list yet.
  PlatformChange arm;
  arm.architecture = "arm64";
  arm.variant = "v8";
  auto absent = manifest_annotate(root_, "127.0.0.1:5000/multi", "two:1", arm);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().message(),
            "manifest for image two:1 does not exist in 127.0.0.1:5000/multi:latest");
  ASSERT_TRUE(manifest_annotate(root_, "127.0.0.1:5000/multi", "one:1", arm).ok());
  auto amended = manifest_create(root_, "127.0.0.1:5000/multi", {"two:1"}, true);
  ASSERT_TRUE(amended.ok()) << amended.error().message();

  auto text = manifest_inspect(root_, "127.0.0.1:5000/multi:latest");
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_NE(text->find("\n   \"schemaVersion\": 2"), std::string::npos) << *text;
  auto idx = oci::parse_index(*text);
  ASSERT_TRUE(idx.ok()) << idx.error().message();
  ASSERT_EQ(idx->manifests.size(), 2u);
  EXPECT_EQ(idx->manifests[0].digest, a.manifest);
  EXPECT_EQ(platform_text(*idx->manifests[0].platform), "linux/arm64/v8");
  EXPECT_EQ(idx->manifests[1].digest, b.manifest);
  EXPECT_EQ(platform_text(*idx->manifests[1].platform), "linux/" + host);
  EXPECT_EQ(idx->manifests[1].media_type, oci::kMediaTypeImageManifest);

  // rmi of a listed image: the list keeps its blobs.
  ASSERT_TRUE(Images(root_).remove("one:1", false).ok());
  image::ContentStore content(root_);
  auto md = image::Digest::parse(a.manifest);
  auto cd = image::Digest::parse(a.config);
  EXPECT_TRUE(content.has(*md));
  EXPECT_TRUE(content.has(*cd));
  // Still annotatable by digest prefix.
  PlatformChange v7;
  v7.variant = "v7";
  EXPECT_TRUE(manifest_annotate(root_, "127.0.0.1:5000/multi", a.manifest.substr(7, 12), v7).ok());

  auto removed = manifest_remove(root_, "127.0.0.1:5000/multi");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, "127.0.0.1:5000/multi:latest");
  EXPECT_FALSE(content.has(*md));
  EXPECT_FALSE(content.has(*cd));
  auto again = manifest_remove(root_, "127.0.0.1:5000/multi");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(), "No such manifest: 127.0.0.1:5000/multi:latest");
  EXPECT_FALSE(manifest_inspect(root_, "127.0.0.1:5000/multi").ok());
}

}  // namespace
}  // namespace hutch::engine
