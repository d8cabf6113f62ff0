#include "image/archive.h"

#include "image/archive_api.h"
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <map>

#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"
#include "image/retention.h"
#include "oci/image.h"

namespace hutch::image {
namespace {

constexpr size_t kMaxSmallFile = 4 << 20;

struct Archive {
  struct archive* a = archive_read_new();
  ~Archive() { archive_read_free(a); }
};

// What the archive held: small JSON files by path, and every other regular
// file as a blob (path -> digest).
struct Contents {
  std::map<std::string, std::string> small;
  std::map<std::string, Digest> blobs;
  std::map<std::string, uint64_t> sizes;
};

std::string clean(std::string p) {
  while (starts_with(p, "./")) p = p.substr(2);
  while (!p.empty() && p[0] == '/') p = p.substr(1);
  return p;
}

Result<Contents> read_members(int fd, const ContentStore& store) {
  Archive ar;
  archive_read_support_filter_gzip(ar.a);
  archive_read_support_filter_zstd(ar.a);
  archive_read_support_filter_none(ar.a);
  archive_read_support_format_tar(ar.a);
  if (archive_read_open_fd(ar.a, fd, 64 * 1024) != ARCHIVE_OK)
    return Error::plain(EINVAL, std::string("read archive: ") + archive_error_string(ar.a));
  Contents c;
  struct archive_entry* e;
  while (true) {
    int r = archive_read_next_header(ar.a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return Error::plain(EINVAL, std::string("read archive: ") + archive_error_string(ar.a));
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    std::string path = clean(archive_entry_pathname(e));
    bool small = (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) || path == "oci-layout" ||
                 path == "repositories";
    if (small) {
      if (archive_entry_size(e) > static_cast<la_int64_t>(kMaxSmallFile))
        return Error::plain(EFBIG, "archive member \"" + path + "\" is too large");
      std::string text;
      char buf[65536];
      la_ssize_t n;
      while ((n = archive_read_data(ar.a, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
      if (n < 0) return Error::plain(EIO, std::string("read archive: ") + archive_error_string(ar.a));
      // Config JSON files of docker-archive are blobs too.
      ASSIGN_OR_RETURN(Digest d, store.put(text));
      c.blobs[path] = d;
      c.sizes[path] = text.size();
      c.small[path] = std::move(text);
      continue;
    }
    // OCI layout blobs must match their names; docker-archive layers are
    // named by their digest or by directory.
    std::optional<Digest> expected;
    if (starts_with(path, "blobs/")) {
      auto parts = split(path, '/');
      if (parts.size() == 3) {
        auto d = Digest::parse(parts[1] + ":" + parts[2]);
        if (d.ok()) expected = *d;
      }
    }
    ASSIGN_OR_RETURN(BlobWriter w, store.writer(expected));
    char buf[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(ar.a, buf, sizeof buf)) > 0) TRY(w.write(buf, static_cast<size_t>(n)));
    if (n < 0) return Error::plain(EIO, std::string("read archive member \"" + path + "\": ") + archive_error_string(ar.a));
    auto d = w.commit();
    if (!d.ok()) return std::move(d).error().context("archive member \"" + path + "\"");
    c.sizes[path] = w.written();
    c.blobs[path] = *d;
  }
  return c;
}

// Unpacks the layers of a parsed manifest + config, records the image.
Result<ImageRecord> register_image(const Stores& s, const std::string& manifest_text, const std::string& media_type,
                                   const std::vector<std::string>& names) {
  ASSIGN_OR_RETURN(oci::Manifest m, oci::parse_manifest(manifest_text));
  ASSIGN_OR_RETURN(Digest config_digest, Digest::parse(m.config.digest));
  ASSIGN_OR_RETURN(std::string config_text, s.content->read(config_digest));
  ASSIGN_OR_RETURN(oci::ImageConfig cfg, oci::parse_image_config(config_text));
  if (cfg.rootfs.diff_ids.size() != m.layers.size())
    return Error::plain(EINVAL, "image config lists " + std::to_string(cfg.rootfs.diff_ids.size()) +
                                    " diff_ids for " + std::to_string(m.layers.size()) + " layers");
  std::vector<Digest> diff_ids;
  for (const auto& d : cfg.rootfs.diff_ids) {
    ASSIGN_OR_RETURN(Digest dd, Digest::parse(d));
    diff_ids.push_back(dd);
  }
  auto chains = chain_ids(diff_ids);
  ImageRecord rec;
  rec.config = config_digest.str();
  rec.media_type = media_type;
  rec.names = names;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    ASSIGN_OR_RETURN(Digest blob, Digest::parse(m.layers[i].digest));
    rec.layers.push_back(blob.str());
    rec.diff_ids.push_back(diff_ids[i].str());
    if (!s.layers->has(chains[i])) {
      ASSIGN_OR_RETURN(UniqueFd fd, s.content->open(blob));
      auto st = s.layers->unpack(fd.get(), chains[i], diff_ids[i], i ? chains[i - 1].str() : "");
      if (!st.ok()) return std::move(st).error().context("layer " + std::to_string(i) + " (" + blob.str() + ")");
    }
    auto sz = s.layers->size(chains[i]);
    if (sz.ok()) rec.size += *sz;
  }
  ASSIGN_OR_RETURN(Digest md, s.content->put(manifest_text));
  rec.manifest = md.str();
  rec.created = static_cast<int64_t>(::time(nullptr));
  TRY(s.index->put(rec));
  return rec;
}

Result<std::vector<ImageRecord>> load_docker(const Contents& c, const Stores& s) {
  auto normalise_names = s.normalise;
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(c.small.at("manifest.json")));
  if (!json_is_array(doc.get())) return Error::plain(EINVAL, "manifest.json: expected an array");
  std::vector<ImageRecord> out;
  size_t i;
  json_t* item;
  json_array_foreach(doc.get(), i, item) {
    std::string where = "manifest.json[" + std::to_string(i) + "]";
    const char* config = json_string_value(json_object_get(item, "Config"));
    if (!config || !c.blobs.count(clean(config))) return Error::plain(EINVAL, where + ".Config: missing file");
    oci::Manifest m;
    m.media_type = oci::kMediaTypeDockerManifest;
    m.config.media_type = oci::kMediaTypeDockerConfig;
    m.config.digest = c.blobs.at(clean(config)).str();
    m.config.size = static_cast<int64_t>(c.sizes.at(clean(config)));
    size_t j;
    json_t* layer;
    json_array_foreach(json_object_get(item, "Layers"), j, layer) {
      const char* lp = json_string_value(layer);
      if (!lp || !c.blobs.count(clean(lp)))
        return Error::plain(EINVAL, where + ".Layers[" + std::to_string(j) + "]: missing file");
      oci::Descriptor d;
      d.media_type = oci::kMediaTypeDockerLayer;
      d.digest = c.blobs.at(clean(lp)).str();
      d.size = static_cast<int64_t>(c.sizes.at(clean(lp)));
      m.layers.push_back(d);
    }
    std::vector<std::string> tags;
    json_array_foreach(json_object_get(item, "RepoTags"), j, layer) {
      if (json_is_string(layer)) tags.emplace_back(json_string_value(layer));
    }
    auto rec = register_image(s, oci::to_json(m), oci::kMediaTypeDockerManifest, normalise_names(tags));
    if (!rec.ok()) return std::move(rec).error().context(where);
    out.push_back(std::move(rec).value());
  }
  return out;
}

bool platform_matches(const std::optional<oci::Platform>& p, const Platform& want) {
  if (!p) return true;
  return p->os == want.os && p->architecture == want.architecture &&
         (want.variant.empty() || p->variant.empty() || p->variant == want.variant);
}

Result<std::vector<ImageRecord>> load_oci(const Contents& c, const Stores& s, const Platform& want) {
  auto normalise_names = s.normalise;
  ASSIGN_OR_RETURN(oci::Index top, oci::parse_index(c.small.at("index.json")));
  std::vector<ImageRecord> out;
  for (size_t i = 0; i < top.manifests.size(); ++i) {
    oci::Descriptor d = top.manifests[i];
    std::vector<std::string> tags;
    for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
      auto it = d.annotations.find(key);
      // A bare tag ("latest") names no repository: skip it.
      if (it != d.annotations.end() && it->second.find_first_of("/:") != std::string::npos) tags.push_back(it->second);
    }
    ASSIGN_OR_RETURN(Digest dg, Digest::parse(d.digest));
    ASSIGN_OR_RETURN(std::string text, s.content->read(dg));
    // An index inside: pick the wanted platform.
    if (oci::is_index_media_type(d.media_type)) {
      ASSIGN_OR_RETURN(oci::Index inner, oci::parse_index(text));
      std::string avail;
      const oci::Descriptor* pick = nullptr;
      for (const auto& m : inner.manifests) {
        if (m.platform) avail += (avail.empty() ? "" : ", ") + m.platform->os + "/" + m.platform->architecture;
        if (!pick && platform_matches(m.platform, want)) pick = &m;
      }
      if (!pick)
        return Error::plain(ENOENT, "no image for " + want.os + "/" + want.architecture + " in the archive (it has " +
                                        avail + ")");
      d = *pick;
      ASSIGN_OR_RETURN(dg, Digest::parse(d.digest));
      ASSIGN_OR_RETURN(text, s.content->read(dg));
    }
    std::string mt = d.media_type.empty() ? oci::kMediaTypeImageManifest : d.media_type;
    auto rec = register_image(s, text, mt, normalise_names(tags));
    if (!rec.ok()) return std::move(rec).error().context("index.json manifests[" + std::to_string(i) + "]");
    out.push_back(std::move(rec).value());
  }
  return out;
}

}  // namespace

Platform host_platform() {
  Platform p;
  struct utsname u;
  ::uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") p.architecture = "amd64";
  else if (m == "aarch64") p.architecture = "arm64", p.variant = "v8";
  else if (starts_with(m, "armv7")) p.architecture = "arm", p.variant = "v7";
  else if (starts_with(m, "armv6")) p.architecture = "arm", p.variant = "v6";
  else if (m == "i686" || m == "i386") p.architecture = "386";
  else p.architecture = m;
  return p;
}

Result<std::vector<ImageRecord>> load_archive(int fd, const Stores& stores, const Platform& want) {
  TRY(stores.content->init());
  ASSIGN_OR_RETURN(Contents c, read_members(fd, *stores.content));
  Result<std::vector<ImageRecord>> loaded = Error::plain(
      EINVAL, "not an image archive: no manifest.json (docker-archive) or index.json (oci-archive)");
  if (c.small.count("manifest.json")) loaded = load_docker(c, stores);
  else if (c.small.count("index.json")) loaded = load_oci(c, stores, want);
  // Once every image is named, the members no image needs go: layer blobs
  // whose layers can be rebuilt from their tar-splits, and what the archive
  // held besides the images (its own index, other platforms). After a
  // failure they stay for GC, since a retry may use them.
  if (loaded.ok()) {
    std::vector<Digest> members;
    for (const auto& [path, d] : c.blobs) members.push_back(d);
    auto freed = remove_unneeded_blobs(members, *stores.content, *stores.layers, *stores.index);
    if (!freed.ok()) log::warn("load", "remove redundant blobs: " + freed.error().message());
  }
  return loaded;
}

}  // namespace hutch::image
