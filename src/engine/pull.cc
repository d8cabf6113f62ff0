#include "engine/pull.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/log.h"
#include "base/strings.h"
#include "image/decompress.h"
#include "image/digest.h"
#include "image/layer_store.h"
#include "image/store.h"
#include "oci/image.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace hutch::engine {
namespace {

using image::Digest;

// Serialises progress calls from the download threads.
class Reporter {
 public:
  explicit Reporter(const PullProgress& fn) : fn_(fn) {}
  void send(PullEvent e) {
    if (!fn_) return;
    std::lock_guard<std::mutex> l(mu_);
    fn_(e);
  }

 private:
  const PullProgress& fn_;
  std::mutex mu_;
};

Status write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("feed the layer unpacker");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

bool platform_matches(const std::optional<oci::Platform>& p, const image::Platform& want) {
  if (!p) return false;
  return p->os == want.os && p->architecture == want.architecture &&
         (want.variant.empty() || p->variant.empty() || p->variant == want.variant);
}

std::string platform_text(const oci::Platform& p) {
  return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
}

Status check_layer_type(const oci::Descriptor& d, size_t i) {
  static const char* kTypes[] = {oci::kMediaTypeImageLayer,     oci::kMediaTypeImageLayerGzip,
                                 oci::kMediaTypeImageLayerZstd, oci::kMediaTypeDockerLayer,
                                 oci::kMediaTypeDockerLayerGzip, oci::kMediaTypeDockerLayerZstd,
                                 oci::kMediaTypeDockerForeignLayerGzip};
  for (const char* t : kTypes)
    if (d.media_type == t) return {};
  return Error::plain(ENOTSUP, "layers[" + std::to_string(i) + "]: unsupported layer media type \"" + d.media_type + "\"");
}

struct LayerJob {
  size_t index;
  oci::Descriptor desc;
  Digest chain, diff_id;
  std::string parent;
};

// Three stages per layer, each on its own thread, joined by pipes: the
// download (and the blob's sha256), the decompression, and the unpacker
// (tar parsing, the diff_id's sha256 and the file writes). On a small
// device this keeps both cores busy while the network delivers.
Status fetch_and_unpack(registry::Client& client, const std::string& repo, const LayerJob& job,
                        const image::LayerStore& layers, Reporter& rep, const std::atomic<bool>& cancel) {
  ASSIGN_OR_RETURN(Digest want, Digest::parse(job.desc.digest));
  int p[2], q[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno("make a pipe");
  UniqueFd net_rd(p[0]), net_wr(p[1]);
  if (::pipe2(q, O_CLOEXEC) != 0) return Error::from_errno("make a pipe");
  UniqueFd tar_rd(q[0]), tar_wr(q[1]);
  // Bigger pipes mean fewer wake-ups between the threads.
  (void)::fcntl(net_wr.get(), F_SETPIPE_SZ, 1 << 20);
  (void)::fcntl(tar_wr.get(), F_SETPIPE_SZ, 1 << 20);
  Status fetched;
  Digest got;
  bool draining = false;
  uint64_t bytes = 0;
  const uint64_t size = static_cast<uint64_t>(job.desc.size);
  std::thread downloader([&] {
    image::Sha256 h;
    uint64_t last_report = 0;
    fetched = client.fetch_blob(repo, job.desc.digest, 0, [&](const char* data, size_t n) -> Status {
      if (cancel.load()) return Error::plain(ECANCELED, "cancelled");
      if (bytes + n > size)
        return Error::plain(EFBIG, "blob " + job.desc.digest + " is larger than the " + std::to_string(size) +
                                       " bytes its descriptor says");
      h.update(data, n);
      bytes += n;
      if (!draining) {
        Status w = write_all(net_wr.get(), data, n);
        // The decompressor or unpacker gave up: keep hashing the rest, so a
        // blob that does not match its digest is reported as such (the
        // cause) rather than as the corrupt stream it made.
        if (!w.ok() && w.error().code() == EPIPE) draining = true;
        else if (!w.ok()) return w;
      }
      if (bytes - last_report >= (512u << 10) || bytes == size) {
        last_report = bytes;
        rep.send({PullEvent::Kind::kLayerBytes, job.desc.digest, bytes, size, ""});
      }
      return {};
    });
    got = h.finish();
    net_wr.reset();  // end of stream for the decompressor
  });
  Status inflated;
  std::thread decompressor([&] {
    auto r = image::decompress_layer(net_rd.get(), tar_wr.get());
    if (!r.ok()) inflated = std::move(r).error();
    net_rd.reset();  // a blocked downloader now fails with EPIPE
    tar_wr.reset();  // end of stream for the unpacker
  });
  Status unpacked = layers.unpack(tar_rd.get(), job.chain, job.diff_id, job.parent);
  tar_rd.reset();  // a blocked decompressor now fails with EPIPE
  decompressor.join();
  downloader.join();
  std::string what = "layer " + std::to_string(job.index) + " (" + job.desc.digest + ")";
  auto drop = [&] {
    if (unpacked.ok()) (void)layers.remove(job.chain);
  };
  // The first stage that failed for a reason of its own tells the story;
  // a blob that is not what its digest says comes before what it broke.
  if (!fetched.ok() && fetched.error().code() != EPIPE) {
    drop();
    return std::move(fetched).error().with_context(what);
  }
  if (bytes != size || !(got == want)) {
    drop();
    return Error::plain(EINVAL, what + ": digest mismatch: the registry sent " + std::to_string(bytes) +
                                    " bytes hashing to " + got.str() + "; nothing was stored");
  }
  if (!inflated.ok() && inflated.error().code() != EPIPE) {
    drop();
    return std::move(inflated).error().with_context(what);
  }
  if (!unpacked.ok()) return std::move(unpacked).error().with_context(what);
  return {};
}

// Runs the jobs on `parallel` threads; the first error cancels the rest.
Status run_jobs(const std::vector<LayerJob>& jobs, int parallel, registry::Client& client, const std::string& repo,
                const image::LayerStore& layers, Reporter& rep) {
  std::atomic<size_t> next{0};
  std::atomic<bool> cancel{false};
  std::mutex mu;
  Status first;
  auto worker = [&] {
    while (!cancel.load()) {
      size_t i = next.fetch_add(1);
      if (i >= jobs.size()) return;
      Status st = fetch_and_unpack(client, repo, jobs[i], layers, rep, cancel);
      if (!st.ok()) {
        std::lock_guard<std::mutex> l(mu);
        if (first.ok()) first = std::move(st);
        cancel = true;
        return;
      }
      rep.send({PullEvent::Kind::kLayerDone, jobs[i].desc.digest, 0, 0, ""});
    }
  };
  int n = std::max(1, std::min<int>(parallel, static_cast<int>(jobs.size())));
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return first;
}

}  // namespace

Result<image::Platform> parse_platform(const std::string& text) {
  auto parts = split(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    return Error::plain(EINVAL, "invalid platform \"" + text + "\": expected os/arch[/variant], e.g. linux/arm64");
  image::Platform p;
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

Result<PullResult> pull(const std::string& root, const std::string& ref_text, const PullOptions& opts) {
  ASSIGN_OR_RETURN(registry::Reference ref, registry::Reference::parse(ref_text));
  ASSIGN_OR_RETURN(registry::RegistryOptions ro, registry::RegistryOptions::load());
  registry::AuthFile auth(opts.auth_file);
  Reporter rep(opts.progress);
  std::string want_ref = ref.digest.empty() ? ref.tag : ref.digest;

  // Mirrors first, then the registry itself.
  std::vector<std::string> hosts;
  if (auto it = ro.mirrors.find(ref.registry); it != ro.mirrors.end()) hosts = it->second;
  hosts.push_back(ref.registry);
  std::unique_ptr<registry::Client> client;
  registry::FetchedManifest top;
  for (size_t i = 0; i < hosts.size(); ++i) {
    ASSIGN_OR_RETURN(auto creds, auth.get(hosts[i]));
    auto c = std::make_unique<registry::Client>(hosts[i], ro, creds);
    auto m = c->get_manifest(ref.repository, want_ref);
    if (m.ok()) {
      client = std::move(c);
      top = std::move(m).value();
      break;
    }
    if (i + 1 == hosts.size()) return std::move(m).error();
    log::warn("pull", "mirror " + hosts[i] + ": " + m.error().message() + "; trying the next");
  }

  // Verify what the reference resolved to.
  Digest top_digest = image::sha256_of(top.body);
  if (!ref.digest.empty()) {
    ASSIGN_OR_RETURN(Digest asked, Digest::parse(ref.digest));
    if (!(asked == top_digest))
      return Error::plain(EINVAL, "manifest " + ref.str() + ": digest mismatch: the registry sent " + top_digest.str());
  }
  std::string mt = top.media_type;
  if (!oci::is_manifest_media_type(mt) && !oci::is_index_media_type(mt)) {
    ASSIGN_OR_RETURN(mt, oci::detect_media_type(top.body));
  }

  std::string manifest_text = top.body;
  std::string manifest_mt = mt;
  Digest manifest_digest = top_digest;
  if (oci::is_index_media_type(mt)) {
    ASSIGN_OR_RETURN(oci::Index idx, oci::parse_index(top.body));
    const oci::Descriptor* pick = nullptr;
    std::string avail;
    for (const auto& d : idx.manifests) {
      if (!d.platform || d.platform->os == "unknown") continue;  // attestations
      avail += (avail.empty() ? "" : ", ") + platform_text(*d.platform);
      if (!pick && platform_matches(d.platform, opts.platform)) pick = &d;
    }
    if (!pick) {
      oci::Platform w{opts.platform.architecture, opts.platform.os, "", {}, opts.platform.variant};
      return Error::plain(ENOENT, "no image for platform " + platform_text(w) + " in " + ref.familiar() +
                                      " (it has " + (avail.empty() ? "none" : avail) + ")");
    }
    ASSIGN_OR_RETURN(registry::FetchedManifest child, client->get_manifest(ref.repository, pick->digest));
    ASSIGN_OR_RETURN(manifest_digest, Digest::parse(pick->digest));
    if (!(image::sha256_of(child.body) == manifest_digest))
      return Error::plain(EINVAL, "manifest " + pick->digest + ": digest mismatch");
    manifest_text = std::move(child.body);
    manifest_mt = pick->media_type.empty() ? child.media_type : pick->media_type;
    if (!oci::is_manifest_media_type(manifest_mt)) {
      ASSIGN_OR_RETURN(manifest_mt, oci::detect_media_type(manifest_text));
    }
    if (!oci::is_manifest_media_type(manifest_mt))
      return Error::plain(ENOTSUP, "manifest " + pick->digest + ": not an image manifest (" + manifest_mt + ")");
  }
  rep.send({PullEvent::Kind::kResolved, "", 0, 0, top_digest.str()});
  ASSIGN_OR_RETURN(oci::Manifest m, oci::parse_manifest(manifest_text));
  for (size_t i = 0; i < m.layers.size(); ++i) TRY(check_layer_type(m.layers[i], i));

  image::ContentStore content(root);
  image::LayerStore layers(root);
  image::ImageIndex index(root);
  TRY(content.init());
  ASSIGN_OR_RETURN(UniqueFd gc_lock, index.gc_lock(false));
  // Leftovers of pulls that were killed.
  (void)content.clean_ingest(24 * 3600);
  (void)layers.clean_stale();

  // The config: small, verified, kept.
  ASSIGN_OR_RETURN(Digest config_digest, Digest::parse(m.config.digest));
  std::string config_text;
  if (content.has(config_digest)) {
    ASSIGN_OR_RETURN(config_text, content.read(config_digest));
  } else {
    ASSIGN_OR_RETURN(config_text, client->get_blob(ref.repository, m.config.digest, oci::kMaxDocumentBytes));
    auto put = content.put(config_text, config_digest);
    if (!put.ok()) return std::move(put).error().context("config " + m.config.digest);
  }
  ASSIGN_OR_RETURN(oci::ImageConfig cfg, oci::parse_image_config(config_text));
  if (cfg.rootfs.diff_ids.size() != m.layers.size())
    return Error::plain(EINVAL, "image config lists " + std::to_string(cfg.rootfs.diff_ids.size()) + " diff_ids for " +
                                    std::to_string(m.layers.size()) + " layers");
  if (cfg.architecture != opts.platform.architecture || cfg.os != opts.platform.os)
    log::warn("pull", "the image's platform (" + cfg.os + "/" + cfg.architecture + ") does not match the requested (" +
                          opts.platform.os + "/" + opts.platform.architecture + ")");
  std::vector<Digest> diff_ids;
  for (const auto& d : cfg.rootfs.diff_ids) {
    ASSIGN_OR_RETURN(Digest dd, Digest::parse(d));
    diff_ids.push_back(dd);
  }
  auto chains = image::chain_ids(diff_ids);

  std::vector<LayerJob> jobs;
  image::ImageRecord rec;
  rec.config = config_digest.str();
  rec.media_type = manifest_mt;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    rec.layers.push_back(m.layers[i].digest);
    rec.diff_ids.push_back(diff_ids[i].str());
    if (layers.has(chains[i])) {
      rep.send({PullEvent::Kind::kLayerExists, m.layers[i].digest, 0, 0, ""});
      continue;
    }
    // The same layer twice in one image: unpack it once.
    bool dup = false;
    for (const auto& j : jobs) dup = dup || j.chain == chains[i];
    if (dup) continue;
    rep.send({PullEvent::Kind::kLayerQueued, m.layers[i].digest, 0, static_cast<uint64_t>(m.layers[i].size), ""});
    jobs.push_back({i, m.layers[i], chains[i], diff_ids[i], i ? chains[i - 1].str() : ""});
  }
  TRY(run_jobs(jobs, opts.parallel, *client, ref.repository, layers, rep));
  // A layer whose tar cannot be rebuilt from its files (a tar that names a
  // path twice) keeps its blob for push and save: fetched again, verified.
  for (const auto& j : jobs) {
    if (layers.has_tar_split(j.chain)) continue;
    ASSIGN_OR_RETURN(Digest want, Digest::parse(j.desc.digest));
    if (content.has(want)) continue;
    ASSIGN_OR_RETURN(image::BlobWriter w, content.writer(want, static_cast<uint64_t>(j.desc.size)));
    TRY_CTX(client->fetch_blob(ref.repository, j.desc.digest, 0,
                               [&](const char* data, size_t n) { return w.write(data, n); }),
            "layer " + std::to_string(j.index) + " (" + j.desc.digest + ")");
    auto committed = w.commit();
    if (!committed.ok()) return std::move(committed).error().context("layer " + j.desc.digest);
  }
  for (const auto& c : chains) {
    auto sz = layers.size(c);
    if (sz.ok()) rec.size += *sz;
  }

  // Last: the manifest blob, then the names. Until this point nothing names
  // the new layers, so a crash leaves only what GC removes or a later pull
  // reuses.
  ASSIGN_OR_RETURN(Digest md, content.put(manifest_text, manifest_digest));
  rec.manifest = md.str();
  rec.created = static_cast<int64_t>(::time(nullptr));
  PullResult out;
  out.digest = top_digest.str();
  registry::Reference named = ref;
  named.digest.clear();
  if (ref.digest.empty()) {
    rec.names = {named.str()};
    out.name = named.str();
  } else {
    out.name = ref.name() + "@" + ref.digest;
  }
  rec.repo_digests = {ref.name() + "@" + top_digest.str()};
  auto existing = index.find(rec.manifest);
  out.updated = !existing.ok() || !jobs.empty() ||
                (ref.digest.empty() && std::find(existing->names.begin(), existing->names.end(), named.str()) ==
                                           existing->names.end());
  TRY(index.put(rec));
  ASSIGN_OR_RETURN(out.record, index.find(rec.manifest));
  return out;
}

}  // namespace hutch::engine
