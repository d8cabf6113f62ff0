#include "registry/options.h"

#include <dirent.h>
#include <stdlib.h>

#include <algorithm>

#include "base/fs.h"
#include "base/json.h"

namespace hutch::registry {

Result<RegistryOptions> RegistryOptions::parse(const std::string& text, const std::string& where) {
  RegistryOptions o;
  auto doc = json::parse(text);
  if (!doc.ok()) return std::move(doc).error().context("registries config \"" + where + "\"");
  json_t* root = doc->get();
  if (!json_is_object(root)) return Error::plain(EINVAL, "registries config \"" + where + "\": not a JSON object");
  json_t* ins = json_object_get(root, "insecure");
  if (ins) {
    if (!json_is_array(ins)) return Error::plain(EINVAL, "registries config \"" + where + "\": insecure: not an array");
    size_t i;
    json_t* v;
    json_array_foreach(ins, i, v) {
      if (!json_is_string(v))
        return Error::plain(EINVAL, "registries config \"" + where + "\": insecure[" + std::to_string(i) + "]: not a string");
      o.insecure.emplace_back(json_string_value(v));
    }
  }
  json_t* mir = json_object_get(root, "mirrors");
  if (mir) {
    if (!json_is_object(mir)) return Error::plain(EINVAL, "registries config \"" + where + "\": mirrors: not an object");
    const char* k;
    json_t* list;
    json_object_foreach(mir, k, list) {
      if (!json_is_array(list))
        return Error::plain(EINVAL, "registries config \"" + where + "\": mirrors." + k + ": not an array");
      size_t i;
      json_t* v;
      json_array_foreach(list, i, v) {
        if (!json_is_string(v))
          return Error::plain(EINVAL, "registries config \"" + where + "\": mirrors." + k + "[" + std::to_string(i) +
                                          "]: not a string");
        std::string m = json_string_value(v);
        for (std::string p : {"https://", "http://"})
          if (m.rfind(p, 0) == 0) m = m.substr(p.size());
        while (!m.empty() && m.back() == '/') m.pop_back();
        o.mirrors[k].push_back(m);
      }
    }
  }
  return o;
}

Result<RegistryOptions> RegistryOptions::load() {
  RegistryOptions o;
  const char* conf = ::getenv("HUTCH_REGISTRIES_CONF");
  std::string path = conf && *conf ? conf : "/etc/hutch/registries.json";
  if (fs::exists(path) || (conf && *conf)) {
    ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
    ASSIGN_OR_RETURN(o, parse(text, path));
  }
  if (const char* c = ::getenv("HUTCH_CERTS_DIR"); c && *c) o.certs_dir = c;
  return o;
}

bool RegistryOptions::is_insecure(const std::string& host) const {
  return std::find(insecure.begin(), insecure.end(), host) != insecure.end();
}

std::string RegistryOptions::base_url(const std::string& host) const {
  return (is_insecure(host) ? "http://" : "https://") + host;
}

Result<TlsConfig> RegistryOptions::tls_for(const std::string& host) const {
  TlsConfig t;
  // certs.d names the directory after host:port; for the default port the
  // bare host is used, as docker does.
  std::string dir = certs_dir + "/" + host;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return t;
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  auto ends = [](const std::string& s, const char* suf) {
    size_t n = std::char_traits<char>::length(suf);
    return s.size() > n && s.compare(s.size() - n, n, suf) == 0;
  };
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    if (ends(n, ".crt")) {
      ASSIGN_OR_RETURN(std::string pem, fs::read_file(p));
      t.extra_ca_pem += pem + "\n";
    } else if (ends(n, ".cert")) {
      t.client_cert = p;
      std::string key = p.substr(0, p.size() - 5) + ".key";
      if (!fs::exists(key))
        return Error::plain(ENOENT, "client certificate \"" + p + "\" has no key \"" + key + "\" beside it");
      t.client_key = key;
    }
  }
  return t;
}

}  // namespace hutch::registry
