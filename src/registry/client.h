// Client: the OCI distribution-spec as registries really speak it, for one
// registry host: token (Bearer) and Basic auth driven by WWW-Authenticate,
// manifests and blobs by tag or digest, resumable blob downloads (HTTP
// Range) with retries and backoff on 5xx and dropped connections, blob
// uploads (monolithic or chunked, cross-repository mounts), manifest
// uploads, and the catalog.
// The client moves bytes; it does not trust them: callers verify digests.
// Thread-safety: fetch_blob and upload_blob may run in parallel on one
// Client (each call uses its own connection); the token cache is locked.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "registry/auth.h"
#include "registry/http.h"
#include "registry/options.h"

namespace hutch::registry {

struct FetchedManifest {
  std::string media_type;  // Content-Type as served
  std::string digest;      // Docker-Content-Digest when the registry sent it
  std::string body;
};

// Called with the bytes of a blob, in order, exactly once each, also
// across resumed requests.
using ByteSink = std::function<Status(const char* data, size_t n)>;

class Client {
 public:
  // `host` is the registry as references name it ("127.0.0.1:5000",
  // "docker.io"); requests go to its endpoint ("registry-1.docker.io").
  Client(std::string host, RegistryOptions opts, std::optional<Credentials> creds);
  ~Client();

  const std::string& host() const { return host_; }

  // GET /v2/ and authenticate; a refused login says so (EACCES).
  Status login();
  // Manifest or index by tag or digest; ENOENT when the registry has none.
  Result<FetchedManifest> get_manifest(const std::string& repo, const std::string& ref);
  // A small blob (config) in memory, at most `max` bytes.
  Result<std::string> get_blob(const std::string& repo, const std::string& digest, size_t max);
  // Streams a blob to `sink`, starting at byte `offset`; resumes after a
  // dropped connection where it stopped and retries 5xx with backoff.
  Status fetch_blob(const std::string& repo, const std::string& digest, uint64_t offset, const ByteSink& sink);
  // HEAD: whether the repository has the blob.
  Result<bool> has_blob(const std::string& repo, const std::string& digest);
  // Tries a cross-repository mount from `from_repo`; false when the registry
  // started an upload instead (which is then cancelled).
  Result<bool> mount_blob(const std::string& repo, const std::string& digest, const std::string& from_repo);
  // Uploads `size` bytes read with pread from `fd`; chunk_size 0 sends it
  // in one PUT, else in PATCH chunks of that size.
  Status upload_blob(const std::string& repo, const std::string& digest, int fd, uint64_t size,
                     uint64_t chunk_size = 0);
  // PUT a manifest or index under a tag or digest; returns the registry's
  // Docker-Content-Digest (may be empty).
  Result<std::string> put_manifest(const std::string& repo, const std::string& ref, const std::string& media_type,
                                   const std::string& body);
  // Repository names from /v2/_catalog, all pages.
  Result<std::vector<std::string>> catalog();

 private:
  // Sends with the cached credentials for `scopes`; on 401 authenticates
  // from the challenge and sends once more. Retries transient failures and
  // 5xx answers (up to `tries`) when the body can be sent again.
  Result<HttpResponse> request(Http& http, HttpRequest req, const std::vector<std::string>& scopes,
                               const BodySink& sink = {}, int tries = 4);
  Status authenticate(Http& http, const HttpResponse& challenge, const std::vector<std::string>& scopes);
  std::string auth_header(const std::vector<std::string>& scopes);
  // The registry's error text for a failed response ("MANIFEST_UNKNOWN: ...").
  Error status_error(const HttpResponse& r, const std::string& what) const;
  Result<std::unique_ptr<Http>> new_http() const;
  Status ensure_http();
  std::string url(const std::string& path) const { return base_ + path; }

  std::string host_;
  std::string base_;  // "https://host"
  RegistryOptions opts_;
  std::optional<Credentials> creds_;
  TlsConfig tls_;
  std::unique_ptr<Http> http_;  // for the calling thread's small requests
  std::mutex mu_;               // guards the fields below
  std::map<std::string, std::string> tokens_;  // scope key -> "Bearer x" / "Basic y"
  bool basic_ = false;                          // the registry asked for Basic
};

// "repository:<repo>:pull" and friends.
std::string pull_scope(const std::string& repo);
std::string push_scope(const std::string& repo);

}  // namespace hutch::registry
