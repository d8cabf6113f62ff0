#include "image/layer_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/proc.h"
#include "base/json.h"
#include "base/scope.h"
#include "image/layer.h"

namespace hutch::image {

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  for (const auto& d : diff_ids) {
    if (out.empty()) {
      out.push_back(d);
    } else {
      out.push_back(sha256_of(out.back().str() + " " + d.str()));
    }
  }
  return out;
}

namespace {

constexpr char kSplitName[] = "tar-split";

}  // namespace

std::string LayerStore::dir(const Digest& c) const { return root_ + "/layers/" + c.hex; }
std::string LayerStore::diff_dir(const Digest& c) const { return dir(c) + "/diff"; }
bool LayerStore::has(const Digest& c) const { return fs::exists(dir(c) + "/layer.json"); }
bool LayerStore::has_tar_split(const Digest& c) const { return has(c) && fs::exists(dir(c) + "/" + kSplitName); }

uint64_t LayerStore::tar_split_size(const Digest& c) const {
  struct stat st;
  if (::stat((dir(c) + "/" + kSplitName).c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

Result<LayerTarReader> LayerStore::open_tar(const Digest& c) const {
  std::string where = "layer " + c.str();
  UniqueFd split(::open((dir(c) + "/" + kSplitName).c_str(), O_RDONLY | O_CLOEXEC));
  if (!split) {
    if (errno == ENOENT) return Error::plain(ENOENT, where + " has no tar-split: its tar cannot be rebuilt");
    return Error::from_errno("open the tar-split of " + where);
  }
  auto doc = json::parse_file(dir(c) + "/layer.json");
  if (!doc.ok()) return std::move(doc).error().with_context(where);
  json_t* size = json_object_get(doc->get(), "tarSize");
  const char* diff_text = json_string_value(json_object_get(doc->get(), "diffId"));
  auto diff_id = Digest::parse(diff_text ? diff_text : "");
  if (!json_is_integer(size) || json_integer_value(size) < 0 || !diff_id.ok())
    return Error::plain(EINVAL, where + ": layer.json lacks diffId or tarSize");
  UniqueFd diff(::open(diff_dir(c).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!diff) return Error::from_errno("open the files of " + where);
  return LayerTarReader(std::move(diff), std::move(split), *diff_id, static_cast<uint64_t>(json_integer_value(size)));
}

Status LayerStore::write_tar(const Digest& c, int out_fd) const {
  ASSIGN_OR_RETURN(LayerTarReader r, open_tar(c));
  return r.copy_to(out_fd);
}

Result<uint64_t> LayerStore::size(const Digest& c) const {
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse_file(dir(c) + "/layer.json"));
  return static_cast<uint64_t>(json_integer_value(json_object_get(doc.get(), "size")));
}

Result<Digest> LayerStore::unpack_base(int in_fd, bool rootless) const {
  Digest got;
  TRY(unpack_into(in_fd, nullptr, nullptr, "", rootless, &got));
  return got;
}

Status LayerStore::unpack(int in_fd, const Digest& chain_id, const Digest& diff_id, const std::string& parent,
                          bool rootless) const {
  if (has(chain_id)) return {};
  return unpack_into(in_fd, &chain_id, &diff_id, parent, rootless, nullptr);
}

Status LayerStore::unpack_into(int in_fd, const Digest* chain_in, const Digest* want_diff, const std::string& parent,
                               bool rootless, Digest* got_diff) const {
  TRY(fs::mkdir_p(root_ + "/layers", 0700));
  // The owner's tag in the name lets clean_stale() tell a killed unpack's
  // leftovers from a live one's.
  std::string tmpl = root_ + "/layers/.tmp-" + owner_tag() + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return Error::from_errno("make a temporary layer directory");
  std::string tmp = tmpl;
  ScopeGuard cleanup([&] { (void)fs::remove_all(tmp); });
  if (::mkdir((tmp + "/diff").c_str(), 0755) != 0) return Error::from_errno("mkdir \"" + tmp + "/diff\"");
  UniqueFd target(::open((tmp + "/diff").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!target) return Error::from_errno("open \"" + tmp + "/diff\"");
  std::string split_path = tmp + "/" + kSplitName;
  UniqueFd split(::open(split_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!split) return Error::from_errno("create \"" + split_path + "\"");
  ApplyOptions opts;
  opts.preserve_owners = !rootless;
  opts.create_devices = !rootless;
  ASSIGN_OR_RETURN(ApplyResult r, apply_layer(in_fd, target.get(), opts, split.get()));
  // The blob may be deleted once the split is published: it must be on
  // disk by then (layer.json is written the same way).
  if (r.split_usable && ::fdatasync(split.get()) != 0) return Error::from_errno("sync \"" + split_path + "\"");
  split.reset();
  if (!r.split_usable && ::unlink(split_path.c_str()) != 0) return Error::from_errno("remove \"" + split_path + "\"");
  if (want_diff && !(r.diff_id == *want_diff))
    return Error::plain(EINVAL, "layer " + chain_in->str() + ": content has diff_id " + r.diff_id.str() +
                                    ", the image config says " + want_diff->str());
  Digest chain_id = chain_in ? *chain_in : r.diff_id;
  Digest diff_id = r.diff_id;
  if (got_diff) *got_diff = r.diff_id;
  if (has(chain_id)) return {};
  json::Ptr meta(json_object());
  json_object_set_new(meta.get(), "diffId", json::str(diff_id.str()));
  json_object_set_new(meta.get(), "parent", json::str(parent));
  json_object_set_new(meta.get(), "size", json_integer(static_cast<json_int_t>(r.unpacked_bytes)));
  json_object_set_new(meta.get(), "tarSize", json_integer(static_cast<json_int_t>(r.tar_size)));
  TRY(fs::write_file_atomic(tmp + "/layer.json", json::dump(meta.get()) + "\n", 0600));
  // Publish atomically; another process may have won the race.
  if (::rename(tmp.c_str(), dir(chain_id).c_str()) != 0) {
    if ((errno == ENOTEMPTY || errno == EEXIST) && has(chain_id)) return {};
    return Error::from_errno("publish layer " + chain_id.str());
  }
  cleanup.release();
  return {};
}

Status LayerStore::remove(const Digest& c) const {
  // Hide it first (rename is atomic), then delete at leisure.
  std::string gone = root_ + "/layers/.tmp-" + owner_tag() + "-rm-" + c.hex;
  if (::rename(dir(c).c_str(), gone.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return Error::from_errno("remove layer " + c.str());
  }
  return fs::remove_all(gone);
}

Status LayerStore::clean_stale() const {
  std::string base = root_ + "/layers";
  DIR* d = ::opendir(base.c_str());
  if (!d) return {};
  std::vector<std::string> dead;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(".tmp-", 0) != 0) continue;
    // ".tmp-<pid>-<start>-...": its owner's tag; untagged names (older
    // versions) have no owner to ask and are left to age-blind GC.
    if (!owner_alive(std::string_view(n).substr(5))) dead.push_back(n);
  }
  ::closedir(d);
  Status first;
  for (const auto& n : dead) {
    Status st = fs::remove_all(base + "/" + n);
    if (!st.ok() && first.ok()) first = std::move(st);
  }
  return first;
}

Result<std::vector<Digest>> LayerStore::list() const {
  std::vector<Digest> out;
  DIR* d = ::opendir((root_ + "/layers").c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() != 64) continue;
    auto dg = Digest::parse("sha256:" + n);
    if (dg.ok() && has(*dg)) out.push_back(*dg);
  }
  ::closedir(d);
  return out;
}

}  // namespace hutch::image
