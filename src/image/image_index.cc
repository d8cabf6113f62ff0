#include "image/image_index.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"

namespace hutch::image {
namespace {

bool is_hex_prefix(const std::string& s) {
  if (s.size() < 4) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<UniqueFd> take_lock(const std::string& root) {
  TRY(fs::mkdir_p(root, 0700));
  return fs::lock_file(root + "/images.lock");
}

}  // namespace

json_t* record_to_json(const ImageRecord& r) {
  json_t* o = json_object();
  json_object_set_new(o, "config", json::str(r.config));
  json_object_set_new(o, "mediaType", json::str(r.media_type));
  if (!r.names.empty()) json_object_set_new(o, "names", json::string_array(r.names));
  if (!r.repo_digests.empty()) json_object_set_new(o, "repoDigests", json::string_array(r.repo_digests));
  json_object_set_new(o, "layers", json::string_array(r.layers));
  json_object_set_new(o, "diffIds", json::string_array(r.diff_ids));
  json_object_set_new(o, "size", json_integer(static_cast<json_int_t>(r.size)));
  if (r.created) json_object_set_new(o, "created", json_integer(r.created));
  return o;
}

ImageRecord record_from_json(const std::string& manifest, const json_t* v) {
  ImageRecord r;
  r.manifest = manifest;
  r.config = json::string_of(v, "config");
  r.media_type = json::string_of(v, "mediaType");
  r.names = json::strings_of(json_object_get(v, "names"));
  r.repo_digests = json::strings_of(json_object_get(v, "repoDigests"));
  r.layers = json::strings_of(json_object_get(v, "layers"));
  r.diff_ids = json::strings_of(json_object_get(v, "diffIds"));
  r.size = static_cast<uint64_t>(json_integer_value(json_object_get(v, "size")));
  r.created = static_cast<int64_t>(json_integer_value(json_object_get(v, "created")));
  return r;
}

Result<std::map<std::string, ImageRecord>> ImageIndex::read_unlocked() const {
  std::map<std::string, ImageRecord> all;
  std::string path = root_ + "/images.json";
  if (!fs::exists(path)) return all;
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse_file(path));
  const char* key;
  json_t* v;
  json_object_foreach(json_object_get(doc.get(), "images"), key, v) all[key] = record_from_json(key, v);
  return all;
}

Status ImageIndex::write_unlocked(const std::map<std::string, ImageRecord>& all) const {
  json::Ptr doc(json_object());
  json_t* images = json_object();
  for (const auto& [key, r] : all) json_object_set_new(images, key.c_str(), record_to_json(r));
  json_object_set_new(doc.get(), "images", images);
  return fs::write_file_atomic(root_ + "/images.json", json::dump(doc.get(), 1) + "\n", 0600);
}

Result<std::vector<ImageRecord>> ImageIndex::list() const {
  ASSIGN_OR_RETURN(UniqueFd lock, take_lock(root_));
  ASSIGN_OR_RETURN(auto all, read_unlocked());
  std::vector<ImageRecord> out;
  for (auto& [k, r] : all) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), [](const ImageRecord& a, const ImageRecord& b) { return a.created > b.created; });
  return out;
}

Result<ImageRecord> ImageIndex::find(const std::string& what) const {
  ASSIGN_OR_RETURN(auto images, list());
  for (const auto& r : images)
    for (const auto& n : r.names)
      if (n == what) return r;
  for (const auto& r : images)
    for (const auto& d : r.repo_digests)
      if (d == what) return r;
  std::string id = what.rfind("sha256:", 0) == 0 ? what.substr(7) : what;
  std::vector<const ImageRecord*> hits;
  if (is_hex_prefix(id)) {
    for (const auto& r : images)
      if (r.config.compare(7, id.size(), id) == 0 || r.manifest.compare(7, id.size(), id) == 0) hits.push_back(&r);
  }
  if (hits.size() == 1) return *hits[0];
  if (hits.size() > 1) return Error::plain(EINVAL, "image ID prefix \"" + what + "\" is ambiguous");
  return Error::plain(ENOENT, "No such image: " + what);
}

Result<UniqueFd> ImageIndex::gc_lock(bool exclusive) const {
  TRY(fs::mkdir_p(root_, 0700));
  return fs::lock_file(root_ + "/gc.lock", exclusive);
}

Status ImageIndex::update(const std::function<Status(std::map<std::string, ImageRecord>&)>& change) const {
  ASSIGN_OR_RETURN(UniqueFd lock, take_lock(root_));
  ASSIGN_OR_RETURN(auto all, read_unlocked());
  TRY(change(all));
  return write_unlocked(all);
}

Status ImageIndex::put(const ImageRecord& rec) const {
  return update([&](std::map<std::string, ImageRecord>& all) -> Status {
    for (auto& [k, r] : all) {
      if (k == rec.manifest) continue;
      std::erase_if(r.names, [&](const std::string& n) {
        return std::find(rec.names.begin(), rec.names.end(), n) != rec.names.end();
      });
    }
    ImageRecord merged = rec;
    auto add_all = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
      for (const auto& x : from)
        if (std::find(to.begin(), to.end(), x) == to.end()) to.push_back(x);
    };
    if (auto it = all.find(rec.manifest); it != all.end()) {
      add_all(merged.names, it->second.names);
      add_all(merged.repo_digests, it->second.repo_digests);
      merged.created = it->second.created;
    }
    // One image per config (docker's image ID): a record for the same
    // config under another manifest (docker-archive vs oci-archive of one
    // image) folds into this one.
    for (auto it = all.begin(); it != all.end();) {
      if (it->first != rec.manifest && it->second.config == rec.config) {
        add_all(merged.names, it->second.names);
        add_all(merged.repo_digests, it->second.repo_digests);
        it = all.erase(it);
      } else {
        ++it;
      }
    }
    all[rec.manifest] = std::move(merged);
    return {};
  });
}

}  // namespace hutch::image
