#include "engine/push.h"

#include <sys/stat.h>

#include <optional>

#include "base/log.h"
#include "engine/compress.h"
#include "engine/images.h"
#include "image/digest.h"
#include "image/image_index.h"
#include "image/layer_store.h"
#include "image/layer_tar.h"
#include "image/store.h"
#include "oci/image.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace hutch::engine {
namespace {

using image::Digest;

std::string compression_of(const std::string& media_type) {
  if (media_type.size() >= 4 && media_type.compare(media_type.size() - 4, 4, "gzip") == 0) return "gzip";
  if (media_type.size() >= 4 && media_type.compare(media_type.size() - 4, 4, "zstd") == 0) return "zstd";
  return "";
}

// OCI media types for a Docker schema 2 manifest's parts (zstd layers
// exist only in OCI manifests, so a zstd push converts the manifest).
std::string to_oci_type(const std::string& t) {
  if (t == oci::kMediaTypeDockerManifest) return oci::kMediaTypeImageManifest;
  if (t == oci::kMediaTypeDockerConfig) return oci::kMediaTypeImageConfig;
  if (t == oci::kMediaTypeDockerLayer) return oci::kMediaTypeImageLayer;
  if (t == oci::kMediaTypeDockerLayerGzip) return oci::kMediaTypeImageLayerGzip;
  if (t == oci::kMediaTypeDockerLayerZstd) return oci::kMediaTypeImageLayerZstd;
  return t;
}

// Other repositories of the same registry that hold this image's blobs
// (it was pulled from or pushed to them): sources for cross-repo mounts.
std::vector<std::string> mount_sources(const image::ImageRecord& rec, const registry::Reference& to) {
  std::vector<std::string> out;
  for (const auto& rd : rec.repo_digests) {
    auto at = rd.find('@');
    auto r = registry::Reference::parse(rd.substr(0, at));
    if (r.ok() && r->registry == to.registry && r->repository != to.repository) out.push_back(r->repository);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<registry::Client>> push_client(const registry::Reference& to, const PushOptions& opts) {
  ASSIGN_OR_RETURN(registry::RegistryOptions ro, registry::RegistryOptions::load());
  registry::AuthFile auth(opts.auth_file);
  ASSIGN_OR_RETURN(auto creds, auth.get(to.registry));
  return std::make_unique<registry::Client>(to.registry, ro, creds);
}

Result<PushResult> push(const std::string& root, const std::string& ref_text, const PushOptions& opts) {
  ASSIGN_OR_RETURN(registry::Reference ref, registry::Reference::parse(ref_text));
  if (!ref.digest.empty())
    return Error::plain(EINVAL, "cannot push \"" + ref_text + "\": push a tag, not a digest reference");
  image::ImageIndex index(root);
  auto found = index.find(ref.str());
  if (!found.ok()) return Error::plain(ENOENT, "An image does not exist locally with the tag: " + ref.familiar());
  ASSIGN_OR_RETURN(std::unique_ptr<registry::Client> client, push_client(ref, opts));
  ASSIGN_OR_RETURN(oci::Descriptor pushed, push_image(root, *client, ref, *found, ref.tag, opts));
  PushResult out;
  out.name = ref.str();
  out.tag = ref.tag;
  out.digest = pushed.digest;
  out.size = static_cast<uint64_t>(pushed.size);
  return out;
}

Result<oci::Descriptor> push_image(const std::string& root, registry::Client& client, const registry::Reference& ref,
                                   const image::ImageRecord& rec, const std::string& tag, const PushOptions& opts) {
  image::ContentStore content(root);
  image::LayerStore layers(root);
  image::ImageIndex index(root);
  ASSIGN_OR_RETURN(Digest manifest_digest, Digest::parse(rec.manifest));
  ASSIGN_OR_RETURN(std::string manifest_text, content.read(manifest_digest));
  ASSIGN_OR_RETURN(oci::Manifest m, oci::parse_manifest(manifest_text));
  if (m.media_type.empty()) m.media_type = rec.media_type.empty() ? oci::kMediaTypeImageManifest : rec.media_type;
  if (m.layers.size() != rec.diff_ids.size())
    return Error::plain(EINVAL, "image " + (tag.empty() ? rec.manifest : ref.familiar()) +
                                    ": its record and manifest disagree on the layers");
  std::vector<Digest> diff_ids;
  for (const auto& d : rec.diff_ids) {
    ASSIGN_OR_RETURN(Digest dd, Digest::parse(d));
    diff_ids.push_back(dd);
  }
  auto chains = image::chain_ids(diff_ids);

  auto sources = mount_sources(rec, ref);
  auto report = [&](PushEvent e) {
    if (opts.progress) opts.progress(e);
  };

  // Sends a blob the repository lacks: a HEAD first, then a mount, then
  // the bytes from `fd` (when given).
  enum class Sent { kExists, kMounted, kUploaded, kMissing };
  auto send_blob = [&](const std::string& digest, int fd, uint64_t size, std::string* from) -> Result<Sent> {
    ASSIGN_OR_RETURN(bool has, client.has_blob(ref.repository, digest));
    if (has) return Sent::kExists;
    for (const auto& s : sources) {
      auto mounted = client.mount_blob(ref.repository, digest, s);
      if (mounted.ok() && *mounted) {
        *from = s;
        return Sent::kMounted;
      }
    }
    if (fd < 0) return Sent::kMissing;
    TRY(client.upload_blob(ref.repository, digest, fd, size, opts.chunk_size));
    return Sent::kUploaded;
  };

  bool changed = false;
  bool to_oci = opts.compression == "zstd" && m.media_type == oci::kMediaTypeDockerManifest;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    oci::Descriptor& d = m.layers[i];
    std::string shown = d.digest;
    report({PushEvent::Kind::kPreparing, shown, 0, 0, ""});
    std::string have = compression_of(d.media_type);
    bool as_is_ok = opts.compression.empty() || opts.compression == have;
    ASSIGN_OR_RETURN(Digest blob, Digest::parse(d.digest));
    std::string from;
    if (as_is_ok) {
      bool stored = content.has(blob);
      UniqueFd fd;
      if (stored) {
        ASSIGN_OR_RETURN(fd, content.open(blob));
      }
      ASSIGN_OR_RETURN(Sent s, send_blob(d.digest, stored ? fd.get() : -1, static_cast<uint64_t>(d.size), &from));
      if (s != Sent::kMissing) {
        report({s == Sent::kExists ? PushEvent::Kind::kExists
                : s == Sent::kMounted ? PushEvent::Kind::kMounted
                                      : PushEvent::Kind::kPushed,
                shown, 0, 0, from});
        continue;
      }
    }
    // Rebuild the layer's tar from the store and compress it.
    Compression c = opts.compression == "zstd" ? Compression::kZstd : Compression::kGzip;
    ASSIGN_OR_RETURN(image::LayerTarReader tar, image::open_layer_tar(layers, content, chains[i], blob, diff_ids[i]));
    uint64_t total = tar.size();
    auto blob_out = compress_layer(
        [&] { return tar.next(); }, c, root + "/tmp",
        [&](uint64_t n) { report({PushEvent::Kind::kBytes, shown, n, total, "Compressing"}); });
    if (!blob_out.ok()) return std::move(blob_out).error().context("layer " + std::to_string(i) + " (" + d.digest + ")");
    if (!(blob_out->diff_id == diff_ids[i]))
      return Error::plain(EIO, "layer " + std::to_string(i) + ": the rebuilt tar hashes to " + blob_out->diff_id.str() +
                                   ", not its diff_id " + diff_ids[i].str() + "; the layer store is damaged");
    std::string mt = c == Compression::kZstd ? oci::kMediaTypeImageLayerZstd
                     : m.media_type == oci::kMediaTypeDockerManifest ? oci::kMediaTypeDockerLayerGzip
                                                                     : oci::kMediaTypeImageLayerGzip;
    d.media_type = mt;
    d.digest = blob_out->digest.str();
    d.size = static_cast<int64_t>(blob_out->size);
    changed = true;
    ASSIGN_OR_RETURN(Sent s, send_blob(d.digest, blob_out->fd.get(), blob_out->size, &from));
    report({s == Sent::kExists ? PushEvent::Kind::kExists
            : s == Sent::kMounted ? PushEvent::Kind::kMounted
                                  : PushEvent::Kind::kPushed,
            shown, 0, 0, from});
  }

  // The config.
  ASSIGN_OR_RETURN(Digest cfg, Digest::parse(m.config.digest));
  {
    ASSIGN_OR_RETURN(UniqueFd fd, content.open(cfg));
    std::string from;
    ASSIGN_OR_RETURN(Sent s, send_blob(cfg.str(), fd.get(), static_cast<uint64_t>(m.config.size), &from));
    (void)s;
  }

  if (to_oci) {
    m.media_type = oci::kMediaTypeImageManifest;
    m.config.media_type = to_oci_type(m.config.media_type);
    for (auto& l : m.layers) l.media_type = to_oci_type(l.media_type);
    changed = true;
  }
  std::string body = changed ? oci::to_json(m) : manifest_text;
  oci::Descriptor out;
  out.media_type = m.media_type;
  out.digest = image::sha256_of(body).str();
  out.size = static_cast<int64_t>(body.size());
  ASSIGN_OR_RETURN(std::string sent_digest,
                   client.put_manifest(ref.repository, tag.empty() ? out.digest : tag, m.media_type, body));
  if (!sent_digest.empty() && sent_digest != out.digest)
    log::warn("push", "the registry names the manifest " + sent_digest + ", hutch computed " + out.digest);
  // docker lists where an image was pushed among its RepoDigests.
  std::string rd = ref.name() + "@" + out.digest;
  TRY(index.update([&](std::map<std::string, image::ImageRecord>& all) -> Status {
    auto it = all.find(rec.manifest);
    if (it != all.end() &&
        std::find(it->second.repo_digests.begin(), it->second.repo_digests.end(), rd) == it->second.repo_digests.end())
      it->second.repo_digests.push_back(rd);
    return {};
  }));
  return out;
}

}  // namespace hutch::engine
