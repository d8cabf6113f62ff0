#include "image/manifest_lists.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"

namespace hutch::image {
namespace {

json_t* strings(const std::vector<std::string>& xs) {
  json_t* a = json_array();
  for (const auto& x : xs) json_array_append_new(a, json::str(x));
  return a;
}

std::vector<std::string> strings_of(const json_t* a) {
  std::vector<std::string> out;
  size_t i;
  json_t* v;
  json_array_foreach(a, i, v) {
    if (json_is_string(v)) out.emplace_back(json_string_value(v));
  }
  return out;
}

std::string string_of(const json_t* o, const char* key) {
  const char* s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

Result<UniqueFd> take_lock(const std::string& root) {
  TRY(fs::mkdir_p(root, 0700));
  std::string path = root + "/manifests.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return Error::from_errno("open \"" + path + "\"");
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) return Error::from_errno("lock the manifest lists");
  return fd;
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
    ml.index = string_of(l, "index");
    ml.created = static_cast<int64_t>(json_integer_value(json_object_get(l, "created")));
    const char* digest;
    json_t* v;
    json_object_foreach(json_object_get(l, "images"), digest, v) {
      ImageRecord r;
      r.manifest = digest;
      r.config = string_of(v, "config");
      r.media_type = string_of(v, "mediaType");
      r.repo_digests = strings_of(json_object_get(v, "repoDigests"));
      r.layers = strings_of(json_object_get(v, "layers"));
      r.diff_ids = strings_of(json_object_get(v, "diffIds"));
      r.size = static_cast<uint64_t>(json_integer_value(json_object_get(v, "size")));
      ml.images[digest] = std::move(r);
    }
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
    for (const auto& [digest, r] : ml.images) {
      json_t* o = json_object();
      json_object_set_new(o, "config", json::str(r.config));
      json_object_set_new(o, "mediaType", json::str(r.media_type));
      if (!r.repo_digests.empty()) json_object_set_new(o, "repoDigests", strings(r.repo_digests));
      json_object_set_new(o, "layers", strings(r.layers));
      json_object_set_new(o, "diffIds", strings(r.diff_ids));
      json_object_set_new(o, "size", json_integer(static_cast<json_int_t>(r.size)));
      json_object_set_new(images, digest.c_str(), o);
    }
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
