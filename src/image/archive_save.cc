#include "image/archive_save.h"

#include "image/archive_api.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <set>
#include <vector>

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
  // A rebuilt layer tar, streamed: its length is known beforehand.
  Status layer(const std::string& path, LayerTarReader& r) {
    TRY(header(path, static_cast<int64_t>(r.size())));
    for (;;) {
      ASSIGN_OR_RETURN(std::string_view v, r.next());
      if (v.empty()) return {};
      TRY(data(v.data(), v.size()));
    }
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

Result<UniqueFd> temp_file(const std::string& tmp_dir) {
  TRY(fs::mkdir_p(tmp_dir, 0700));
  UniqueFd out(::open(tmp_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!out) return Error::from_errno("make a temporary file in \"" + tmp_dir + "\"");
  return out;
}

Result<std::vector<Digest>> chains_of(const ImageRecord& r) {
  std::vector<Digest> diffs;
  for (const auto& d : r.diff_ids) {
    ASSIGN_OR_RETURN(Digest dg, Digest::parse(d));
    diffs.push_back(dg);
  }
  if (diffs.size() != r.layers.size())
    return Error::plain(EINVAL, "image " + r.config + " lists " + std::to_string(r.layers.size()) + " layers and " +
                                    std::to_string(diffs.size()) + " diff_ids");
  return chain_ids(diffs);
}

// An uncompressed copy of a layer blob in a temp file (unlinked at once).
Result<UniqueFd> plain_layer(const ContentStore& store, const Digest& blob, const std::string& tmp_dir) {
  ASSIGN_OR_RETURN(UniqueFd in, store.open(blob));
  ASSIGN_OR_RETURN(UniqueFd out, temp_file(tmp_dir));
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

Status write_all(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Error::from_errno("write a temporary layer");
    c += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

// A rebuilt layer, gzip-compressed into a temp file (unlinked at once).
struct Packed {
  UniqueFd fd;
  Digest digest;  // of the compressed bytes
  uint64_t size = 0;
};

Result<Packed> gzip_rebuilt(const LayerStore& layers, const Digest& chain, const std::string& tmp_dir) {
  ASSIGN_OR_RETURN(LayerTarReader r, layers.open_tar(chain));
  Packed p;
  ASSIGN_OR_RETURN(p.fd, temp_file(tmp_dir));
  z_stream z{};
  // 16 + MAX_WBITS: a gzip wrapper (RFC 1952); the default level, as Go's
  // gzip writer in docker and podman.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Error::plain(ENOMEM, "start gzip compression");
  struct End {
    z_stream* z;
    ~End() { deflateEnd(z); }
  } end{&z};
  Sha256 hash;
  std::vector<unsigned char> out(128 << 10);
  bool done = false;
  while (!done) {
    ASSIGN_OR_RETURN(std::string_view v, r.next());
    done = v.empty();
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(v.data()));
    z.avail_in = static_cast<uInt>(v.size());
    int ret;
    do {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      ret = deflate(&z, done ? Z_FINISH : Z_NO_FLUSH);
      if (ret == Z_STREAM_ERROR) return Error::plain(EIO, "gzip a rebuilt layer");
      size_t n = out.size() - z.avail_out;
      hash.update(out.data(), n);
      p.size += n;
      TRY(write_all(p.fd.get(), out.data(), n));
    } while (z.avail_out == 0 || (done && ret != Z_STREAM_END));
  }
  p.digest = hash.finish();
  if (::lseek(p.fd.get(), 0, SEEK_SET) != 0) return Error::from_errno("rewind a temporary layer");
  return p;
}

Status save_docker(Writer& w, const std::vector<SaveItem>& items, const ContentStore& store, const LayerStore* ls,
                   const std::string& tmp) {
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
    ASSIGN_OR_RETURN(std::vector<Digest> chains, chains_of(r));
    for (size_t i = 0; i < r.layers.size(); ++i) {
      ASSIGN_OR_RETURN(Digest blob, Digest::parse(r.layers[i]));
      ASSIGN_OR_RETURN(Digest diff, Digest::parse(r.diff_ids[i]));
      std::string name = diff.hex + ".tar";
      json_array_append_new(layers, json::str(name));
      if (!written.insert(name).second) continue;
      // Cheapest first: the plain tar as stored, the rebuilt tar (no temp
      // file), the stored blob decompressed.
      if (blob == diff && store.has(blob)) {
        ASSIGN_OR_RETURN(UniqueFd fd, store.open(blob));
        TRY(w.file(name, fd.get()));
      } else if (ls && ls->has_tar_split(chains[i])) {
        ASSIGN_OR_RETURN(LayerTarReader tar, ls->open_tar(chains[i]));
        TRY(w.layer(name, tar));
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

// An OCI layout holds blobs by digest, so a layer must be written as the
// blob its manifest names. Blobs still stored are copied. A layer whose blob
// is gone was kept as an unpacked layer with a tar-split: if the blob was
// the plain tar (docker-archive loads), the rebuilt tar is that blob; if it
// was compressed, the compressed bytes cannot be recreated, so the rebuilt
// tar is gzip-compressed anew and the image gets a new manifest naming it.
// The manifest digest in the archive then differs from the stored one (the
// image ID, its config, does not), as with `podman save`, whose store keeps
// no compressed blobs either.
Status save_oci(Writer& w, const std::vector<SaveItem>& items, const ContentStore& store, const LayerStore* ls,
                const std::string& tmp) {
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
    ASSIGN_OR_RETURN(Digest md, Digest::parse(r.manifest));
    ASSIGN_OR_RETURN(std::string manifest_text, store.read(md));
    ASSIGN_OR_RETURN(oci::Manifest m, oci::parse_manifest(manifest_text));
    ASSIGN_OR_RETURN(std::vector<Digest> chains, chains_of(r));
    if (m.layers.size() != r.layers.size())
      return Error::plain(EINVAL, "image " + r.config + ": its manifest lists " + std::to_string(m.layers.size()) +
                                      " layers, the image index " + std::to_string(r.layers.size()));
    bool changed = false;
    for (size_t i = 0; i < r.layers.size(); ++i) {
      ASSIGN_OR_RETURN(Digest bd, Digest::parse(r.layers[i]));
      ASSIGN_OR_RETURN(Digest diff, Digest::parse(r.diff_ids[i]));
      if (store.has(bd)) {
        TRY(blob(r.layers[i]));
        continue;
      }
      std::string where = "layer " + std::to_string(i) + " (" + bd.str() + ") of image " + r.config;
      if (!ls || !ls->has_tar_split(chains[i]))
        return Error::plain(ENOENT, where + ": the blob is not stored and the layer cannot be rebuilt");
      if (bd == diff) {
        if (!written.insert(bd.str()).second) continue;
        ASSIGN_OR_RETURN(LayerTarReader tar, ls->open_tar(chains[i]));
        TRY_CTX(w.layer("blobs/" + bd.algorithm + "/" + bd.hex, tar), where);
        continue;
      }
      auto packed = gzip_rebuilt(*ls, chains[i], tmp);
      if (!packed.ok()) return std::move(packed).error().with_context(where);
      if (written.insert(packed->digest.str()).second)
        TRY(w.file("blobs/" + packed->digest.algorithm + "/" + packed->digest.hex, packed->fd.get()));
      bool docker = m.media_type == oci::kMediaTypeDockerManifest;
      m.layers[i].media_type = docker ? oci::kMediaTypeDockerLayerGzip : oci::kMediaTypeImageLayerGzip;
      m.layers[i].digest = packed->digest.str();
      m.layers[i].size = static_cast<int64_t>(packed->size);
      changed = true;
    }
    std::string manifest_digest = r.manifest;
    uint64_t size = manifest_text.size();
    if (changed) {
      manifest_text = oci::to_json(m);
      manifest_digest = sha256_of(manifest_text).str();
      size = manifest_text.size();
    }
    if (written.insert(manifest_digest).second) {
      ASSIGN_OR_RETURN(Digest d, Digest::parse(manifest_digest));
      TRY(w.text("blobs/" + d.algorithm + "/" + d.hex, manifest_text));
    }
    std::vector<std::string> names = it.names.empty() ? std::vector<std::string>{""} : it.names;
    for (const auto& n : names) {
      oci::Descriptor d;
      d.media_type = r.media_type.empty() ? oci::kMediaTypeImageManifest : r.media_type;
      d.digest = manifest_digest;
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
                    const std::string& tmp_dir, const LayerStore* layers) {
  Writer w(out_fd);
  TRY(w.check());
  if (format == ArchiveFormat::kDocker) TRY(save_docker(w, items, store, layers, tmp_dir));
  else TRY(save_oci(w, items, store, layers, tmp_dir));
  return w.close();
}

}  // namespace hutch::image
