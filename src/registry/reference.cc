#include "registry/reference.h"

#include "base/strings.h"

namespace hutch::registry {
namespace {

constexpr size_t kMaxName = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A path component: [a-z0-9]+ with single separators ".", "_", "__", "-"+.
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (is_lower_alnum(ch)) continue;
    if (ch == '.' || ch == '_' || ch == '-') {
      // "__" is allowed, "-" may repeat, "." and "_" may not otherwise.
      if (ch == '_' && i + 1 < c.size() && c[i + 1] == '_') {
        ++i;
        continue;
      }
      if (ch == '-') continue;
      if (i + 1 < c.size() && !is_lower_alnum(c[i + 1])) return false;
      continue;
    }
    return false;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; };
  if (!word(t[0])) return false;
  for (char c : t)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

bool valid_digest(std::string_view d) {
  auto colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view algo = d.substr(0, colon), hex = d.substr(colon + 1);
  for (char c : algo)
    if (!is_lower_alnum(c) && c != '+' && c != '.' && c != '_' && c != '-') return false;
  size_t want = algo == "sha256" ? 64 : algo == "sha512" ? 128 : 0;
  if (want == 0 || hex.size() != want) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool looks_like_registry(std::string_view c) {
  return c.find('.') != std::string_view::npos || c.find(':') != std::string_view::npos || c == "localhost";
}

}  // namespace

Result<Reference> Reference::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error::plain(EINVAL, "invalid reference format \"" + std::string(text) + "\": " + why);
  };
  if (text.empty()) return bad("empty");
  Reference r;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    r.digest = std::string(rest.substr(at + 1));
    if (!valid_digest(r.digest)) return bad("bad digest \"" + r.digest + "\"");
    rest = rest.substr(0, at);
  }
  // A tag follows the last ":" that comes after the last "/".
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    r.tag = std::string(rest.substr(colon + 1));
    if (!valid_tag(r.tag)) return bad("bad tag \"" + r.tag + "\"");
    rest = rest.substr(0, colon);
  }
  auto parts = split(rest, '/');
  if (parts.size() > 1 && looks_like_registry(parts[0])) {
    r.registry = parts[0];
    parts.erase(parts.begin());
  } else {
    r.registry = "docker.io";
  }
  if (r.registry == "index.docker.io" || r.registry == "registry-1.docker.io") r.registry = "docker.io";
  for (const auto& p : parts)
    if (!valid_component(p)) {
      for (char c : p)
        if (c >= 'A' && c <= 'Z') return bad("repository name must be lowercase");
      return bad("bad name component \"" + p + "\"");
    }
  r.repository = join(parts, "/");
  if (r.registry == "docker.io" && parts.size() == 1) r.repository = "library/" + r.repository;
  if (r.name().size() > kMaxName) return bad("name longer than 255 characters");
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::familiar() const {
  std::string repo = repository;
  std::string s;
  if (registry == "docker.io") {
    s = starts_with(repo, "library/") ? repo.substr(8) : repo;
  } else {
    s = registry + "/" + repo;
  }
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::endpoint_host() const {
  return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

}  // namespace hutch::registry
