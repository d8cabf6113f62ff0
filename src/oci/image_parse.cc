// Parsing and validation of image manifests, indexes and configurations
// (untrusted input: sizes and entry counts are bounded before walking).
#include <cstdio>
#include <string>

#include "base/json.h"
#include "base/strings.h"
#include "oci/image.h"
#include "oci/internal_walker.h"

namespace hutch::oci {
namespace {

using internal::Walker;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

// Untrusted text in an error: control characters escaped, cut short.
constexpr size_t kMaxShown = 100;

std::string escaped(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMaxShown) out += "...";
  return out;
}

std::string quoted(std::string_view s) {
  std::string out = "\"" + escaped(s.substr(0, kMaxShown)) + "\"";
  if (s.size() > kMaxShown) out += "...";
  return out;
}

// RFC 6838 section 4.2: type "/" subtype, each a restricted-name.
bool valid_media_type(std::string_view t) {
  auto name_ok = [](std::string_view n) {
    if (n.empty() || n.size() > 127 || !is_alnum(n[0])) return false;
    for (char c : n.substr(1))
      if (!is_alnum(c) && std::string_view("!#$&-^_.+").find(c) == std::string_view::npos) return false;
    return true;
  };
  size_t slash = t.find('/');
  return slash != std::string_view::npos && name_ok(t.substr(0, slash)) && name_ok(t.substr(slash + 1));
}

// RFC 3339 date-time as Go's time.Time marshals it (and requires when
// unmarshalling): 2006-01-02T15:04:05[.999999999](Z|+07:00).
bool valid_time(std::string_view s) {
  auto num = [&](size_t pos, size_t len, int lo, int hi) {
    if (pos + len > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!is_digit(s[i])) return false;
      v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi;
  };
  auto at = [&](size_t pos, char c) { return pos < s.size() && s[pos] == c; };
  if (!num(0, 4, 0, 9999) || !at(4, '-') || !num(5, 2, 1, 12) || !at(7, '-') || !num(8, 2, 1, 31) || !at(10, 'T') ||
      !num(11, 2, 0, 23) || !at(13, ':') || !num(14, 2, 0, 59) || !at(16, ':') || !num(17, 2, 0, 60))
    return false;
  size_t i = 19;
  if (at(i, '.')) {
    size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start || i - start > 9) return false;
  }
  if (at(i, 'Z')) return i + 1 == s.size();
  if (!at(i, '+') && !at(i, '-')) return false;
  return num(i + 1, 2, 0, 23) && at(i + 3, ':') && num(i + 4, 2, 0, 59) && i + 6 == s.size();
}

// "80", "80/tcp", "53/udp", "9/sctp" (Docker's EXPOSE, as stored in configs).
bool valid_port(std::string_view k) {
  size_t slash = k.find('/');
  std::string_view port = k.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view proto = k.substr(slash + 1);
    if (proto != "tcp" && proto != "udp" && proto != "sctp") return false;
  }
  auto n = parse_uint(port);
  return n && port.size() <= 5 && *n >= 1 && *n <= 65535;
}

// Walker::opt for string maps, with the key escaped in the JSON path: keys
// are untrusted text too (annotations, Labels).
Status opt_map(const Walker& w, const char* key, std::map<std::string, std::string>& out) {
  Walker m = w.member(key);
  if (m.is_null()) return {};
  TRY(m.expect_object());
  const char* k;
  json_t* v;
  json_object_foreach(const_cast<json_t*>(m.node()), k, v) {
    if (!json_is_string(v)) return Walker(v, m.path() + "." + escaped(k)).fail("expected a string");
    out[k] = std::string(json_string_value(v), json_string_length(v));
  }
  return {};
}

Result<std::string> required_str(const Walker& w, const char* key) {
  Walker m = w.member(key);
  if (m.is_null()) return m.fail("is required");
  ASSIGN_OR_RETURN(std::string s, m.str());
  if (s.empty()) return m.fail("must not be empty");
  return s;
}

Status check_count(const Walker& w) {
  if (w.size() > kMaxEntries)
    return w.fail("has " + std::to_string(w.size()) + " entries, more than the limit of " +
                  std::to_string(kMaxEntries));
  return {};
}

Status check_digest_at(const Walker& w, const std::string& d) {
  auto st = check_digest(d);
  if (!st.ok()) return Error::plain(st.error().code(), w.path() + ": " + st.error().innermost());
  return {};
}

Status check_media_type_at(const Walker& w, const std::string& t) {
  if (!valid_media_type(t)) return w.fail("invalid media type " + quoted(t) + " (want type/subtype, RFC 6838)");
  return {};
}

Result<Platform> parse_platform(const Walker& w) {
  TRY(w.expect_object());
  Platform p;
  ASSIGN_OR_RETURN(p.architecture, required_str(w, "architecture"));
  ASSIGN_OR_RETURN(p.os, required_str(w, "os"));
  TRY(w.opt("os.version", p.os_version));
  TRY(w.opt("os.features", p.os_features));
  TRY(w.opt("variant", p.variant));
  return p;
}

Result<Descriptor> parse_descriptor(const Walker& w) {
  if (w.is_null()) return w.fail("is required");
  TRY(w.expect_object());
  Descriptor d;
  ASSIGN_OR_RETURN(d.media_type, required_str(w, "mediaType"));
  TRY(check_media_type_at(w.member("mediaType"), d.media_type));
  ASSIGN_OR_RETURN(d.digest, required_str(w, "digest"));
  TRY(check_digest_at(w.member("digest"), d.digest));
  Walker size = w.member("size");
  if (size.is_null()) return size.fail("is required");
  ASSIGN_OR_RETURN(d.size, size.int64());
  if (d.size < 0) return size.fail("must not be negative, got " + std::to_string(d.size));
  TRY(w.opt("urls", d.urls));
  for (size_t i = 0; i < d.urls.size(); ++i)
    if (d.urls[i].empty()) return w.member("urls").element(i).fail("must not be empty");
  TRY(opt_map(w, "annotations", d.annotations));
  Walker pl = w.member("platform");
  if (!pl.is_null()) {
    ASSIGN_OR_RETURN(d.platform, parse_platform(pl));
  }
  TRY(w.opt("artifactType", d.artifact_type));
  if (!d.artifact_type.empty()) TRY(check_media_type_at(w.member("artifactType"), d.artifact_type));
  return d;
}

Status parse_descriptors(const Walker& w, std::vector<Descriptor>& out) {
  if (w.is_null()) return w.fail("is required");
  TRY(w.expect_array());
  TRY(check_count(w));
  for (size_t i = 0; i < w.size(); ++i) {
    ASSIGN_OR_RETURN(Descriptor d, parse_descriptor(w.element(i)));
    out.push_back(std::move(d));
  }
  return {};
}

// Bounds the size and checks the root is an object.
Result<json::Ptr> load(std::string_view text) {
  if (text.size() > kMaxDocumentBytes)
    return Error::plain(EFBIG, "document is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                                   std::to_string(kMaxDocumentBytes >> 20) + " MiB");
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(text));
  if (!json_is_object(doc.get())) return Error::plain(EINVAL, "expected a JSON object");
  return doc;
}

Status parse_schema_version(const Walker& root, int& out) {
  Walker v = root.member("schemaVersion");
  if (v.is_null()) return v.fail("is required");
  ASSIGN_OR_RETURN(int64_t n, v.int64());
  if (n == 1) return v.fail("Docker schema 1 is not supported (want 2; push the image again with a current client)");
  if (n != 2) return v.fail("unsupported value " + std::to_string(n) + " (want 2)");
  out = 2;
  return {};
}

bool is_schema1_media_type(std::string_view t) {
  return t == "application/vnd.docker.distribution.manifest.v1+json" ||
         t == "application/vnd.docker.distribution.manifest.v1+prettyjws";
}

// The optional top-level "mediaType": empty, or one the caller accepts.
Status parse_top_media_type(const Walker& root, bool want_index, std::string& out) {
  Walker m = root.member("mediaType");
  TRY(root.opt("mediaType", out));
  if (out.empty()) return {};
  if (want_index ? is_index_media_type(out) : is_manifest_media_type(out)) return {};
  if (is_schema1_media_type(out)) return m.fail("Docker schema 1 is not supported (" + quoted(out) + ")");
  if (want_index && is_manifest_media_type(out)) return m.fail(quoted(out) + " is a manifest, not an index");
  if (!want_index && is_index_media_type(out)) return m.fail(quoted(out) + " is an index, not a manifest");
  return m.fail("unsupported media type " + quoted(out));
}

Status parse_container_config(const Walker& w, ContainerConfig& c) {
  TRY(w.expect_object());
  TRY(w.opt("User", c.user));
  const char* k;
  json_t* v;
  Walker ports = w.member("ExposedPorts");
  if (!ports.is_null()) {
    TRY(ports.expect_object());
    json_object_foreach(const_cast<json_t*>(ports.node()), k, v) {
      if (!valid_port(k))
        return Walker(v, ports.path() + "." + escaped(k)).fail("invalid port (want PORT or PORT/tcp|udp|sctp)");
      c.exposed_ports.insert(k);
    }
  }
  TRY(w.opt("Env", c.env));
  for (size_t i = 0; i < c.env.size(); ++i) {
    size_t eq = c.env[i].find('=');
    if (eq == std::string::npos || eq == 0)
      return w.member("Env").element(i).fail("expected KEY=VALUE, got " + quoted(c.env[i]));
  }
  TRY(w.opt("Entrypoint", c.entrypoint));
  TRY(w.opt("Cmd", c.cmd));
  Walker vols = w.member("Volumes");
  if (!vols.is_null()) {
    TRY(vols.expect_object());
    json_object_foreach(const_cast<json_t*>(vols.node()), k, v) {
      if (!*k) return vols.fail("has an empty volume path");
      c.volumes.insert(k);
    }
  }
  TRY(w.opt("WorkingDir", c.working_dir));
  TRY(opt_map(w, "Labels", c.labels));
  TRY(w.opt("StopSignal", c.stop_signal));
  TRY(w.opt("ArgsEscaped", c.args_escaped));
  TRY(w.opt("OnBuild", c.on_build));
  Walker h = w.member("Healthcheck");
  if (!h.is_null()) {
    TRY(h.expect_object());
    HealthConfig hc;
    TRY(h.opt("Test", hc.test));
    if (!hc.test.empty() && hc.test[0] != "NONE" && hc.test[0] != "CMD" && hc.test[0] != "CMD-SHELL")
      return h.member("Test").element(0).fail("unknown value " + quoted(hc.test[0]) + " (want NONE, CMD or CMD-SHELL)");
    TRY(h.opt("Interval", hc.interval));
    TRY(h.opt("Timeout", hc.timeout));
    TRY(h.opt("StartPeriod", hc.start_period));
    TRY(h.opt("Retries", hc.retries));
    for (auto [key, val] :
         {std::pair{"Interval", hc.interval}, {"Timeout", hc.timeout}, {"StartPeriod", hc.start_period}})
      if (val && *val < 0) return h.member(key).fail("must not be negative");
    if (hc.retries && *hc.retries < 0) return h.member("Retries").fail("must not be negative");
    c.healthcheck = std::move(hc);
  }
  return {};
}

Status parse_time_at(const Walker& w, const char* key, std::string& out) {
  TRY(w.opt(key, out));
  if (!out.empty() && !valid_time(out))
    return w.member(key).fail("invalid time " + quoted(out) + " (want RFC 3339, 2006-01-02T15:04:05Z)");
  return {};
}

Status parse_history(const Walker& w, std::vector<History>& out) {
  if (w.is_null()) return {};
  TRY(w.expect_array());
  TRY(check_count(w));
  for (size_t i = 0; i < w.size(); ++i) {
    Walker e = w.element(i);
    TRY(e.expect_object());
    History h;
    TRY(parse_time_at(e, "created", h.created));
    TRY(e.opt("created_by", h.created_by));
    TRY(e.opt("author", h.author));
    TRY(e.opt("comment", h.comment));
    TRY(e.opt("empty_layer", h.empty_layer));
    out.push_back(std::move(h));
  }
  return {};
}

Status parse_rootfs(const Walker& w, RootFs& r) {
  if (w.is_null()) return w.fail("is required");
  TRY(w.expect_object());
  ASSIGN_OR_RETURN(r.type, required_str(w, "type"));
  if (r.type != "layers") return w.member("type").fail("unknown value " + quoted(r.type) + " (want \"layers\")");
  Walker ids = w.member("diff_ids");
  if (ids.is_null()) return ids.fail("is required");
  TRY(ids.expect_array());
  TRY(check_count(ids));
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSIGN_OR_RETURN(std::string d, ids.element(i).str());
    TRY(check_digest_at(ids.element(i), d));
    r.diff_ids.push_back(std::move(d));
  }
  return {};
}

}  // namespace

Status check_digest(std::string_view d) {
  auto bad = [&](const std::string& why) {
    return Error::plain(EINVAL, "invalid digest " + quoted(d) + " (" + why + ")");
  };
  size_t colon = d.find(':');
  if (colon == std::string_view::npos) return bad("want algorithm:hex");
  std::string_view algo = d.substr(0, colon), enc = d.substr(colon + 1);
  // algorithm ::= [a-z0-9]+ ([+._-] [a-z0-9]+)*
  bool after_sep = true;
  for (char c : algo) {
    if (is_lower_alnum(c)) {
      after_sep = false;
    } else if (std::string_view("+._-").find(c) != std::string_view::npos && !after_sep) {
      after_sep = true;
    } else {
      return bad("the algorithm must match [a-z0-9]+([+._-][a-z0-9]+)*");
    }
  }
  if (after_sep) return bad("the algorithm must match [a-z0-9]+([+._-][a-z0-9]+)*");
  if (enc.empty()) return bad("empty encoded part");
  for (char c : enc)
    if (!is_alnum(c) && c != '=' && c != '_' && c != '-') return bad("the encoded part must match [a-zA-Z0-9=_-]+");
  size_t want = algo == "sha256" ? 64 : algo == "sha512" ? 128 : 0;
  if (want == 0)
    return Error::plain(ENOTSUP, "unsupported digest algorithm " + quoted(algo) + " in " + quoted(d) +
                                     " (hutch supports sha256 and sha512)");
  bool hex = true;
  for (char c : enc) hex = hex && is_lower_hex(c);
  if (enc.size() != want || !hex)
    return bad(std::string(algo) + " wants " + std::to_string(want) + " lower-case hex digits");
  return {};
}

Result<Manifest> parse_manifest(std::string_view text) {
  ASSIGN_OR_RETURN(json::Ptr doc, load(text));
  Walker w(doc.get(), "");
  Manifest m;
  TRY(parse_schema_version(w, m.schema_version));
  TRY(parse_top_media_type(w, false, m.media_type));
  // An index read as a manifest must not pass (image-spec considerations).
  if (!w.member("manifests").is_null())
    return w.member("manifests").fail("unexpected in a manifest (is this an index?)");
  TRY(w.opt("artifactType", m.artifact_type));
  if (!m.artifact_type.empty()) TRY(check_media_type_at(w.member("artifactType"), m.artifact_type));
  ASSIGN_OR_RETURN(m.config, parse_descriptor(w.member("config")));
  TRY(parse_descriptors(w.member("layers"), m.layers));
  Walker subject = w.member("subject");
  if (!subject.is_null()) {
    ASSIGN_OR_RETURN(m.subject, parse_descriptor(subject));
  }
  TRY(opt_map(w, "annotations", m.annotations));
  return m;
}

Result<Index> parse_index(std::string_view text) {
  ASSIGN_OR_RETURN(json::Ptr doc, load(text));
  Walker w(doc.get(), "");
  Index x;
  TRY(parse_schema_version(w, x.schema_version));
  TRY(parse_top_media_type(w, true, x.media_type));
  for (const char* key : {"layers", "config"})
    if (!w.member(key).is_null()) return w.member(key).fail("unexpected in an index (is this a manifest?)");
  TRY(w.opt("artifactType", x.artifact_type));
  if (!x.artifact_type.empty()) TRY(check_media_type_at(w.member("artifactType"), x.artifact_type));
  TRY(parse_descriptors(w.member("manifests"), x.manifests));
  Walker subject = w.member("subject");
  if (!subject.is_null()) {
    ASSIGN_OR_RETURN(x.subject, parse_descriptor(subject));
  }
  TRY(opt_map(w, "annotations", x.annotations));
  return x;
}

Result<ImageConfig> parse_image_config(std::string_view text) {
  ASSIGN_OR_RETURN(json::Ptr doc, load(text));
  Walker w(doc.get(), "");
  ImageConfig c;
  TRY(parse_time_at(w, "created", c.created));
  TRY(w.opt("author", c.author));
  ASSIGN_OR_RETURN(c.architecture, required_str(w, "architecture"));
  ASSIGN_OR_RETURN(c.os, required_str(w, "os"));
  TRY(w.opt("os.version", c.os_version));
  TRY(w.opt("os.features", c.os_features));
  TRY(w.opt("variant", c.variant));
  Walker cc = w.member("config");
  if (!cc.is_null()) TRY(parse_container_config(cc, c.config));
  TRY(parse_rootfs(w.member("rootfs"), c.rootfs));
  TRY(parse_history(w.member("history"), c.history));
  return c;
}

Result<std::string> detect_media_type(std::string_view text) {
  ASSIGN_OR_RETURN(json::Ptr doc, load(text));
  Walker w(doc.get(), "");
  std::string type;
  TRY(w.opt("mediaType", type));
  if (!type.empty()) return type;
  Walker v = w.member("schemaVersion");
  if (json_is_integer(v.node()) && json_integer_value(v.node()) == 1)
    return v.fail("Docker schema 1 is not supported (want 2; push the image again with a current client)");
  bool index = !w.member("manifests").is_null();
  bool manifest = !w.member("layers").is_null() || !w.member("config").is_null();
  if (index && manifest)
    return Error::plain(EINVAL, "ambiguous document: it has \"manifests\" and \"layers\" or \"config\"");
  if (index) return std::string(kMediaTypeImageIndex);
  if (manifest) return std::string(kMediaTypeImageManifest);
  return Error::plain(EINVAL, "neither a manifest nor an index (no \"layers\", \"config\" or \"manifests\")");
}

}  // namespace hutch::oci
