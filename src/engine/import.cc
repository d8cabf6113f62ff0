#include "engine/import.h"

#include "base/json.h"
#include "base/strings.h"

namespace hutch::engine {
namespace {

// JSON array form (exec form) or a shell command (shell form), as a
// Dockerfile's CMD/ENTRYPOINT.
Result<std::vector<std::string>> command_form(const std::string& rest) {
  std::string_view t = trim(rest);
  if (!t.empty() && t.front() == '[') {
    auto doc = json::parse(t);
    if (!doc.ok() || !json_is_array(doc->get())) return Error::plain(EINVAL, "not a JSON array: " + std::string(t));
    std::vector<std::string> out;
    size_t i;
    json_t* v;
    json_array_foreach(doc->get(), i, v) {
      if (!json_is_string(v)) return Error::plain(EINVAL, "array elements must be strings: " + std::string(t));
      out.emplace_back(json_string_value(v));
    }
    return out;
  }
  return std::vector<std::string>{"/bin/sh", "-c", std::string(t)};
}

// KEY=VALUE pairs (values may be double-quoted), or "KEY VALUE" (one pair).
Result<std::vector<std::pair<std::string, std::string>>> pairs(const std::string& rest, const char* what) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view t = trim(rest);
  if (t.find('=') == std::string_view::npos) {
    auto sp = t.find_first_of(" \t");
    if (sp == std::string_view::npos) return Error::plain(EINVAL, std::string(what) + " needs KEY=VALUE or KEY VALUE");
    out.emplace_back(std::string(t.substr(0, sp)), std::string(trim(t.substr(sp))));
    return out;
  }
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
    if (i >= t.size()) break;
    size_t eq = t.find('=', i);
    if (eq == std::string_view::npos) return Error::plain(EINVAL, std::string(what) + ": missing '=' in \"" + std::string(t.substr(i)) + "\"");
    std::string key(t.substr(i, eq - i));
    std::string value;
    i = eq + 1;
    if (i < t.size() && t[i] == '"') {
      ++i;
      while (i < t.size() && t[i] != '"') {
        if (t[i] == '\\' && i + 1 < t.size()) ++i;
        value += t[i++];
      }
      if (i >= t.size()) return Error::plain(EINVAL, std::string(what) + ": unterminated quote");
      ++i;
    } else {
      while (i < t.size() && t[i] != ' ' && t[i] != '\t') value += t[i++];
    }
    if (key.empty()) return Error::plain(EINVAL, std::string(what) + ": empty key");
    out.emplace_back(key, value);
  }
  return out;
}

}  // namespace

Status apply_change(const std::string& change, oci::ContainerConfig& cfg) {
  std::string_view t = trim(change);
  auto sp = t.find_first_of(" \t");
  std::string op(t.substr(0, sp));
  for (auto& c : op) c = static_cast<char>(toupper(c));
  std::string rest = sp == std::string_view::npos ? "" : std::string(trim(t.substr(sp)));
  auto bad = [&](const Error& e) { return Error::plain(EINVAL, "--change \"" + change + "\": " + e.message()); };
  if (op == "CMD" || op == "ENTRYPOINT") {
    auto v = command_form(rest);
    if (!v.ok()) return bad(v.error());
    (op == "CMD" ? cfg.cmd : cfg.entrypoint) = *v;
  } else if (op == "ENV") {
    auto ps = pairs(rest, "ENV");
    if (!ps.ok()) return bad(ps.error());
    for (const auto& [k, v] : *ps) {
      std::erase_if(cfg.env, [&](const std::string& e) { return e.substr(0, e.find('=')) == k; });
      cfg.env.push_back(k + "=" + v);
    }
  } else if (op == "LABEL") {
    auto ps = pairs(rest, "LABEL");
    if (!ps.ok()) return bad(ps.error());
    for (const auto& [k, v] : *ps) cfg.labels[k] = v;
  } else if (op == "WORKDIR") {
    if (rest.empty() || rest[0] != '/') return bad(Error::plain(EINVAL, "WORKDIR must be an absolute path"));
    cfg.working_dir = rest;
  } else if (op == "USER") {
    if (rest.empty()) return bad(Error::plain(EINVAL, "USER needs a value"));
    cfg.user = rest;
  } else if (op == "EXPOSE") {
    for (const auto& p : split(rest, ' ')) {
      if (p.empty()) continue;
      auto slash = p.find('/');
      std::string port = p.substr(0, slash), proto = slash == std::string::npos ? "tcp" : p.substr(slash + 1);
      auto n = parse_uint(port);
      if (!n || *n == 0 || *n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp"))
        return bad(Error::plain(EINVAL, "invalid port \"" + p + "\""));
      cfg.exposed_ports.insert(port + "/" + proto);
    }
  } else if (op == "STOPSIGNAL") {
    cfg.stop_signal = rest;
  } else {
    return Error::plain(EINVAL, "--change \"" + change +
                                    "\": only CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL and STOPSIGNAL are supported");
  }
  return {};
}

}  // namespace hutch::engine
