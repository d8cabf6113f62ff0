// Fuzz target: what a registry or a config file hands the registry module:
// WWW-Authenticate challenges (parse_challenges), base64 (base64_decode, as
// the auth file's "auth" values), the registries file
// (RegistryOptions::parse), docker's auth file (AuthFile::get, reading the
// input from a memfd) and image references. Built for libFuzzer with
// -DHUTCH_FUZZ=ON (clang), and always as a deterministic smoke test
// (fuzz_driver.cc) over tests/fuzz/corpus/registry. Besides not crashing,
// results must keep their contracts: lower-case scheme and parameter
// names, base64 that decodes back to what was encoded, references that
// survive their own normalised form.
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "registry/auth.h"
#include "registry/options.h"
#include "registry/reference.h"

namespace {

using namespace hutch::registry;

bool has_upper(std::string_view s) {
  for (char c : s)
    if (std::isupper(static_cast<unsigned char>(c))) return true;
  return false;
}

void challenges(std::string_view text) {
  for (const auto& c : parse_challenges(text)) {
    if (c.scheme.empty() || has_upper(c.scheme)) std::abort();
    for (const auto& [k, v] : c.params)
      if (k.empty() || has_upper(k)) std::abort();
  }
}

// decode(encode(x)) == x, for the input and for what it decodes to.
void base64_round_trip(std::string_view x) {
  auto back = base64_decode(base64_encode(x));
  if (!back.ok() || *back != x) std::abort();
}

void base64(std::string_view text) {
  base64_round_trip(text);
  if (auto d = base64_decode(text); d.ok()) base64_round_trip(*d);
}

void registries(std::string_view text) {
  auto o = RegistryOptions::parse(std::string(text), "fuzz");
  if (!o.ok()) return;
  for (const auto& h : o->insecure)
    if (!o->is_insecure(h) || o->base_url(h) != "http://" + h) std::abort();
}

// The input as a file: a memfd, read back through /proc/self/fd.
void auth_file(std::string_view text) {
  static int fd = ::memfd_create("registry-fuzz-auth", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    std::abort();
  AuthFile f("/proc/self/fd/" + std::to_string(fd));
  for (const char* host : {"docker.io", "127.0.0.1:5000", "registry.example.com", "localhost:5000", ""})
    (void)f.get(host);
}

void reference(std::string_view text) {
  auto r = Reference::parse(text);
  if (!r.ok()) return;
  auto again = Reference::parse(r->str());
  if (!again.ok() || again->registry != r->registry || again->repository != r->repository ||
      again->tag != r->tag || again->digest != r->digest)
    std::abort();
  (void)r->familiar();
  (void)r->endpoint_host();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  challenges(text);
  base64(text);
  registries(text);
  auth_file(text);
  reference(text);
  return 0;
}
