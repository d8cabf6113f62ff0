#include "image/archive_save.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "base/fs.h"
#include "base/json.h"
#include "image/internal/tar_source.h"
#include "oci/image.h"

namespace hutch::image {
namespace {

class Writer {
 public:
  explicit Writer(int fd) : a_(archive_write_new()) {
    archive_write_set_format_pax_restricted(a_);
    ok_ = archive_write_open_fd(a_, fd) == ARCHIVE_OK;
  }
  ~Writer() { archive_write_free(a_); }
  Status check() const {
    if (!ok_) return Error::plain(EIO, std::string("write archive: ") + archive_error_string(a_));
    return {};
  }
  Status header(const std::string& path, int64_t size) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_size(e, size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    int r = archive_write_header(a_, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK) return Error::plain(EIO, "write \"" + path + "\": " + archive_error_string(a_));
    return {};
  }
  Status data(const void* p, size_t n) {
    if (archive_write_data(a_, p, n) < 0) return Error::plain(EIO, std::string("write archive: ") + archive_error_string(a_));
    return {};
  }
  Status text(const std::string& path, const std::string& content) {
    TRY(header(path, static_cast<int64_t>(content.size())));
    return data(content.data(), content.size());
  }
  Status file(const std::string& path, int fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return Error::from_errno("stat \"" + path + "\"");
    TRY(header(path, st.st_size));
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) TRY(data(buf, static_cast<size_t>(n)));
    if (n < 0) return Error::from_errno("read \"" + path + "\"");
    return {};
  }
  Status close() {
    if (archive_write_close(a_) != ARCHIVE_OK) return Error::plain(EIO, std::string("finish archive: ") + archive_error_string(a_));
    return {};
  }

 private:
  struct archive* a_;
  bool ok_ = false;
};

// An uncompressed copy of a layer blob in a temp file (unlinked at once).
Result<UniqueFd> plain_layer(const ContentStore& store, const Digest& blob, const std::string& tmp_dir) {
  ASSIGN_OR_RETURN(UniqueFd in, store.open(blob));
  TRY(fs::mkdir_p(tmp_dir, 0700));
  UniqueFd out(::open(tmp_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!out) return Error::from_errno("make a temporary file in \"" + tmp_dir + "\"");
  internal::TarSource src(in.get());
  while (true) {
    ASSIGN_OR_RETURN(std::string_view chunk, src.next());
    if (chunk.empty()) break;
    if (::write(out.get(), chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size()))
      return Error::from_errno("write a temporary layer");
  }
  ::lseek(out.get(), 0, SEEK_SET);
  return out;
}

Status save_docker(Writer& w, const std::vector<SaveItem>& items, const ContentStore& store, const std::string& tmp) {
  json::Ptr manifest(json_array());
  std::set<std::string> written;
  for (const auto& it : items) {
    const auto& r = it.record;
    ASSIGN_OR_RETURN(Digest cd, Digest::parse(r.config));
    std::string config_name = cd.hex + ".json";
    if (written.insert(config_name).second) {
      ASSIGN_OR_RETURN(std::string cfg, store.read(cd));
      TRY(w.text(config_name, cfg));
    }
    json_t* entry = json_object();
    json_object_set_new(entry, "Config", json::str(config_name));
    json_t* tags = json_array();
    for (const auto& n : it.names) json_array_append_new(tags, json::str(n));
    json_object_set_new(entry, "RepoTags", tags);
    json_t* layers = json_array();
    for (size_t i = 0; i < r.layers.size(); ++i) {
      ASSIGN_OR_RETURN(Digest blob, Digest::parse(r.layers[i]));
      ASSIGN_OR_RETURN(Digest diff, Digest::parse(r.diff_ids[i]));
      std::string name = diff.hex + ".tar";
      json_array_append_new(layers, json::str(name));
      if (!written.insert(name).second) continue;
      if (blob == diff) {
        ASSIGN_OR_RETURN(UniqueFd fd, store.open(blob));
        TRY(w.file(name, fd.get()));
      } else {
        ASSIGN_OR_RETURN(UniqueFd fd, plain_layer(store, blob, tmp));
        TRY(w.file(name, fd.get()));
      }
    }
    json_object_set_new(entry, "Layers", layers);
    json_array_append_new(manifest.get(), entry);
  }
  return w.text("manifest.json", json::dump(manifest.get()));
}

Status save_oci(Writer& w, const std::vector<SaveItem>& items, const ContentStore& store) {
  TRY(w.text("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"));
  oci::Index index;
  index.media_type = oci::kMediaTypeImageIndex;
  std::set<std::string> written;
  auto blob = [&](const std::string& digest) -> Status {
    if (!written.insert(digest).second) return {};
    ASSIGN_OR_RETURN(Digest d, Digest::parse(digest));
    ASSIGN_OR_RETURN(UniqueFd fd, store.open(d));
    return w.file("blobs/" + d.algorithm + "/" + d.hex, fd.get());
  };
  for (const auto& it : items) {
    const auto& r = it.record;
    TRY(blob(r.config));
    for (const auto& l : r.layers) TRY(blob(l));
    TRY(blob(r.manifest));
    ASSIGN_OR_RETURN(Digest md, Digest::parse(r.manifest));
    ASSIGN_OR_RETURN(uint64_t size, store.size(md));
    std::vector<std::string> names = it.names.empty() ? std::vector<std::string>{""} : it.names;
    for (const auto& n : names) {
      oci::Descriptor d;
      d.media_type = r.media_type.empty() ? oci::kMediaTypeImageManifest : r.media_type;
      d.digest = r.manifest;
      d.size = static_cast<int64_t>(size);
      if (!n.empty()) {
        d.annotations["io.containerd.image.name"] = n;
        d.annotations["org.opencontainers.image.ref.name"] = n;
      }
      index.manifests.push_back(d);
    }
  }
  return w.text("index.json", oci::to_json(index));
}

}  // namespace

Status save_archive(int out_fd, const std::vector<SaveItem>& items, ArchiveFormat format, const ContentStore& store,
                    const std::string& tmp_dir) {
  Writer w(out_fd);
  TRY(w.check());
  if (format == ArchiveFormat::kDocker) TRY(save_docker(w, items, store, tmp_dir));
  else TRY(save_oci(w, items, store));
  return w.close();
}

}  // namespace hutch::image
