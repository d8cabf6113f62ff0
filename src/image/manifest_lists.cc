#include "image/manifest_lists.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"

namespace hutch::image {
namespace {

Result<UniqueFd> take_lock(const std::string& root) {
  TRY(fs::mkdir_p(root, 0700));
  return fs::lock_file(root + "/manifests.lock");
}

}  // namespace

Result<std::map<std::string, ManifestList>> ManifestLists::read_unlocked() const {
  std::map<std::string, ManifestList> all;
  std::string path = root_ + "/manifests.json";
  if (!fs::exists(path)) return all;
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse_file(path));
  const char* name;
  json_t* l;
  json_object_foreach(json_object_get(doc.get(), "lists"), name, l) {
    ManifestList ml;
    ml.name = name;
    ml.index = json::string_of(l, "index");
    ml.created = static_cast<int64_t>(json_integer_value(json_object_get(l, "created")));
    const char* digest;
    json_t* v;
    json_object_foreach(json_object_get(l, "images"), digest, v) ml.images[digest] = record_from_json(digest, v);
    all[name] = std::move(ml);
  }
  return all;
}

Status ManifestLists::write_unlocked(const std::map<std::string, ManifestList>& all) const {
  std::string path = root_ + "/manifests.json";
  // The last list gone: so is the file (a store without lists has none).
  if (all.empty()) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove \"" + path + "\"");
    return {};
  }
  json::Ptr doc(json_object());
  json_t* lists = json_object();
  for (const auto& [name, ml] : all) {
    json_t* l = json_object();
    json_object_set_new(l, "index", json::str(ml.index));
    json_object_set_new(l, "created", json_integer(ml.created));
    json_t* images = json_object();
    for (const auto& [digest, r] : ml.images) json_object_set_new(images, digest.c_str(), record_to_json(r));
    json_object_set_new(l, "images", images);
    json_object_set_new(lists, name.c_str(), l);
  }
  json_object_set_new(doc.get(), "lists", lists);
  return fs::write_file_atomic(path, json::dump(doc.get(), 1) + "\n", 0600);
}

Result<std::vector<ManifestList>> ManifestLists::list() const {
  // No lists: nothing to lock (and no lock file made in a store that has
  // never had one). A list appears by an atomic rename, so this is the view
  // from just before a concurrent writer's.
  if (!fs::exists(root_ + "/manifests.json")) return std::vector<ManifestList>{};
  ASSIGN_OR_RETURN(UniqueFd lock, take_lock(root_));
  ASSIGN_OR_RETURN(auto all, read_unlocked());
  std::vector<ManifestList> out;
  for (auto& [name, ml] : all) out.push_back(std::move(ml));
  return out;
}

Result<ManifestList> ManifestLists::find(const std::string& name) const {
  std::map<std::string, ManifestList> all;
  if (fs::exists(root_ + "/manifests.json")) {
    ASSIGN_OR_RETURN(UniqueFd lock, take_lock(root_));
    ASSIGN_OR_RETURN(all, read_unlocked());
  }
  auto it = all.find(name);
  if (it == all.end()) return Error::plain(ENOENT, "No such manifest: " + name);
  return std::move(it->second);
}

Status ManifestLists::update(const std::function<Status(std::map<std::string, ManifestList>&)>& change) const {
  ASSIGN_OR_RETURN(UniqueFd lock, take_lock(root_));
  ASSIGN_OR_RETURN(auto all, read_unlocked());
  TRY(change(all));
  return write_unlocked(all);
}

std::vector<ImageRecord> listed_images(const std::vector<ManifestList>& lists) {
  std::vector<ImageRecord> out;
  for (const auto& ml : lists)
    for (const auto& [digest, r] : ml.images) out.push_back(r);
  return out;
}

std::vector<std::string> index_blobs(const std::vector<ManifestList>& lists) {
  std::vector<std::string> out;
  for (const auto& ml : lists)
    if (!ml.index.empty()) out.push_back(ml.index);
  return out;
}

}  // namespace hutch::image
