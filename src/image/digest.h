// Digests as the OCI image-spec writes them ("sha256:<64 hex>"), and a
// streaming SHA-256 (OpenSSL's libcrypto) for verifying content while it
// streams (libcrypto is loaded at the first Sha256). Thread-safety:
// values; a Sha256 is used by one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace hutch::image {

struct Digest {
  std::string algorithm;  // "sha256" (sha512 parsed, not computed)
  std::string hex;        // lower-case

  // Parses and validates "algo:hex" (lengths and charset per image-spec).
  static Result<Digest> parse(std::string_view text);
  std::string str() const { return algorithm + ":" + hex; }
  bool operator==(const Digest& o) const { return algorithm == o.algorithm && hex == o.hex; }
  bool operator<(const Digest& o) const { return str() < o.str(); }
};

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  // Returns the digest and starts over for the next message.
  Digest finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

Digest sha256_of(std::string_view data);

}  // namespace hutch::image
