// Fuzz target: image manifests, indexes and configs and digests, the
// untrusted input of pulls and archive loads. Built for libFuzzer with
// -DHUTCH_FUZZ=ON (clang), and always as a deterministic smoke test
// (fuzz_driver.cc) that replays the corpus and mutations of it. A document
// that parses must survive the round trip through the canonical emitter.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/digest.h"
#include "oci/image.h"

namespace {

template <typename T, typename Parse>
void round_trip(const T& x, Parse parse) {
  auto y = parse(hutch::oci::to_json(x));
  if (!y.ok() || !(*y == x)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto m = hutch::oci::parse_manifest(text); m.ok()) round_trip(*m, hutch::oci::parse_manifest);
  if (auto x = hutch::oci::parse_index(text); x.ok()) round_trip(*x, hutch::oci::parse_index);
  if (auto c = hutch::oci::parse_image_config(text); c.ok()) round_trip(*c, hutch::oci::parse_image_config);
  (void)hutch::oci::detect_media_type(text);
  if (auto d = hutch::image::Digest::parse(text); d.ok()) {
    if (d->str() != text) std::abort();
  }
  return 0;
}
