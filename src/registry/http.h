// Http: one HTTP/1.1 client connection (libcurl easy handle) for the
// registry client: TLS with the system CAs plus extra ones, streamed
// response bodies, streamed request bodies, and errors that say which
// request failed and whether retrying could help.
// HTTP statuses are not errors here: the caller decides what 401 or 404
// means. Redirects are followed; libcurl does not carry our Authorization
// header to another host (CURLOPT_UNRESTRICTED_AUTH stays off).
// Thread-safety: an instance is used by one thread at a time; separate
// instances may run in parallel (http_global_init() first, single-threaded).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::registry {
namespace internal {
struct CurlApi;
}  // namespace internal

// Must run once before any thread makes an Http (curl_global_init).
void http_global_init();

struct TlsConfig {
  bool verify = true;
  // PEM certificates trusted in addition to the system's (certs.d/*.crt).
  std::string extra_ca_pem;
  // Client certificate and key files (certs.d/*.cert, *.key), optional.
  std::string client_cert, client_key;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when body_reader is empty
  // A streamed body: fills up to `cap` bytes, 0 at the end.
  std::function<Result<size_t>(char* buf, size_t cap)> body_reader;
  int64_t body_size = -1;  // Content-Length of a streamed body
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::vector<std::string> www_authenticate;   // every WWW-Authenticate value
  std::string body;                            // unless streamed to a sink
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// Receives a 2xx response's body with its status (200, 206); an error
// aborts the transfer and is
// returned by send().
using BodySink = std::function<Status(const char* data, size_t n, long status)>;

// Error codes send() uses, so callers can tell what may be retried.
bool is_transient(const Error& e);

class Http {
 public:
  explicit Http(TlsConfig tls = {});
  ~Http();
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  // Performs `req`. With a sink, a 2xx body streams to it; other bodies are
  // kept in HttpResponse::body up to `max_body` bytes (more is an error).
  Result<HttpResponse> send(const HttpRequest& req, const BodySink& sink = {}, size_t max_body = 8 << 20);

 private:
  const internal::CurlApi* api_ = nullptr;  // null when libcurl could not be loaded
  void* curl_ = nullptr;
  std::string load_error_;
  TlsConfig tls_;
};

}  // namespace hutch::registry
