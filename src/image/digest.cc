#include "image/digest.h"

#include <openssl/evp.h>

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

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
};

namespace {

// Allocation failure in libcrypto is out of memory: there is nothing to
// report it through (no exceptions), so stop as operator new would.
void init_or_abort(EVP_MD_CTX* ctx) {
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) std::abort();
}

}  // namespace

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  init_or_abort(state_->ctx);
}

Sha256::~Sha256() { EVP_MD_CTX_free(state_->ctx); }

void Sha256::update(const void* data, size_t size) {
  if (size > 0 && EVP_DigestUpdate(state_->ctx, data, size) != 1) std::abort();
}

Digest Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(state_->ctx, md, &len) != 1) std::abort();
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
