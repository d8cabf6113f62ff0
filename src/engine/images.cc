#include "engine/images.h"

#include <algorithm>
#include <set>

#include <time.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/import.h"
#include "image/retention.h"
#include "oci/image.h"
#include "registry/reference.h"
#include "state/db.h"

namespace hutch::engine {

Result<std::string> normalise_name(const std::string& name) {
  ASSIGN_OR_RETURN(registry::Reference r, registry::Reference::parse(name));
  return r.str();
}

Images::Images(const std::string& root)
    : root_(root), content_(root), layers_(root), index_(root) {}

Result<std::vector<image::ImageRecord>> Images::load(int fd) {
  // New layers and blobs have no record until the end: keep GC off them.
  ASSIGN_OR_RETURN(UniqueFd gc_lock, index_.gc_lock(false));
  image::Stores s;
  s.content = &content_;
  s.layers = &layers_;
  s.index = &index_;
  s.normalise = [](const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& n : names) {
      auto r = normalise_name(n);
      if (r.ok()) out.push_back(*r);
      else log::warn("load", "skipping name \"" + n + "\": " + r.error().message());
    }
    return out;
  };
  return image::load_archive(fd, s, image::host_platform());
}

Result<image::ImageRecord> Images::find(const std::string& what) const {
  auto n = normalise_name(what);
  if (n.ok()) {
    auto r = index_.find(*n);
    if (r.ok()) return r;
  }
  return index_.find(what);
}

Status Images::tag(const std::string& source, const std::string& target) {
  ASSIGN_OR_RETURN(image::ImageRecord rec, find(source));
  ASSIGN_OR_RETURN(std::string name, normalise_name(target));
  rec.names = {name};
  return index_.put(rec);
}

// Image IDs that containers were made from -> one such container's id.
// Their records (and so their layers, the containers' lower dirs) stay.
std::map<std::string, std::string> Images::in_use() const {
  std::map<std::string, std::string> out;
  std::string path = root_ + "/state.db";
  if (::access(path.c_str(), F_OK) != 0) return out;
  auto db = state::Db::open(path);
  if (!db.ok()) return out;
  auto rows = db->list();
  if (!rows.ok()) return out;
  for (const auto& r : *rows) out.emplace(r.image_id, r.id);
  return out;
}

Result<std::vector<std::string>> Images::remove(const std::string& what, bool force) {
  ASSIGN_OR_RETURN(image::ImageRecord rec, find(what));
  std::vector<std::string> lines;
  auto n = normalise_name(what);
  bool by_name = n.ok() && std::find(rec.names.begin(), rec.names.end(), *n) != rec.names.end();
  auto used = in_use();
  auto user = used.find(rec.config);
  TRY(index_.update([&](std::map<std::string, image::ImageRecord>& all) -> Status {
    auto& r = all.at(rec.manifest);
    if (user != used.end() && !(by_name && r.names.size() > 1)) {
      if (!force)
        return Error::plain(EBUSY, "conflict: unable to remove repository reference \"" + what +
                                       "\" (must force) - container " + user->second.substr(0, 12) +
                                       " is using its referenced image " + rec.config.substr(7, 12));
      // docker: forced, the names go; the image stays while a container uses it.
      for (const auto& name : r.names) {
        auto ref = registry::Reference::parse(name);
        lines.push_back("Untagged: " + (ref.ok() ? ref->familiar() : name));
      }
      r.names.clear();
      return {};
    }
    if (by_name && r.names.size() > 1) {
      std::erase(r.names, *n);
      auto ref = registry::Reference::parse(*n);
      lines.push_back("Untagged: " + (ref.ok() ? ref->familiar() : *n));
      return {};
    }
    if (!by_name && r.names.size() > 1 && !force)
      return Error::plain(EBUSY, "conflict: unable to delete " + rec.config.substr(7, 12) +
                                     " (must be forced) - image is referenced in multiple repositories");
    for (const auto& name : r.names) {
      auto ref = registry::Reference::parse(name);
      lines.push_back("Untagged: " + (ref.ok() ? ref->familiar() : name));
    }
    lines.push_back("Deleted: " + rec.config);
    all.erase(rec.manifest);
    return {};
  }));
  auto freed = gc();
  if (!freed.ok()) log::warn("rmi", "garbage collection: " + freed.error().message());
  return lines;
}

Result<image::ImageRecord> Images::import(int fd, const std::string& name, const std::vector<std::string>& changes,
                                          const std::string& message) {
  ASSIGN_OR_RETURN(UniqueFd gc_lock, index_.gc_lock(false));
  oci::ImageConfig cfg;
  for (const auto& c : changes) TRY(apply_change(c, cfg.config));
  std::string ref;
  if (!name.empty()) {
    ASSIGN_OR_RETURN(ref, normalise_name(name));
  }
  TRY(content_.init());
  // Keep the tarball as the layer blob, as sent (compressed or not).
  ASSIGN_OR_RETURN(image::BlobWriter w, content_.writer());
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) TRY(w.write(buf, static_cast<size_t>(n)));
  if (n < 0) return Error::from_errno("read the tarball");
  uint64_t blob_size = w.written();
  ASSIGN_OR_RETURN(image::Digest blob, w.commit());
  ASSIGN_OR_RETURN(UniqueFd in, content_.open(blob));
  char magic[4] = {};
  ssize_t got = ::pread(in.get(), magic, sizeof magic, 0);
  bool gz = got >= 2 && static_cast<unsigned char>(magic[0]) == 0x1f && static_cast<unsigned char>(magic[1]) == 0x8b;
  bool zst = got >= 4 && static_cast<unsigned char>(magic[0]) == 0x28 && static_cast<unsigned char>(magic[1]) == 0xb5 &&
             static_cast<unsigned char>(magic[2]) == 0x2f && static_cast<unsigned char>(magic[3]) == 0xfd;
  auto diff = layers_.unpack_base(in.get());
  if (!diff.ok()) {
    (void)content_.remove(blob);
    return std::move(diff).error().context("import");
  }
  auto plat = image::host_platform();
  cfg.architecture = plat.architecture;
  cfg.variant = plat.variant;
  cfg.os = "linux";
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec = 0;
  cfg.created = format_rfc3339(ts);
  cfg.created = cfg.created.substr(0, 19) + "Z";
  cfg.rootfs.diff_ids = {diff->str()};
  oci::History h;
  h.created = cfg.created;
  h.created_by = "hutch import";
  h.comment = message;
  cfg.history.push_back(h);
  std::string cfg_text = oci::to_json(cfg);
  ASSIGN_OR_RETURN(image::Digest cfg_digest, content_.put(cfg_text));
  oci::Manifest m;
  m.media_type = oci::kMediaTypeImageManifest;
  m.config.media_type = oci::kMediaTypeImageConfig;
  m.config.digest = cfg_digest.str();
  m.config.size = static_cast<int64_t>(cfg_text.size());
  oci::Descriptor layer;
  layer.media_type = gz ? oci::kMediaTypeImageLayerGzip : zst ? oci::kMediaTypeImageLayerZstd : oci::kMediaTypeImageLayer;
  layer.digest = blob.str();
  layer.size = static_cast<int64_t>(blob_size);
  m.layers.push_back(layer);
  std::string m_text = oci::to_json(m);
  ASSIGN_OR_RETURN(image::Digest md, content_.put(m_text));
  image::ImageRecord rec;
  rec.manifest = md.str();
  rec.config = cfg_digest.str();
  rec.media_type = oci::kMediaTypeImageManifest;
  if (!ref.empty()) rec.names = {ref};
  rec.layers = {blob.str()};
  rec.diff_ids = {diff->str()};
  auto sz = layers_.size(*diff);
  rec.size = sz.ok() ? *sz : 0;
  rec.created = static_cast<int64_t>(ts.tv_sec);
  TRY(index_.put(rec));
  // The tarball is redundant once its layer has a tar-split.
  auto freed = image::remove_unneeded_blobs({blob}, content_, layers_, index_);
  if (!freed.ok()) log::warn("import", "remove the tarball blob: " + freed.error().message());
  return rec;
}

Status Images::save(const std::vector<std::string>& names, image::ArchiveFormat format, int out_fd) const {
  std::vector<image::SaveItem> items;
  for (const auto& n : names) {
    ASSIGN_OR_RETURN(image::ImageRecord rec, find(n));
    image::SaveItem it;
    it.record = rec;
    // A name given by the user is written as given (normalised); an ID
    // saves the image with all its names.
    auto norm = normalise_name(n);
    std::vector<std::string> full = norm.ok() && std::find(rec.names.begin(), rec.names.end(), *norm) != rec.names.end()
                                        ? std::vector<std::string>{*norm}
                                        : rec.names;
    for (const auto& f : full) {
      auto ref = registry::Reference::parse(f);
      it.names.push_back(ref.ok() ? (format == image::ArchiveFormat::kDocker ? ref->familiar() : ref->str()) : f);
    }
    items.push_back(std::move(it));
  }
  return image::save_archive(out_fd, items, format, content_, root_ + "/tmp", &layers_);
}

Result<std::vector<Images::HistoryRow>> Images::history(const std::string& what) const {
  ASSIGN_OR_RETURN(image::ImageRecord rec, find(what));
  ASSIGN_OR_RETURN(image::Digest cd, image::Digest::parse(rec.config));
  ASSIGN_OR_RETURN(std::string text, content_.read(cd));
  ASSIGN_OR_RETURN(oci::ImageConfig cfg, oci::parse_image_config(text));
  std::vector<image::Digest> diffs;
  for (const auto& d : rec.diff_ids) {
    auto dg = image::Digest::parse(d);
    if (dg.ok()) diffs.push_back(*dg);
  }
  auto chains = image::chain_ids(diffs);
  std::vector<HistoryRow> rows;
  size_t layer = 0;
  std::vector<oci::History> hist = cfg.history;
  // Images without history (some importers) get one row per layer.
  if (hist.empty())
    for (size_t i = 0; i < chains.size(); ++i) hist.push_back(oci::History{cfg.created, "", "", "", false});
  for (const auto& h : hist) {
    HistoryRow r;
    r.id = "<missing>";
    r.created = h.created;
    r.created_by = h.created_by;
    r.comment = h.comment;
    if (!h.empty_layer && layer < chains.size()) {
      auto sz = layers_.size(chains[layer]);
      r.size = sz.ok() ? *sz : 0;
      ++layer;
    }
    rows.push_back(r);
  }
  std::reverse(rows.begin(), rows.end());
  if (!rows.empty()) rows.front().id = rec.config;
  return rows;
}

Result<std::vector<std::string>> Images::prune(bool all, uint64_t* freed) {
  std::vector<std::string> deleted;
  auto used = in_use();
  TRY(index_.update([&](std::map<std::string, image::ImageRecord>& images) -> Status {
    for (auto it = images.begin(); it != images.end();) {
      if ((all || it->second.names.empty()) && !used.count(it->second.config)) {
        for (const auto& n : it->second.names) {
          auto ref = registry::Reference::parse(n);
          deleted.push_back("untagged: " + (ref.ok() ? ref->familiar() : n));
        }
        deleted.push_back("deleted: " + it->second.config);
        it = images.erase(it);
      } else {
        ++it;
      }
    }
    return {};
  }));
  ASSIGN_OR_RETURN(uint64_t f, gc());
  if (freed) *freed = f;
  return deleted;
}

Result<uint64_t> Images::gc() {
  // Wait for pulls and loads in flight: their layers have no record yet.
  ASSIGN_OR_RETURN(UniqueFd gc_lock, index_.gc_lock(true));
  (void)layers_.clean_stale();
  // Layers of images and of the images manifest lists name stay; their
  // blobs only while a layer has no tar-split to rebuild its tar from
  // (image/retention.h).
  ASSIGN_OR_RETURN(image::Retained keep, image::retained_in_store(index_, content_, layers_));
  uint64_t freed = 0;
  ASSIGN_OR_RETURN(auto all_layers, layers_.list());
  for (const auto& c : all_layers) {
    if (keep.chains.count(c.str())) continue;
    auto sz = layers_.size(c);
    uint64_t split = layers_.tar_split_size(c);
    if (layers_.remove(c).ok() && sz.ok()) freed += *sz + split;
  }
  ASSIGN_OR_RETURN(auto all_blobs, content_.list());
  for (const auto& b : all_blobs) {
    if (keep.blobs.count(b.str())) continue;
    auto sz = content_.size(b);
    if (content_.remove(b).ok() && sz.ok()) freed += *sz;
  }
  (void)content_.clean_ingest(3600);
  return freed;
}

Result<std::string> Images::inspect_json(const std::string& what) const {
  ASSIGN_OR_RETURN(image::ImageRecord rec, find(what));
  ASSIGN_OR_RETURN(image::Digest cd, image::Digest::parse(rec.config));
  ASSIGN_OR_RETURN(std::string cfg_text, content_.read(cd));
  ASSIGN_OR_RETURN(json::Ptr cfg, json::parse(cfg_text));
  json::Ptr o(json_object());
  json_object_set_new(o.get(), "Id", json::str(rec.config));
  json_t* tags = json_array();
  json_t* digests = json_array();
  std::vector<std::string> seen;
  auto add_digest = [&](const std::string& d) {
    if (std::find(seen.begin(), seen.end(), d) != seen.end()) return;
    seen.push_back(d);
    json_array_append_new(digests, json::str(d));
  };
  // Where the image was pulled from or pushed to, then its names with the
  // local manifest's digest.
  for (const auto& rd : rec.repo_digests) {
    auto at = rd.find('@');
    auto ref = registry::Reference::parse(rd.substr(0, at));
    if (at == std::string::npos || !ref.ok()) continue;
    std::string fam = ref->familiar();
    add_digest(fam.substr(0, fam.rfind(':')) + rd.substr(at));
  }
  for (const auto& n : rec.names) {
    auto ref = registry::Reference::parse(n);
    json_array_append_new(tags, json::str(ref.ok() ? ref->familiar() : n));
    if (ref.ok() && rec.repo_digests.empty()) {
      std::string repo = ref->familiar().substr(0, ref->familiar().rfind(':'));
      add_digest(repo + "@" + rec.manifest);
    }
  }
  json_object_set_new(o.get(), "RepoTags", tags);
  json_object_set_new(o.get(), "RepoDigests", digests);
  json_object_set_new(o.get(), "Parent", json::str(""));
  json_object_set_new(o.get(), "Comment", json::str(""));
  auto copy = [&](const char* from, const char* to) {
    json_t* v = json_object_get(cfg.get(), from);
    json_object_set(o.get(), to, v ? v : json::str(""));
  };
  copy("created", "Created");
  json_object_set_new(o.get(), "DockerVersion", json::str(""));
  copy("author", "Author");
  json_t* c = json_object_get(cfg.get(), "config");
  json_object_set(o.get(), "Config", c ? c : json_object());
  copy("architecture", "Architecture");
  if (json_object_get(cfg.get(), "variant")) copy("variant", "Variant");
  copy("os", "Os");
  json_object_set_new(o.get(), "Size", json_integer(static_cast<json_int_t>(rec.size)));
  json_object_set_new(o.get(), "VirtualSize", json_integer(static_cast<json_int_t>(rec.size)));
  json_t* rootfs = json_object();
  json_object_set_new(rootfs, "Type", json::str("layers"));
  json_t* layers = json_array();
  for (const auto& d : rec.diff_ids) json_array_append_new(layers, json::str(d));
  json_object_set_new(rootfs, "Layers", layers);
  json_object_set_new(o.get(), "RootFS", rootfs);
  json_t* meta = json_object();
  json_object_set_new(meta, "LastTagTime", json::str("0001-01-01T00:00:00Z"));
  json_object_set_new(o.get(), "Metadata", meta);
  return json::dump(o.get(), 4);
}

}  // namespace hutch::engine
