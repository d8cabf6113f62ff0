// Registry authentication pieces that need no network: parsing the
// WWW-Authenticate challenges a registry answers 401 with (RFC 7235, as the
// distribution token spec uses them), base64, and the credentials file in
// docker's format ({"auths": {"HOST:PORT": {"auth": base64("user:pass")}}},
// ~/.docker/config.json), shared with the docker CLI.
// Thread-safety: pure functions; AuthFile serialises writers of one file
// with an flock and replaces it atomically.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::registry {

struct Challenge {
  std::string scheme;                         // lower-case: "bearer", "basic"
  std::map<std::string, std::string> params;  // lower-case keys: realm, service, scope
};

// Parses one header value; several challenges may share it. Malformed
// parts are skipped, so the result may be empty.
std::vector<Challenge> parse_challenges(std::string_view header);

std::string base64_encode(std::string_view data);
Result<std::string> base64_decode(std::string_view text);

struct Credentials {
  std::string username;
  std::string password;
  // A refresh token from the file's "identitytoken" (username "<token>").
  bool empty() const { return username.empty() && password.empty(); }
};

// The key docker's config.json uses for a registry: "https://index.docker.io/v1/"
// for docker.io, else the host[:port] itself.
std::string auth_key(const std::string& registry);

class AuthFile {
 public:
  explicit AuthFile(std::string path) : path_(std::move(path)) {}
  // ${DOCKER_CONFIG:-$HOME/.docker}/config.json, or CONFIG_DIR/config.json.
  static std::string default_path(const std::string& config_dir);
  const std::string& path() const { return path_; }

  // Credentials stored for `registry`, if any. A missing file is no error.
  Result<std::optional<Credentials>> get(const std::string& registry) const;
  // Stores credentials; other keys of the file are kept as they were.
  Status put(const std::string& registry, const Credentials& c) const;
  // Removes the entry; false when there was none.
  Result<bool> remove(const std::string& registry) const;

 private:
  std::string path_;
};

}  // namespace hutch::registry
