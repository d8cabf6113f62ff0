#include "image/digest.h"

#include <dlfcn.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "oci/image.h"

namespace hutch::image {

Result<Digest> Digest::parse(std::string_view text) {
  // One implementation of the image-spec rules, shared with descriptor
  // validation in oci/ (which cannot depend on this module).
  TRY(oci::check_digest(text));
  size_t colon = text.find(':');
  return Digest{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

// libcrypto is loaded on first use: only pulling, pushing, loading and
// committing images hash anything, and linking it would cost every hutch
// command (a container start among them) ~3 ms of relocations.
namespace {

struct CryptoApi {
  EVP_MD_CTX* (*ctx_new)();
  void (*ctx_free)(EVP_MD_CTX*);
  const EVP_MD* (*sha256)();
  int (*init)(EVP_MD_CTX*, const EVP_MD*, ENGINE*);
  int (*update)(EVP_MD_CTX*, const void*, size_t);
  int (*final)(EVP_MD_CTX*, unsigned char*, unsigned int*);
};

template <typename F>
bool bind(void* lib, const char* name, F* out) {
  *out = reinterpret_cast<F>(::dlsym(lib, name));
  return *out != nullptr;
}

// Without libcrypto nothing can be verified: stop, as operator new would
// without memory, after saying what to install.
[[noreturn]] void no_crypto(const char* why) {
  std::fprintf(stderr, "hutch: cannot load libcrypto.so.3 (needed for sha256): %s; install the libssl3 package\n", why);
  std::abort();
}

const CryptoApi& crypto() {
  static const CryptoApi api = [] {
    void* lib = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib) no_crypto(::dlerror());
    CryptoApi a{};
    if (!(bind(lib, "EVP_MD_CTX_new", &a.ctx_new) && bind(lib, "EVP_MD_CTX_free", &a.ctx_free) &&
          bind(lib, "EVP_sha256", &a.sha256) && bind(lib, "EVP_DigestInit_ex", &a.init) &&
          bind(lib, "EVP_DigestUpdate", &a.update) && bind(lib, "EVP_DigestFinal_ex", &a.final)))
      no_crypto("a function is missing");
    return a;
  }();
  return api;
}

// Allocation failure in libcrypto is out of memory: there is nothing to
// report it through (no exceptions), so stop as operator new would.
void init_or_abort(EVP_MD_CTX* ctx) {
  if (!ctx || crypto().init(ctx, crypto().sha256(), nullptr) != 1) std::abort();
}

}  // namespace

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = crypto().ctx_new();
  init_or_abort(state_->ctx);
}

Sha256::~Sha256() { crypto().ctx_free(state_->ctx); }

void Sha256::update(const void* data, size_t size) {
  if (size > 0 && crypto().update(state_->ctx, data, size) != 1) std::abort();
}

Digest Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (crypto().final(state_->ctx, md, &len) != 1) std::abort();
  // Ready for the next message.
  init_or_abort(state_->ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  Digest d{"sha256", std::string(len * 2, '0')};
  for (unsigned int i = 0; i < len; ++i) {
    d.hex[2 * i] = kHex[md[i] >> 4];
    d.hex[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return d;
}

Digest sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.finish();
}

}  // namespace hutch::image
