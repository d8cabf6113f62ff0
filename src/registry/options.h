// Per-registry settings that are not credentials: which CAs and client
// certificates to use (a docker-style certs.d directory:
// <certs_dir>/<host[:port]>/*.crt, *.cert, *.key), which registries may be
// reached over plain http ("insecure"), and mirrors tried before a
// registry. Read from a small JSON file:
//   {"insecure": ["10.0.0.2:5000"], "mirrors": {"docker.io": ["mirror.lan:5000"]}}
// at $HUTCH_REGISTRIES_CONF, else /etc/hutch/registries.json (optional);
// the certs directory is $HUTCH_CERTS_DIR, else /etc/hutch/certs.d.
// Thread-safety: values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "registry/http.h"

namespace hutch::registry {

struct RegistryOptions {
  std::string certs_dir = "/etc/hutch/certs.d";
  std::vector<std::string> insecure;
  std::map<std::string, std::vector<std::string>> mirrors;

  // Reads the environment and the config file; errors name the file.
  static Result<RegistryOptions> load();
  // Parses the JSON text of the config file (pure; for tests).
  static Result<RegistryOptions> parse(const std::string& text, const std::string& where);

  bool is_insecure(const std::string& host) const;
  // "https://host" or "http://host" for an insecure registry.
  std::string base_url(const std::string& host) const;
  // The TLS settings for `host` from certs_dir (no error when absent).
  Result<TlsConfig> tls_for(const std::string& host) const;
};

}  // namespace hutch::registry
