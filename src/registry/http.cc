#include "registry/http.h"

#include "registry/internal/curl_api.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "base/fs.h"

namespace hutch::registry {
namespace {

constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";

struct Transfer {
  const HttpRequest* req;
  const BodySink* sink;
  size_t max_body;
  HttpResponse resp;
  CURL* curl;
  const internal::CurlApi* api;
  bool sink_failed = false;
  Error sink_error;
  bool too_big = false;
  size_t body_pos = 0;       // into req->body
  bool reader_failed = false;
  Error reader_error;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t on_header(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a redirect or "100 Continue"): start over.
    t->resp.headers.clear();
    t->resp.www_authenticate.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = lower(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (name == "www-authenticate") t->resp.www_authenticate.emplace_back(value);
  t->resp.headers[name] = std::string(value);
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  size_t len = size * n;
  long status = 0;
  t->api->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (*t->sink && status >= 200 && status < 300) {
    Status st = (*t->sink)(data, len, status);
    if (!st.ok()) {
      t->sink_failed = true;
      t->sink_error = std::move(st).error();
      return 0;  // aborts with CURLE_WRITE_ERROR
    }
    return len;
  }
  if (t->resp.body.size() + len > t->max_body) {
    t->too_big = true;
    return 0;
  }
  t->resp.body.append(data, len);
  return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  size_t cap = size * n;
  if (t->req->body_reader) {
    auto r = t->req->body_reader(buf, cap);
    if (!r.ok()) {
      t->reader_failed = true;
      t->reader_error = std::move(r).error();
      return CURL_READFUNC_ABORT;
    }
    return *r;
  }
  size_t left = t->req->body.size() - t->body_pos;
  size_t k = std::min(left, cap);
  std::memcpy(buf, t->req->body.data() + t->body_pos, k);
  t->body_pos += k;
  return k;
}

int errno_for(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
      return ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
      return ETIMEDOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return EHOSTUNREACH;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return ECONNRESET;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return EPROTO;
    default:
      return EIO;
  }
}

}  // namespace

void http_global_init() {
  auto api = internal::curl_api();
  if (api.ok()) (*api)->global_init(CURL_GLOBAL_DEFAULT);
}

bool is_transient(const Error& e) {
  return e.code() == ECONNRESET || e.code() == ETIMEDOUT || e.code() == ECONNREFUSED;
}

Http::Http(TlsConfig tls) : tls_(std::move(tls)) {
  auto api = internal::curl_api();
  if (api.ok()) {
    api_ = *api;
    curl_ = api_->easy_init();
  } else {
    load_error_ = api.error().message();
  }
  if (!tls_.extra_ca_pem.empty()) {
    // CURLOPT_CAINFO_BLOB replaces the default bundle, so the system CAs go
    // in front of the registry's own (docker's certs.d adds, never replaces).
    auto sys = fs::read_file(kSystemCaBundle);
    if (sys.ok()) tls_.extra_ca_pem = *sys + "\n" + tls_.extra_ca_pem;
  }
}

Http::~Http() {
  if (curl_) api_->easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> Http::send(const HttpRequest& req, const BodySink& sink, size_t max_body) {
  CURL* c = static_cast<CURL*>(curl_);
  if (!api_) return Error::plain(ENOENT, load_error_);
  if (!c) return Error::plain(ENOMEM, "start an HTTP client (curl_easy_init failed)");
  api_->easy_reset(c);
  Transfer t{&req, &sink, max_body, {}, c, api_};
  api_->easy_setopt(c, CURLOPT_URL, req.url.c_str());
  api_->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  api_->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  api_->easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  api_->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  api_->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  api_->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled connection (under 1 byte/s for 60 s) counts as dropped.
  api_->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  api_->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  api_->easy_setopt(c, CURLOPT_USERAGENT, "hutch/" HUTCH_VERSION);
  api_->easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
  api_->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  api_->easy_setopt(c, CURLOPT_HEADERDATA, &t);
  api_->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  api_->easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (!tls_.verify) {
    api_->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    api_->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  struct curl_blob ca_blob;
  if (!tls_.extra_ca_pem.empty()) {
    ca_blob.data = tls_.extra_ca_pem.data();
    ca_blob.len = tls_.extra_ca_pem.size();
    ca_blob.flags = CURL_BLOB_NOCOPY;
    api_->easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca_blob);
  }
  if (!tls_.client_cert.empty()) api_->easy_setopt(c, CURLOPT_SSLCERT, tls_.client_cert.c_str());
  if (!tls_.client_key.empty()) api_->easy_setopt(c, CURLOPT_SSLKEY, tls_.client_key.c_str());

  struct curl_slist* hdrs = nullptr;
  for (const auto& h : req.headers) hdrs = api_->slist_append(hdrs, h.c_str());
  // No "Expect: 100-continue" round trip before uploads.
  hdrs = api_->slist_append(hdrs, "Expect:");
  api_->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

  bool has_body = req.body_reader || !req.body.empty();
  if (req.method == "HEAD") {
    api_->easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    api_->easy_setopt(c, CURLOPT_UPLOAD, 1L);
    api_->easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    api_->easy_setopt(c, CURLOPT_READDATA, &t);
    int64_t size = req.body_reader ? req.body_size : static_cast<int64_t>(req.body.size());
    if (size >= 0) api_->easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    api_->easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method == "POST") {
    api_->easy_setopt(c, CURLOPT_POST, 1L);
    api_->easy_setopt(c, CURLOPT_POSTFIELDS, "");
    api_->easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (req.method != "GET") {
    api_->easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  char errbuf[CURL_ERROR_SIZE] = "";
  api_->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = api_->easy_perform(c);
  api_->slist_free_all(hdrs);
  std::string what = req.method + " " + req.url;
  if (t.sink_failed) return std::move(t.sink_error);
  if (t.reader_failed) return std::move(t.reader_error).with_context(what + ": read the request body");
  if (t.too_big) return Error::plain(EFBIG, what + ": response body larger than " + std::to_string(max_body) + " bytes");
  if (rc != CURLE_OK) {
    std::string text = errbuf[0] ? errbuf : api_->easy_strerror(rc);
    return Error::plain(errno_for(rc), what + ": " + text);
  }
  api_->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.resp.status);
  return std::move(t.resp);
}

}  // namespace hutch::registry
