// Fuzz target: config.json, process.json and resources documents, the
// runtime's untrusted JSON input. Built for libFuzzer with
// -DHUTCH_FUZZ=ON (clang), and always as a deterministic smoke test
// (fuzz_driver.cc) that replays the corpus and mutations of it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/spec.h"
#include "runtime/mount_options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = hutch::oci::parse_spec(text);
  if (spec.ok()) {
    for (const auto& m : spec->mounts) (void)hutch::runtime::parse_mount_options(m.options, "mounts");
  }
  (void)hutch::oci::parse_process(text);
  (void)hutch::oci::parse_resources(text);
  return 0;
}
