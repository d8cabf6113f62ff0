#include "engine/manifest_list.h"

#include <time.h>

#include <algorithm>
#include <map>

#include "base/json.h"
#include "base/log.h"
#include "engine/images.h"
#include "image/digest.h"
#include "image/image_index.h"
#include "image/manifest_lists.h"
#include "image/store.h"
#include "registry/reference.h"

namespace hutch::engine {
namespace {

using image::Digest;

// Two platforms are one when all of os, architecture, variant and
// os.version agree (what a client matches on when it picks an image).
std::string platform_key(const oci::Platform& p) { return platform_text(p) + "|" + p.os_version; }

std::string shown(const oci::Platform& p) {
  return platform_text(p) + (p.os_version.empty() ? "" : " (os.version " + p.os_version + ")");
}

// os, architecture and variant values: Go's GOOS/GOARCH words and variants
// ("v8"), so letters, digits, '.', '_' and '-'.
Status check_word(const char* what, const std::string& v, bool may_be_empty) {
  if (v.empty() && may_be_empty) return {};
  bool ok = !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
  if (!ok) return Error::plain(EINVAL, std::string("invalid ") + what + " \"" + v + "\"");
  return {};
}

Status check_unique(const std::vector<oci::Descriptor>& ds) {
  std::map<std::string, const oci::Descriptor*> seen;
  for (const auto& d : ds) {
    if (!d.platform) continue;
    auto [it, fresh] = seen.emplace(platform_key(*d.platform), &d);
    if (!fresh)
      return Error::plain(EINVAL, "manifests " + it->second->digest + " and " + d.digest + " are both for " +
                                      shown(*d.platform) + ": a manifest list holds one image per platform");
  }
  return {};
}

Result<std::string> normalise_list(const std::string& text) {
  auto r = registry::Reference::parse(text);
  if (!r.ok()) return std::move(r).error().with_context("manifest list name \"" + text + "\"");
  if (!r->digest.empty())
    return Error::plain(EINVAL, "manifest list name \"" + text + "\": use a tag, not a digest");
  return r->str();
}

Result<oci::Index> read_index(const image::ContentStore& content, const image::ManifestList& ml) {
  ASSIGN_OR_RETURN(Digest d, Digest::parse(ml.index));
  auto text = content.read(d, oci::kMaxDocumentBytes);
  if (!text.ok()) return std::move(text).error().with_context("manifest list " + ml.name + ": read its index");
  auto idx = oci::parse_index(*text);
  if (!idx.ok()) return std::move(idx).error().with_context("manifest list " + ml.name + ": its index");
  return std::move(idx).value();
}

// The descriptor of a local image for a list: its manifest and the
// platform of its config.
Result<oci::Descriptor> describe(const image::ContentStore& content, const image::ImageRecord& rec,
                                 const std::string& shown_name) {
  ASSIGN_OR_RETURN(Digest md, Digest::parse(rec.manifest));
  ASSIGN_OR_RETURN(std::string manifest_text, content.read(md, oci::kMaxDocumentBytes));
  ASSIGN_OR_RETURN(Digest cd, Digest::parse(rec.config));
  ASSIGN_OR_RETURN(std::string config_text, content.read(cd, oci::kMaxDocumentBytes));
  auto cfg = oci::parse_image_config(config_text);
  if (!cfg.ok()) return std::move(cfg).error().with_context("image " + shown_name + ": its config");
  oci::Descriptor d;
  d.media_type = rec.media_type;
  if (!oci::is_manifest_media_type(d.media_type)) {
    ASSIGN_OR_RETURN(d.media_type, oci::detect_media_type(manifest_text));
  }
  d.digest = rec.manifest;
  d.size = static_cast<int64_t>(manifest_text.size());
  d.platform = platform_of(*cfg);
  return d;
}

// A local image's record by manifest digest, from the image index or else
// from the copy the list keeps.
Result<image::ImageRecord> listed_record(const std::vector<image::ImageRecord>& images, const image::ManifestList& ml,
                                         const std::string& digest) {
  for (const auto& r : images)
    if (r.manifest == digest) return r;
  if (auto it = ml.images.find(digest); it != ml.images.end()) return it->second;
  return Error::plain(ENOENT, "manifest list " + ml.name + ": image " + digest + " is not in the store");
}

}  // namespace

oci::Platform platform_of(const oci::ImageConfig& c) {
  oci::Platform p;
  p.architecture = c.architecture;
  p.os = c.os;
  p.os_version = c.os_version;
  p.os_features = c.os_features;
  p.variant = c.variant;
  return p;
}

std::string platform_text(const oci::Platform& p) {
  return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
}

Result<oci::Index> add_to_index(const oci::Index& base, const std::vector<ListEntry>& add) {
  std::map<std::string, const ListEntry*> seen;
  for (const auto& e : add) {
    const auto& p = e.descriptor.platform;
    if (!p || p->os.empty() || p->architecture.empty())
      return Error::plain(EINVAL, "image " + e.name + " states no platform (os and architecture in its config); " +
                                      "a manifest list needs one per image");
    auto [it, fresh] = seen.emplace(platform_key(*p), &e);
    if (!fresh)
      return Error::plain(EINVAL, "images " + it->second->name + " and " + e.name + " are both for " + shown(*p) +
                                      ": a manifest list holds one image per platform");
  }
  oci::Index out = base;
  out.schema_version = 2;
  out.media_type = oci::kMediaTypeImageIndex;
  std::erase_if(out.manifests, [&](const oci::Descriptor& d) {
    for (const auto& e : add)
      if (d.digest == e.descriptor.digest ||
          (d.platform && platform_key(*d.platform) == platform_key(*e.descriptor.platform)))
        return true;
    return false;
  });
  for (const auto& e : add) out.manifests.push_back(e.descriptor);
  TRY(check_unique(out.manifests));
  return out;
}

Result<oci::Index> annotate_index(const oci::Index& index, const std::string& digest, const PlatformChange& change) {
  oci::Index out = index;
  auto it = std::find_if(out.manifests.begin(), out.manifests.end(),
                         [&](const oci::Descriptor& d) { return d.digest == digest; });
  if (it == out.manifests.end()) return Error::plain(ENOENT, "no manifest " + digest + " in the list");
  oci::Platform p = it->platform.value_or(oci::Platform{});
  if (change.os) {
    TRY(check_word("os", *change.os, false));
    p.os = *change.os;
  }
  if (change.architecture) {
    TRY(check_word("architecture", *change.architecture, false));
    p.architecture = *change.architecture;
  }
  if (change.variant) {
    TRY(check_word("variant", *change.variant, true));
    p.variant = *change.variant;
  }
  if (change.os_version) p.os_version = *change.os_version;
  if (change.os_features) {
    for (const auto& f : *change.os_features) TRY(check_word("os feature", f, false));
    p.os_features = *change.os_features;
  }
  if (p.os.empty() || p.architecture.empty())
    return Error::plain(EINVAL, "manifest " + digest + ": a platform needs an os and an architecture");
  it->platform = p;
  TRY(check_unique(out.manifests));
  return out;
}

Result<CreatedList> manifest_create(const std::string& root, const std::string& list_text,
                                    const std::vector<std::string>& image_names, bool amend) {
  ASSIGN_OR_RETURN(std::string name, normalise_list(list_text));
  image::ContentStore content(root);
  image::ImageIndex index(root);
  image::ManifestLists lists(root);
  Images images(root);
  TRY(content.init());
  // Shared with pulls, exclusive for GC: the images found below keep their
  // blobs until the list names them.
  ASSIGN_OR_RETURN(UniqueFd gc_lock, index.gc_lock(false));
  std::vector<ListEntry> add;
  std::map<std::string, image::ImageRecord> records;
  for (const auto& n : image_names) {
    ASSIGN_OR_RETURN(image::ImageRecord rec, images.find(n));
    ASSIGN_OR_RETURN(oci::Descriptor d, describe(content, rec, n));
    add.push_back({n, d});
    rec.names.clear();
    records[rec.manifest] = std::move(rec);
  }
  CreatedList out;
  out.name = name;
  TRY(lists.update([&](std::map<std::string, image::ManifestList>& all) -> Status {
    auto it = all.find(name);
    if (it != all.end() && !amend)
      return Error::plain(EEXIST, "refusing to amend an existing manifest list with no --amend flag: " + name);
    image::ManifestList ml;
    oci::Index base;
    if (it != all.end()) {
      ml = it->second;
      ASSIGN_OR_RETURN(base, read_index(content, ml));
    } else {
      ml.name = name;
      ml.created = static_cast<int64_t>(::time(nullptr));
    }
    ASSIGN_OR_RETURN(oci::Index idx, add_to_index(base, add));
    std::string text = oci::to_json(idx);
    ASSIGN_OR_RETURN(Digest d, content.put(text));
    ml.index = d.str();
    for (auto& [digest, rec] : records) ml.images[digest] = rec;
    std::erase_if(ml.images, [&](const auto& kv) {
      return std::none_of(idx.manifests.begin(), idx.manifests.end(),
                          [&](const oci::Descriptor& m) { return m.digest == kv.first; });
    });
    out.digest = ml.index;
    all[name] = std::move(ml);
    return {};
  }));
  return out;
}

Status manifest_annotate(const std::string& root, const std::string& list_text, const std::string& image_text,
                         const PlatformChange& change) {
  ASSIGN_OR_RETURN(std::string name, normalise_list(list_text));
  image::ContentStore content(root);
  image::ImageIndex index(root);
  image::ManifestLists lists(root);
  // The image: a local one, or a digest (a prefix will do) in the list.
  auto local = Images(root).find(image_text);
  std::string hex = image_text.rfind("sha256:", 0) == 0 ? image_text.substr(7) : image_text;
  ASSIGN_OR_RETURN(UniqueFd gc_lock, index.gc_lock(false));
  return lists.update([&](std::map<std::string, image::ManifestList>& all) -> Status {
    auto it = all.find(name);
    if (it == all.end()) return Error::plain(ENOENT, "No such manifest: " + name);
    image::ManifestList& ml = it->second;
    ASSIGN_OR_RETURN(oci::Index idx, read_index(content, ml));
    std::vector<std::string> hits;
    for (const auto& m : idx.manifests)
      if (local.ok() && m.digest == local->manifest) hits = {m.digest};
    if (hits.empty() && hex.size() >= 4)
      for (const auto& m : idx.manifests)
        if (m.digest.compare(7, hex.size(), hex) == 0) hits.push_back(m.digest);
    if (hits.size() != 1)
      return Error::plain(ENOENT, "manifest for image " + image_text + " does not exist in " + name);
    auto changed = annotate_index(idx, hits[0], change);
    if (!changed.ok()) return std::move(changed).error().with_context("annotate " + image_text + " in " + name);
    std::string text = oci::to_json(*changed);
    ASSIGN_OR_RETURN(Digest d, content.put(text));
    ml.index = d.str();
    return {};
  });
}

Result<std::string> manifest_inspect(const std::string& root, const std::string& list_text) {
  ASSIGN_OR_RETURN(std::string name, normalise_list(list_text));
  image::ContentStore content(root);
  ASSIGN_OR_RETURN(image::ManifestList ml, image::ManifestLists(root).find(name));
  ASSIGN_OR_RETURN(Digest d, Digest::parse(ml.index));
  ASSIGN_OR_RETURN(std::string text, content.read(d, oci::kMaxDocumentBytes));
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(text));
  return json::dump(doc.get(), 3);
}

Result<std::string> manifest_remove(const std::string& root, const std::string& list_text) {
  ASSIGN_OR_RETURN(std::string name, normalise_list(list_text));
  TRY(image::ManifestLists(root).update([&](std::map<std::string, image::ManifestList>& all) -> Status {
    if (all.erase(name) == 0) return Error::plain(ENOENT, "No such manifest: " + name);
    return {};
  }));
  auto freed = Images(root).gc();
  if (!freed.ok()) log::warn("manifest", "garbage collection: " + freed.error().message());
  return name;
}

Result<ManifestPushResult> manifest_push(const std::string& root, const std::string& list_text,
                                         const std::string& destination, const ManifestPushOptions& opts) {
  ASSIGN_OR_RETURN(std::string name, normalise_list(list_text));
  ASSIGN_OR_RETURN(registry::Reference to, registry::Reference::parse(destination.empty() ? name : destination));
  if (!to.digest.empty())
    return Error::plain(EINVAL, "cannot push to \"" + destination + "\": push a tag, not a digest reference");
  image::ContentStore content(root);
  ASSIGN_OR_RETURN(image::ManifestList ml, image::ManifestLists(root).find(name));
  ASSIGN_OR_RETURN(oci::Index idx, read_index(content, ml));
  if (idx.manifests.empty()) return Error::plain(EINVAL, "manifest list " + name + " is empty");
  ASSIGN_OR_RETURN(std::vector<image::ImageRecord> images, image::ImageIndex(root).list());
  ASSIGN_OR_RETURN(std::unique_ptr<registry::Client> client, push_client(to, opts.push));
  for (auto& m : idx.manifests) {
    ASSIGN_OR_RETURN(image::ImageRecord rec, listed_record(images, ml, m.digest));
    auto pushed = push_image(root, *client, to, rec, "", opts.push);
    if (!pushed.ok())
      return std::move(pushed).error().with_context(
          "push " + (m.platform ? platform_text(*m.platform) : std::string("image")) + " (" + m.digest + ")");
    // Recompressed layers make a new manifest: the index names what the
    // registry now holds.
    m.media_type = pushed->media_type;
    m.digest = pushed->digest;
    m.size = pushed->size;
    if (opts.on_image) opts.on_image(m);
  }
  idx.media_type = oci::kMediaTypeImageIndex;
  std::string body = oci::to_json(idx);
  ManifestPushResult out;
  out.name = to.str();
  out.digest = image::sha256_of(body).str();
  out.size = body.size();
  out.index = idx;
  ASSIGN_OR_RETURN(std::string sent, client->put_manifest(to.repository, to.tag, oci::kMediaTypeImageIndex, body));
  if (!sent.empty() && sent != out.digest)
    log::warn("manifest", "the registry names the index " + sent + ", hutch computed " + out.digest);
  if (opts.purge) {
    auto removed = manifest_remove(root, name);
    if (!removed.ok()) return std::move(removed).error().with_context("--purge: pushed " + out.digest);
  }
  return out;
}

}  // namespace hutch::engine
