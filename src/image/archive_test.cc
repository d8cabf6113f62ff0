// Archive load and save with tar-splits, unprivileged: a load keeps no layer
// blob whose layer can be rebuilt, and save still writes archives whose
// layers are the exact tars (docker-archive), or the same blobs when they
// were plain tars and a new gzip layer and manifest when they were
// compressed (oci-archive).
#include "image/archive_api.h"
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "base/fs.h"
#include "image/archive.h"
#include "image/archive_save.h"
#include "image/internal/test_tar.h"
#include "image/layer_tar.h"
#include "image/retention.h"
#include "oci/image.h"

namespace hutch::image {
namespace {

using namespace testutil;

// Every regular member of a tar, by name.
std::map<std::string, std::string> members(const std::string& tar) {
  std::map<std::string, std::string> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
    out[archive_entry_pathname(e)] = data;
  }
  archive_read_free(a);
  return out;
}

std::string blob_name(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

class ArchiveTest : public ::testing::Test {
 protected:
  ArchiveTest() {
    stores_.content = &content_;
    stores_.layers = &layers_;
    stores_.index = &index_;
    stores_.normalise = [](const std::vector<std::string>& n) { return n; };
    layer_tars_ = {
        build_tar({dir("etc/"), file("etc/os-release", "ID=test\n"), file("bin/sh", std::string(100000, 's'))}),
        build_tar({file("etc/os-release", "ID=changed\n"), file("etc/.wh.gone", ""), symlink("link", "bin/sh")}),
    };
    oci::ImageConfig cfg;
    cfg.architecture = host_platform().architecture;
    cfg.os = "linux";
    for (const auto& t : layer_tars_) cfg.rootfs.diff_ids.push_back(sha256_of(t).str());
    config_ = oci::to_json(cfg);
  }

  std::vector<ImageRecord> load(const std::string& archive) {
    UniqueFd fd = memfd_with(archive);
    auto r = load_archive(fd.get(), stores_, host_platform());
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : std::vector<ImageRecord>{};
  }
  std::string save(const ImageRecord& rec, ArchiveFormat format) {
    UniqueFd out(::memfd_create("save", MFD_CLOEXEC));
    SaveItem item{rec, {"example.com/test:latest"}};
    auto st = save_archive(out.get(), {item}, format, content_, dir_.base() + "/tmp", &layers_);
    EXPECT_TRUE(st.ok()) << st.error().message();
    ::lseek(out.get(), 0, SEEK_SET);
    std::string bytes;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(out.get(), buf, sizeof buf)) > 0) bytes.append(buf, static_cast<size_t>(n));
    return bytes;
  }
  std::string docker_archive() {
    std::string cfg_digest = sha256_of(config_).str();
    std::vector<TarEntry> entries = {file(cfg_digest.substr(7) + ".json", config_)};
    std::string layers;
    for (size_t i = 0; i < layer_tars_.size(); ++i) {
      std::string name = "layer" + std::to_string(i) + "/layer.tar";
      entries.push_back(file(name, layer_tars_[i]));
      layers += std::string(i ? "," : "") + "\"" + name + "\"";
    }
    entries.push_back(file("manifest.json", "[{\"Config\":\"" + cfg_digest.substr(7) +
                                                ".json\",\"RepoTags\":[\"example.com/test:latest\"],\"Layers\":[" +
                                                layers + "]}]"));
    return build_tar(entries);
  }
  // An OCI layout with zstd-compressed layers (gzip by zlib at its default
  // level would come out the same when saved, hiding the new manifest).
  std::string oci_archive() {
    oci::Manifest m;
    m.media_type = oci::kMediaTypeImageManifest;
    m.config = {oci::kMediaTypeImageConfig, sha256_of(config_).str(), static_cast<int64_t>(config_.size())};
    std::vector<TarEntry> entries = {file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"),
                                     file(blob_name(m.config.digest), config_)};
    for (const auto& t : layer_tars_) {
      std::string gz = zstd(t);
      m.layers.push_back({oci::kMediaTypeImageLayerZstd, sha256_of(gz).str(), static_cast<int64_t>(gz.size())});
      entries.push_back(file(blob_name(m.layers.back().digest), gz));
    }
    std::string mt = oci::to_json(m);
    entries.push_back(file(blob_name(sha256_of(mt).str()), mt));
    oci::Index idx;
    idx.media_type = oci::kMediaTypeImageIndex;
    oci::Descriptor d{oci::kMediaTypeImageManifest, sha256_of(mt).str(), static_cast<int64_t>(mt.size())};
    d.annotations["org.opencontainers.image.ref.name"] = "example.com/test:latest";
    idx.manifests.push_back(d);
    entries.push_back(file("index.json", oci::to_json(idx)));
    return build_tar(entries);
  }
  // Blobs in the content store: only manifests and configs may be left.
  std::vector<std::string> stored_blobs() {
    std::vector<std::string> out;
    auto all = content_.list();
    EXPECT_TRUE(all.ok());
    if (all.ok())
      for (const auto& d : *all) out.push_back(d.str());
    std::sort(out.begin(), out.end());
    return out;
  }
  void expect_layers_rebuildable(const ImageRecord& rec) {
    std::vector<Digest> diffs;
    for (const auto& d : rec.diff_ids) diffs.push_back(Digest::parse(d).value());
    for (const auto& c : chain_ids(diffs)) EXPECT_TRUE(layers_.has_tar_split(c)) << c.str();
  }

  LayerDir dir_{"archive"};
  ContentStore content_{dir_.base() + "/store"};
  LayerStore layers_{dir_.base() + "/store"};
  ImageIndex index_{dir_.base() + "/store"};
  Stores stores_;
  std::vector<std::string> layer_tars_;
  std::string config_;
};

TEST_F(ArchiveTest, DockerArchiveLoadKeepsNoLayerBlobAndSavesTheSameLayers) {
  auto recs = load(docker_archive());
  ASSERT_EQ(recs.size(), 1u);
  const ImageRecord& rec = recs[0];
  expect_layers_rebuildable(rec);
  std::vector<std::string> want = {rec.config, rec.manifest};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(stored_blobs(), want);

  auto docker = members(save(rec, ArchiveFormat::kDocker));
  for (const auto& t : layer_tars_) {
    ASSERT_TRUE(docker.count(sha256_of(t).hex + ".tar"));
    EXPECT_TRUE(docker[sha256_of(t).hex + ".tar"] == t);
  }
  // Plain-tar blobs are rebuilt under their own names: same manifest.
  auto oci = members(save(rec, ArchiveFormat::kOci));
  for (const auto& t : layer_tars_) EXPECT_TRUE(oci[blob_name(sha256_of(t).str())] == t);
  EXPECT_TRUE(oci.count(blob_name(rec.manifest)));
  EXPECT_NE(oci["index.json"].find(rec.manifest), std::string::npos);
  // Loading what was saved gives the same image.
  ContentStore c2(dir_.base() + "/store2");
  LayerStore l2(dir_.base() + "/store2");
  ImageIndex i2(dir_.base() + "/store2");
  Stores s2{&c2, &l2, &i2, stores_.normalise};
  UniqueFd fd = memfd_with(save(rec, ArchiveFormat::kDocker));
  auto again = load_archive(fd.get(), s2, host_platform());
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ((*again)[0].config, rec.config);
}

TEST_F(ArchiveTest, OciArchiveWithCompressedLayersSavesANewManifest) {
  auto recs = load(oci_archive());
  ASSERT_EQ(recs.size(), 1u);
  const ImageRecord& rec = recs[0];
  expect_layers_rebuildable(rec);
  std::vector<std::string> want = {rec.config, rec.manifest};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(stored_blobs(), want);

  auto docker = members(save(rec, ArchiveFormat::kDocker));
  for (const auto& t : layer_tars_) EXPECT_TRUE(docker[sha256_of(t).hex + ".tar"] == t);

  auto oci = members(save(rec, ArchiveFormat::kOci));
  auto index = oci::parse_index(oci["index.json"]);
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->manifests.size(), 1u);
  std::string md = index->manifests[0].digest;
  EXPECT_NE(md, rec.manifest);  // the compressed layers are new
  ASSERT_TRUE(oci.count(blob_name(md)));
  EXPECT_EQ(sha256_of(oci[blob_name(md)]).str(), md);
  EXPECT_EQ(index->manifests[0].size, static_cast<int64_t>(oci[blob_name(md)].size()));
  auto m = oci::parse_manifest(oci[blob_name(md)]);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->config.digest, rec.config);
  EXPECT_TRUE(oci[blob_name(rec.config)] == config_);
  ASSERT_EQ(m->layers.size(), layer_tars_.size());
  for (size_t i = 0; i < layer_tars_.size(); ++i) {
    const std::string& blob = oci[blob_name(m->layers[i].digest)];
    EXPECT_EQ(m->layers[i].media_type, oci::kMediaTypeImageLayerGzip);
    EXPECT_EQ(sha256_of(blob).str(), m->layers[i].digest);
    EXPECT_EQ(m->layers[i].size, static_cast<int64_t>(blob.size()));
    EXPECT_TRUE(decompress(blob) == layer_tars_[i]);
  }
}

TEST_F(ArchiveTest, BlobsStayWhenALayerCannotBeRebuilt) {
  // A duplicate entry: the split is unusable, the blob is the only copy.
  layer_tars_[1] = build_tar({file("x", "one"), file("x", "two")});
  oci::ImageConfig cfg;
  cfg.architecture = host_platform().architecture;
  cfg.os = "linux";
  for (const auto& t : layer_tars_) cfg.rootfs.diff_ids.push_back(sha256_of(t).str());
  config_ = oci::to_json(cfg);
  auto recs = load(oci_archive());
  ASSERT_EQ(recs.size(), 1u);
  const ImageRecord& rec = recs[0];
  std::vector<std::string> want = {rec.config, rec.manifest, rec.layers[1]};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(stored_blobs(), want);
  // Saved with the stored blob for that layer and a rebuilt one for the other.
  auto oci = members(save(rec, ArchiveFormat::kOci));
  EXPECT_TRUE(oci.count(blob_name(rec.layers[1])));
  auto docker = members(save(rec, ArchiveFormat::kDocker));
  for (const auto& t : layer_tars_) EXPECT_TRUE(docker[sha256_of(t).hex + ".tar"] == t);
  // Retention agrees.
  auto keep = retained({rec}, layers_);
  EXPECT_EQ(keep.blobs.count(rec.layers[0]), 0u);
  EXPECT_EQ(keep.blobs.count(rec.layers[1]), 1u);
  // What push reads: either copy, whichever is stored.
  std::vector<Digest> diffs;
  for (const auto& d : rec.diff_ids) diffs.push_back(Digest::parse(d).value());
  auto chains = chain_ids(diffs);
  for (size_t i = 0; i < 2; ++i) {
    auto r = open_layer_tar(layers_, content_, chains[i], Digest::parse(rec.layers[i]).value(), diffs[i]);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->size(), i == 0 ? layer_tars_[0].size() : 0u);
    std::string got;
    for (;;) {
      auto v = r->next();
      ASSERT_TRUE(v.ok()) << v.error().message();
      if (v->empty()) break;
      got.append(*v);
    }
    EXPECT_TRUE(got == layer_tars_[i]);
  }
  // A blob that is not the layer it claims to be is refused at the end.
  auto wrong = open_layer_tar(layers_, content_, chains[1], Digest::parse(rec.layers[1]).value(), diffs[0]);
  ASSERT_TRUE(wrong.ok());
  Status last;
  for (int i = 0; i < 100 && last.ok(); ++i) {
    auto v = wrong->next();
    if (!v.ok()) last = std::move(v).error();
    else if (v->empty()) break;
  }
  EXPECT_FALSE(last.ok());
}

}  // namespace
}  // namespace hutch::image
