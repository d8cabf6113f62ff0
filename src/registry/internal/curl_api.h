// libcurl, loaded on first use: every hutch command would otherwise pay
// for mapping and relocating libcurl and the ~30 libraries it pulls in
// (TLS, Kerberos, LDAP, IDN, ...), about 10 ms, though only the registry
// commands talk HTTP. http.cc includes this header after <curl/curl.h>; the
// curl_* names below then go through the table loaded by curl_api().
// Thread-safety: curl_api() loads once (a function-local static).
#pragma once

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "base/error.h"

namespace hutch::registry::internal {

struct CurlApi {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  CURLcode (*easy_perform)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  struct curl_slist* (*slist_append)(struct curl_slist*, const char*);
  void (*slist_free_all)(struct curl_slist*);
};

// The loaded table; an error names the library when it cannot be loaded.
Result<const CurlApi*> curl_api();

}  // namespace hutch::registry::internal
