#include "registry/client.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"

namespace hutch::registry {
namespace {

constexpr char kManifestAccept[] =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

void backoff(int attempt) {
  // 0.25 s, 0.5 s, 1 s, 2 s ...: docker's retry schedule, shortened.
  long ms = 250L << std::min(attempt, 4);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  ::nanosleep(&ts, nullptr);
}

bool retryable_status(long s) { return s == 500 || s == 502 || s == 503 || s == 504 || s == 429; }

std::string scope_key(const std::vector<std::string>& scopes) { return join(scopes, " "); }

std::string url_encode(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Joins a Location header (absolute or relative to the registry) with our
// base URL, and adds a query parameter.
std::string with_query(std::string loc, const std::string& param) {
  return loc + (loc.find('?') == std::string::npos ? "?" : "&") + param;
}

}  // namespace

std::string pull_scope(const std::string& repo) { return "repository:" + repo + ":pull"; }
std::string push_scope(const std::string& repo) { return "repository:" + repo + ":pull,push"; }

Client::Client(std::string host, RegistryOptions opts, std::optional<Credentials> creds)
    : host_(std::move(host)), opts_(std::move(opts)), creds_(std::move(creds)) {
  std::string endpoint = host_ == "docker.io" ? "registry-1.docker.io" : host_;
  base_ = opts_.base_url(endpoint);
}

Client::~Client() = default;

Result<std::unique_ptr<Http>> Client::new_http() const {
  std::string endpoint = host_ == "docker.io" ? "registry-1.docker.io" : host_;
  ASSIGN_OR_RETURN(TlsConfig tls, opts_.tls_for(endpoint));
  return std::make_unique<Http>(std::move(tls));
}

Status Client::ensure_http() {
  if (http_) return {};
  ASSIGN_OR_RETURN(http_, new_http());
  return {};
}

std::string Client::auth_header(const std::vector<std::string>& scopes) {
  std::lock_guard<std::mutex> l(mu_);
  if (basic_ && creds_ && !creds_->empty())
    return "Authorization: Basic " + base64_encode(creds_->username + ":" + creds_->password);
  auto it = tokens_.find(scope_key(scopes));
  return it == tokens_.end() ? "" : it->second;
}

Error Client::status_error(const HttpResponse& r, const std::string& what) const {
  std::string detail;
  auto doc = json::parse(r.body);
  if (doc.ok()) {
    json_t* errs = json_object_get(doc->get(), "errors");
    size_t i;
    json_t* e;
    json_array_foreach(errs, i, e) {
      const char* code = json_string_value(json_object_get(e, "code"));
      const char* msg = json_string_value(json_object_get(e, "message"));
      if (!detail.empty()) detail += "; ";
      if (code) detail += std::string(code) + ": ";
      if (msg) detail += msg;
    }
  }
  if (detail.empty()) detail = "HTTP " + std::to_string(r.status);
  // EAGAIN: the registry is busy or failing for now (5xx, 429); worth a
  // new attempt at the level that can start the operation over.
  int code = r.status == 404                     ? ENOENT
             : r.status == 401 || r.status == 403 ? EACCES
             : retryable_status(r.status)         ? EAGAIN
                                                  : EIO;
  std::string hint;
  if (r.status == 401 && (!creds_ || creds_->empty())) hint = " (log in with: hutch login " + host_ + ")";
  return Error::plain(code, what + ": " + detail + hint);
}

Status Client::authenticate(Http& http, const HttpResponse& r, const std::vector<std::string>& scopes) {
  std::vector<Challenge> all;
  for (const auto& h : r.www_authenticate)
    for (auto& c : parse_challenges(h)) all.push_back(std::move(c));
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  for (const auto& c : all) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  if (bearer) {
    auto realm = bearer->params.find("realm");
    if (realm == bearer->params.end() || realm->second.empty())
      return Error::plain(EPROTO, "registry " + host_ + ": Bearer challenge without a realm");
    std::string u = realm->second;
    std::vector<std::string> q;
    if (auto s = bearer->params.find("service"); s != bearer->params.end()) q.push_back("service=" + url_encode(s->second));
    for (const auto& sc : scopes) q.push_back("scope=" + url_encode(sc));
    if (!q.empty()) u += (u.find('?') == std::string::npos ? "?" : "&") + join(q, "&");
    if (u.rfind("https://", 0) != 0 && u.rfind("http://", 0) != 0)
      return Error::plain(EPROTO, "registry " + host_ + ": token realm \"" + realm->second + "\" is not an http(s) URL");
    HttpRequest tr;
    tr.url = u;
    if (creds_ && !creds_->empty())
      tr.headers.push_back("Authorization: Basic " + base64_encode(creds_->username + ":" + creds_->password));
    ASSIGN_OR_RETURN(HttpResponse resp, http.send(tr, {}, 1 << 20));
    if (resp.status == 401 || resp.status == 403)
      return Error::plain(EACCES, "registry " + host_ + ": unauthorized: incorrect username or password");
    if (resp.status != 200) return status_error(resp, "registry " + host_ + ": get a token from " + realm->second);
    ASSIGN_OR_RETURN(json::Ptr doc, json::parse(resp.body));
    const char* tok = json_string_value(json_object_get(doc.get(), "token"));
    if (!tok || !*tok) tok = json_string_value(json_object_get(doc.get(), "access_token"));
    if (!tok || !*tok) return Error::plain(EPROTO, "registry " + host_ + ": token response holds no token");
    std::lock_guard<std::mutex> l(mu_);
    tokens_[scope_key(scopes)] = std::string("Authorization: Bearer ") + tok;
    return {};
  }
  if (basic) {
    if (!creds_ || creds_->empty())
      return Error::plain(EACCES, "registry " + host_ + ": unauthorized: authentication required (log in with: hutch login " +
                                      host_ + ")");
    std::lock_guard<std::mutex> l(mu_);
    if (basic_) return Error::plain(EACCES, "registry " + host_ + ": unauthorized: incorrect username or password");
    basic_ = true;
    return {};
  }
  return Error::plain(EACCES, "registry " + host_ + ": unauthorized, and no usable WWW-Authenticate challenge");
}

Result<HttpResponse> Client::request(Http& http, HttpRequest req, const std::vector<std::string>& scopes,
                                     const BodySink& sink, int tries) {
  size_t base_headers = req.headers.size();
  bool replayable = !req.body_reader;
  bool authed = false;
  for (int attempt = 0;; ++attempt) {
    req.headers.resize(base_headers);
    if (std::string h = auth_header(scopes); !h.empty()) req.headers.push_back(h);
    auto r = http.send(req, sink);
    if (!r.ok()) {
      if (replayable && !sink && is_transient(r.error()) && attempt + 1 < tries) {
        log::warn("registry", r.error().message() + "; retrying");
        backoff(attempt);
        continue;
      }
      return std::move(r).error();
    }
    if (r->status == 401 && !authed && replayable) {
      authed = true;
      // With Basic auth already sent, a 401 means the credentials are wrong.
      bool had_basic = false;
      {
        std::lock_guard<std::mutex> l(mu_);
        had_basic = basic_;
      }
      if (had_basic)
        return Error::plain(EACCES, "registry " + host_ + ": unauthorized: incorrect username or password");
      TRY(authenticate(http, *r, scopes));
      --attempt;
      continue;
    }
    if (retryable_status(r->status) && replayable && !sink && attempt + 1 < tries) {
      log::warn("registry", req.method + " " + req.url + ": HTTP " + std::to_string(r->status) + "; retrying");
      backoff(attempt);
      continue;
    }
    return r;
  }
}

Status Client::login() {
  TRY(ensure_http());
  HttpRequest req;
  req.url = url("/v2/");
  ASSIGN_OR_RETURN(HttpResponse r, request(*http_, req, {}));
  if (r.status == 401) return Error::plain(EACCES, "registry " + host_ + ": unauthorized: incorrect username or password");
  if (r.status != 200) return status_error(r, "registry " + host_ + ": GET /v2/");
  return {};
}

Result<FetchedManifest> Client::get_manifest(const std::string& repo, const std::string& ref) {
  TRY(ensure_http());
  HttpRequest req;
  req.url = url("/v2/" + repo + "/manifests/" + ref);
  req.headers.push_back(kManifestAccept);
  ASSIGN_OR_RETURN(HttpResponse r, request(*http_, req, {pull_scope(repo)}));
  std::string what = "manifest " + host_ + "/" + repo + ":" + ref;
  if (r.status != 200) return status_error(r, what);
  FetchedManifest m;
  m.media_type = r.header("content-type");
  if (auto semi = m.media_type.find(';'); semi != std::string::npos) m.media_type.resize(semi);
  m.digest = r.header("docker-content-digest");
  m.body = std::move(r.body);
  return m;
}

Result<std::string> Client::get_blob(const std::string& repo, const std::string& digest, size_t max) {
  std::string out;
  TRY(fetch_blob(repo, digest, 0, [&](const char* p, size_t n) -> Status {
    if (out.size() + n > max) return Error::plain(EFBIG, "blob " + digest + " is larger than " + std::to_string(max) + " bytes");
    out.append(p, n);
    return {};
  }));
  return out;
}

Status Client::fetch_blob(const std::string& repo, const std::string& digest, uint64_t offset, const ByteSink& sink) {
  ASSIGN_OR_RETURN(std::unique_ptr<Http> http, new_http());
  uint64_t have = offset;  // bytes delivered to the sink
  std::string what = "blob " + host_ + "/" + repo + "@" + digest;
  for (int attempt = 0;; ++attempt) {
    HttpRequest req;
    req.url = url("/v2/" + repo + "/blobs/" + digest);
    if (have > 0) req.headers.push_back("Range: bytes=" + std::to_string(have) + "-");
    uint64_t pos = 0;  // position of the next byte this response delivers
    bool started = false;
    BodySink body = [&](const char* p, size_t n, long status) -> Status {
      if (!started) {
        started = true;
        // A 200 to a Range request sends the blob from its start.
        pos = status == 206 ? have : 0;
      }
      if (pos + n <= have) {
        pos += n;
        return {};
      }
      size_t skip = have > pos ? static_cast<size_t>(have - pos) : 0;
      TRY(sink(p + skip, n - skip));
      pos += n;
      have = pos;
      return {};
    };
    auto r = request(*http, req, {pull_scope(repo)}, body, 1);
    bool retry = false;
    if (!r.ok()) {
      if (!is_transient(r.error())) return std::move(r).error().with_context(what);
      if (attempt >= 5) return std::move(r).error().with_context(what + ": giving up after " + std::to_string(attempt + 1) + " tries");
      log::warn("registry", r.error().message() + "; resuming at byte " + std::to_string(have));
      retry = true;
    } else if (retryable_status(r->status) && attempt < 5) {
      log::warn("registry", what + ": HTTP " + std::to_string(r->status) + "; retrying");
      retry = true;
    } else if (r->status == 416 && have > 0) {
      return {};  // nothing left past `have`
    } else if (r->status != 200 && r->status != 206) {
      return status_error(*r, what);
    }
    if (!retry) return {};
    backoff(attempt);
  }
}

Result<bool> Client::has_blob(const std::string& repo, const std::string& digest) {
  TRY(ensure_http());
  HttpRequest req;
  req.method = "HEAD";
  req.url = url("/v2/" + repo + "/blobs/" + digest);
  ASSIGN_OR_RETURN(HttpResponse r, request(*http_, req, {push_scope(repo)}));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return status_error(r, "check blob " + host_ + "/" + repo + "@" + digest);
}

Result<bool> Client::mount_blob(const std::string& repo, const std::string& digest, const std::string& from_repo) {
  TRY(ensure_http());
  HttpRequest req;
  req.method = "POST";
  req.url = url("/v2/" + repo + "/blobs/uploads/?mount=" + url_encode(digest) + "&from=" + url_encode(from_repo));
  ASSIGN_OR_RETURN(HttpResponse r, request(*http_, req, {push_scope(repo), pull_scope(from_repo)}));
  if (r.status == 201) return true;
  if (r.status == 202) {
    // The registry opened an upload instead: cancel it.
    std::string loc = r.header("location");
    if (!loc.empty()) {
      HttpRequest del;
      del.method = "DELETE";
      del.url = loc.rfind("http", 0) == 0 ? loc : url(loc);
      (void)request(*http_, del, {push_scope(repo), pull_scope(from_repo)});
    }
    return false;
  }
  return status_error(r, "mount blob " + digest + " from " + from_repo);
}

Status Client::upload_blob(const std::string& repo, const std::string& digest, int fd, uint64_t size,
                           uint64_t chunk_size) {
  ASSIGN_OR_RETURN(std::unique_ptr<Http> http, new_http());
  std::vector<std::string> scopes = {push_scope(repo)};
  std::string what = "upload blob " + digest + " to " + host_ + "/" + repo;
  for (int attempt = 0;; ++attempt) {
    Status st = [&]() -> Status {
      HttpRequest start;
      start.method = "POST";
      start.url = url("/v2/" + repo + "/blobs/uploads/");
      ASSIGN_OR_RETURN(HttpResponse r, request(*http, start, scopes));
      if (r.status != 202) return status_error(r, what + ": start");
      std::string loc = r.header("location");
      if (loc.empty()) return Error::plain(EPROTO, what + ": the registry sent no upload location");
      auto absolute = [&](const std::string& l) { return l.rfind("http", 0) == 0 ? l : url(l); };
      loc = absolute(loc);
      uint64_t sent = 0;
      auto reader_from = [&](uint64_t begin, uint64_t end) {
        auto pos = std::make_shared<uint64_t>(begin);
        return [fd, pos, end](char* buf, size_t cap) -> Result<size_t> {
          size_t want = static_cast<size_t>(std::min<uint64_t>(cap, end - *pos));
          if (want == 0) return size_t{0};
          ssize_t n = ::pread(fd, buf, want, static_cast<off_t>(*pos));
          if (n < 0) return Error::from_errno("read the blob");
          if (n == 0) return Error::plain(EIO, "the blob is shorter than its size");
          *pos += static_cast<uint64_t>(n);
          return static_cast<size_t>(n);
        };
      };
      if (chunk_size > 0) {
        while (sent < size) {
          uint64_t end = std::min(size, sent + chunk_size);
          HttpRequest patch;
          patch.method = "PATCH";
          patch.url = loc;
          patch.headers = {"Content-Type: application/octet-stream",
                           "Content-Range: " + std::to_string(sent) + "-" + std::to_string(end - 1)};
          patch.body_reader = reader_from(sent, end);
          patch.body_size = static_cast<int64_t>(end - sent);
          ASSIGN_OR_RETURN(HttpResponse pr, request(*http, patch, scopes));
          if (pr.status != 202) return status_error(pr, what + ": chunk at byte " + std::to_string(sent));
          if (std::string l = pr.header("location"); !l.empty()) loc = absolute(l);
          sent = end;
        }
      }
      HttpRequest put;
      put.method = "PUT";
      put.url = with_query(loc, "digest=" + url_encode(digest));
      put.headers = {"Content-Type: application/octet-stream"};
      if (sent < size) {
        put.body_reader = reader_from(sent, size);
        put.body_size = static_cast<int64_t>(size - sent);
      } else {
        put.headers.push_back("Content-Length: 0");
      }
      ASSIGN_OR_RETURN(HttpResponse fr, request(*http, put, scopes));
      if (fr.status != 201) return status_error(fr, what);
      return {};
    }();
    if (st.ok()) return st;
    if ((!is_transient(st.error()) && st.error().code() != EAGAIN) || attempt >= 3) return st;
    log::warn("registry", st.error().message() + "; restarting the upload");
    backoff(attempt);
  }
}

Result<std::string> Client::put_manifest(const std::string& repo, const std::string& ref, const std::string& media_type,
                                         const std::string& body) {
  TRY(ensure_http());
  HttpRequest req;
  req.method = "PUT";
  req.url = url("/v2/" + repo + "/manifests/" + ref);
  req.headers = {"Content-Type: " + media_type};
  req.body = body;
  ASSIGN_OR_RETURN(HttpResponse r, request(*http_, req, {push_scope(repo)}));
  if (r.status != 201 && r.status != 200) return status_error(r, "push manifest " + host_ + "/" + repo + ":" + ref);
  return r.header("docker-content-digest");
}

Result<std::vector<std::string>> Client::catalog() {
  TRY(ensure_http());
  std::vector<std::string> out;
  std::string next = url("/v2/_catalog?n=1000");
  for (int page = 0; !next.empty() && page < 1000; ++page) {
    HttpRequest req;
    req.url = next;
    ASSIGN_OR_RETURN(HttpResponse r, request(*http_, req, {"registry:catalog:*"}));
    if (r.status != 200) return status_error(r, "catalog of " + host_);
    ASSIGN_OR_RETURN(json::Ptr doc, json::parse(r.body));
    json_t* repos = json_object_get(doc.get(), "repositories");
    size_t i;
    json_t* v;
    json_array_foreach(repos, i, v) if (json_is_string(v)) out.emplace_back(json_string_value(v));
    // Link: </v2/_catalog?last=x&n=1000>; rel="next"
    next.clear();
    std::string link = r.header("link");
    auto lt = link.find('<'), gt = link.find('>');
    if (lt != std::string::npos && gt != std::string::npos && gt > lt && link.find("rel=\"next\"") != std::string::npos) {
      std::string target = link.substr(lt + 1, gt - lt - 1);
      next = target.rfind("http", 0) == 0 ? target : url(target);
    }
  }
  return out;
}

}  // namespace hutch::registry
