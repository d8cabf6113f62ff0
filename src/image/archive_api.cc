#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

// The table only: the macros would rename the members bound below.
#define HUTCH_ARCHIVE_NO_MACROS 1
#include "image/archive_api.h"

namespace hutch::image::archive_lib {

namespace {

[[noreturn]] void die(const char* what, const char* detail) {
  std::fprintf(stderr, "hutch: %s: %s (install Debian's libarchive13)\n", what, detail ? detail : "");
  std::abort();
}

Api load() {
  void* lib = ::dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
  if (!lib) die("cannot load libarchive.so.13", ::dlerror());
  Api a;
#define HUTCH_ARCHIVE_BIND(f)                                    \
  a.f = reinterpret_cast<decltype(a.f)>(::dlsym(lib, #f));       \
  if (!a.f) die("libarchive.so.13 lacks " #f, ::dlerror());
  HUTCH_ARCHIVE_FUNCTIONS(HUTCH_ARCHIVE_BIND)
#undef HUTCH_ARCHIVE_BIND
  return a;
}

}  // namespace

const Api& api() {
  static const Api a = load();
  return a;
}

}  // namespace hutch::image::archive_lib
