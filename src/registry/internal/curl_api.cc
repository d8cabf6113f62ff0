#include "registry/internal/curl_api.h"

#include <dlfcn.h>

#include <string>

namespace hutch::registry::internal {

namespace {

template <typename F>
bool bind(void* lib, const char* name, F* out) {
  *out = reinterpret_cast<F>(::dlsym(lib, name));
  return *out != nullptr;
}

Result<CurlApi> load() {
  // Debian's libcurl4 (OpenSSL flavour, as we build against).
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return Error::plain(ENOENT, std::string("load libcurl (needed to reach registries): ") + ::dlerror() +
                                    "; install the libcurl4 package");
  CurlApi a;
  bool ok = bind(lib, "curl_global_init", &a.global_init) && bind(lib, "curl_easy_init", &a.easy_init) &&
            bind(lib, "curl_easy_cleanup", &a.easy_cleanup) && bind(lib, "curl_easy_reset", &a.easy_reset) &&
            bind(lib, "curl_easy_setopt", &a.easy_setopt) && bind(lib, "curl_easy_getinfo", &a.easy_getinfo) &&
            bind(lib, "curl_easy_perform", &a.easy_perform) && bind(lib, "curl_easy_strerror", &a.easy_strerror) &&
            bind(lib, "curl_slist_append", &a.slist_append) && bind(lib, "curl_slist_free_all", &a.slist_free_all);
  if (!ok) return Error::plain(ENOSYS, std::string("libcurl.so.4 lacks a function hutch uses: ") + ::dlerror());
  return a;
}

}  // namespace

Result<const CurlApi*> curl_api() {
  static Result<CurlApi> api = load();
  if (!api.ok()) return api.error();
  return &api.value();
}

}  // namespace hutch::registry::internal
