#include "registry/auth.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"

namespace hutch::registry {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::string read_token(std::string_view s, size_t& i) {
  size_t b = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  return std::string(s.substr(b, i - b));
}

// A quoted-string with backslash escapes; `i` at the opening quote.
std::optional<std::string> read_quoted(std::string_view s, size_t& i) {
  std::string out;
  ++i;
  while (i < s.size()) {
    char c = s[i++];
    if (c == '"') return out;
    if (c == '\\' && i < s.size()) c = s[i++];
    out += c;
  }
  return std::nullopt;
}

// Holds an flock on the directory of the auth file while it is rewritten.
class DirLock {
 public:
  explicit DirLock(const std::string& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_) ::flock(fd_.get(), LOCK_EX);
  }

 private:
  UniqueFd fd_;
};

Result<json::Ptr> read_doc(const std::string& path) {
  if (!fs::exists(path)) return json::Ptr(json_object());
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse_file(path));
  if (!json_is_object(doc.get())) return Error::plain(EINVAL, "auth file \"" + path + "\": not a JSON object");
  return doc;
}

}  // namespace

std::vector<Challenge> parse_challenges(std::string_view h) {
  std::vector<Challenge> out;
  size_t i = 0;
  while (i < h.size()) {
    skip_space(h, i);
    while (i < h.size() && (h[i] == ',' || h[i] == ' ')) ++i;
    std::string scheme = read_token(h, i);
    if (scheme.empty()) {
      ++i;  // not a token: skip one character and resynchronise
      continue;
    }
    Challenge c;
    c.scheme = lower(scheme);
    // auth-params: name=value or name="quoted", comma separated, until the
    // next bare token (a new scheme) appears.
    while (i < h.size()) {
      skip_space(h, i);
      size_t save = i;
      std::string name = read_token(h, i);
      skip_space(h, i);
      if (name.empty() || i >= h.size() || h[i] != '=') {
        i = save;
        break;
      }
      ++i;
      skip_space(h, i);
      std::string value;
      if (i < h.size() && h[i] == '"') {
        auto q = read_quoted(h, i);
        if (!q) break;
        value = *q;
      } else {
        value = read_token(h, i);
      }
      c.params[lower(name)] = value;
      skip_space(h, i);
      if (i < h.size() && h[i] == ',') ++i;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string base64_encode(std::string_view in) {
  static const char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += i + 1 < in.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == '=' || c == '\n' || c == '\r') continue;
    else return Error::plain(EINVAL, "invalid base64 character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string auth_key(const std::string& registry) {
  if (registry == "docker.io" || registry == "index.docker.io" || registry == "registry-1.docker.io")
    return "https://index.docker.io/v1/";
  return registry;
}

std::string AuthFile::default_path(const std::string& config_dir) {
  if (!config_dir.empty()) return config_dir + "/config.json";
  if (const char* d = ::getenv("DOCKER_CONFIG"); d && *d) return std::string(d) + "/config.json";
  const char* home = ::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.docker/config.json";
}

Result<std::optional<Credentials>> AuthFile::get(const std::string& registry) const {
  auto doc = read_doc(path_);
  if (!doc.ok()) return std::move(doc).error();
  json_t* auths = json_object_get(doc->get(), "auths");
  if (!json_is_object(auths)) return std::optional<Credentials>();
  std::string key = auth_key(registry);
  json_t* e = json_object_get(auths, key.c_str());
  if (!e) {
    // Keys written with a scheme ("https://host:port") by older clients.
    const char* k;
    json_t* v;
    json_object_foreach(auths, k, v) {
      std::string_view s(k);
      for (std::string_view p : {"https://", "http://"})
        if (s.rfind(p, 0) == 0) s.remove_prefix(p.size());
      if (auto slash = s.find('/'); slash != std::string_view::npos) s = s.substr(0, slash);
      if (s == key) e = v;
    }
  }
  if (!json_is_object(e)) return std::optional<Credentials>();
  Credentials c;
  if (const char* tok = json_string_value(json_object_get(e, "identitytoken")); tok && *tok) {
    c.username = "<token>";
    c.password = tok;
    return std::optional<Credentials>(c);
  }
  const char* a = json_string_value(json_object_get(e, "auth"));
  if (!a || !*a) return std::optional<Credentials>();
  auto plain = base64_decode(a);
  if (!plain.ok()) return Error::plain(EINVAL, "auth file \"" + path_ + "\": entry \"" + key + "\": auth is not base64");
  auto colon = plain->find(':');
  if (colon == std::string::npos)
    return Error::plain(EINVAL, "auth file \"" + path_ + "\": entry \"" + key + "\": auth is not user:password");
  c.username = plain->substr(0, colon);
  c.password = plain->substr(colon + 1);
  return std::optional<Credentials>(c);
}

Status AuthFile::put(const std::string& registry, const Credentials& c) const {
  std::string dir = fs::dirname(path_);
  TRY(fs::mkdir_p(dir, 0700));
  DirLock lock(dir);
  ASSIGN_OR_RETURN(json::Ptr doc, read_doc(path_));
  json_t* auths = json_object_get(doc.get(), "auths");
  if (!json_is_object(auths)) {
    auths = json_object();
    json_object_set_new(doc.get(), "auths", auths);
  }
  json_t* e = json_object();
  json_object_set_new(e, "auth", json::str(base64_encode(c.username + ":" + c.password)));
  json_object_set_new(auths, auth_key(registry).c_str(), e);
  return fs::write_file_atomic(path_, json::dump(doc.get(), 1) + "\n", 0600);
}

Result<bool> AuthFile::remove(const std::string& registry) const {
  if (!fs::exists(path_)) return false;
  DirLock lock(fs::dirname(path_));
  ASSIGN_OR_RETURN(json::Ptr doc, read_doc(path_));
  json_t* auths = json_object_get(doc.get(), "auths");
  if (!json_is_object(auths) || json_object_del(auths, auth_key(registry).c_str()) != 0) return false;
  TRY(fs::write_file_atomic(path_, json::dump(doc.get(), 1) + "\n", 0600));
  return true;
}

}  // namespace hutch::registry
