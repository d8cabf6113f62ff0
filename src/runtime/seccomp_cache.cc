#include "runtime/seccomp_cache.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"

namespace hutch::runtime::seccomp {

namespace {

constexpr char kMagic[] = "hutch-seccomp-bpf 1\n";

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string versions() {
  std::string out;
  const scmp_version* v = seccomp_version();
  if (v) out += "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  struct utsname u;
  if (::uname(&u) == 0) out += std::string(" kernel ") + u.release + " " + u.machine;
  return out + "\n";
}

}  // namespace

std::string plan_key(const Plan& p) {
  std::string k = versions();
  k += "default " + std::to_string(p.default_action) + "\narch";
  for (uint32_t a : p.architectures) k += " " + std::to_string(a);
  k += "\nflags " + std::to_string(load_flags(p)) + "\n";
  for (const Rule& r : p.rules) {
    k += "rule " + std::to_string(r.number) + " " + std::to_string(r.action);
    for (const Condition& c : r.conditions)
      k += " [" + std::to_string(c.index) + " " + std::to_string(static_cast<int>(c.op)) + " " +
           std::to_string(c.value) + " " + std::to_string(c.value_two) + "]";
    k += "\n";
  }
  return k;
}

Result<Filter> compile_cached(const oci::Seccomp& profile, const std::string& cache_dir) {
  ASSIGN_OR_RETURN(Plan p, plan(profile));
  if (cache_dir.empty() || p.uses_notify || p.wait_killable_recv) return compile(p);
  std::string key = plan_key(p);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(fnv1a(key)));
  std::string path = cache_dir + "/" + name;
  std::string header = std::string(kMagic) + std::to_string(key.size()) + "\n" + key;

  auto stored = fs::read_file(path);
  if (stored.ok() && stored->size() > header.size() && stored->compare(0, header.size(), header) == 0) {
    std::string bpf = stored->substr(header.size());
    if (bpf.size() % sizeof(struct sock_filter) == 0) return Filter(std::move(bpf), load_flags(p));
  }

  ASSIGN_OR_RETURN(Filter compiled, compile(p));
  auto bpf = export_bpf(compiled);
  if (!bpf.ok()) {
    log::debug("seccomp", "not caching the filter: " + bpf.error().message());
    return compiled;
  }
  if (::mkdir(cache_dir.c_str(), 0700) == 0 || errno == EEXIST) {
    std::string tmp = cache_dir + "/.tmp-" + owner_tag() + "-" + name;
    if (fs::write_file(tmp, header + *bpf, 0600).ok() && ::rename(tmp.c_str(), path.c_str()) == 0) {
      log::debug("seccomp", "cached the compiled filter as \"" + path + "\"");
    } else {
      ::unlink(tmp.c_str());
    }
  }
  return Filter(std::move(*bpf), load_flags(p));
}

}  // namespace hutch::runtime::seccomp
