#include "cgroup/layout.h"

#include <algorithm>

#include "base/strings.h"
#include "cgroup/internal/files.h"

namespace hutch::cgroup {

bool Hierarchy::has(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

const Hierarchy* Layout::unified() const {
  for (const auto& h : hierarchies)
    if (h.version == 2) return &h;
  return nullptr;
}

const Hierarchy* Layout::find(std::string_view controller) const {
  for (const auto& h : hierarchies)
    if (h.version == 1 && h.has(controller)) return &h;
  const Hierarchy* u = unified();
  return u && u->has(controller) ? u : nullptr;
}

const std::vector<std::string>& known_v1_controllers() {
  static const std::vector<std::string> k = {
      "cpu",  "cpuacct", "cpuset",  "memory",   "devices",    "freezer", "blkio",
      "pids", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma",    "misc"};
  return k;
}

// mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).
static std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto octal = [&](size_t j) { return s[j] >= '0' && s[j] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

static bool under(const std::string& path, const std::string& root) {
  if (root.empty() || root == "/") return true;
  return path == root || (starts_with(path, root) && path[root.size()] == '/');
}

struct Mount {
  std::string fstype, mount, root, super;
};

static std::vector<Mount> cgroup_mounts(std::string_view mountinfo) {
  std::vector<Mount> out;
  for (const auto& line : split(mountinfo, '\n')) {
    std::vector<std::string> f;
    for (auto& w : split(trim(line), ' '))
      if (!w.empty()) f.push_back(std::move(w));
    // "ID PARENT MAJ:MIN ROOT MOUNT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER"
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() < 10 || sep == f.end() || f.end() - sep < 4) continue;
    Mount m{sep[1], unescape(f[4]), unescape(f[3]), sep[3]};
    if (m.fstype == "cgroup" || m.fstype == "cgroup2") out.push_back(std::move(m));
  }
  return out;
}

static Hierarchy v1_hierarchy(const Mount& m) {
  Hierarchy h;
  h.mount = m.mount;
  h.root = m.root;
  const auto& known = known_v1_controllers();
  for (const auto& opt : split(m.super, ',')) {
    if (starts_with(opt, "name="))
      h.name = opt.substr(5);
    else if (std::find(known.begin(), known.end(), opt) != known.end())
      h.controllers.push_back(opt);
  }
  return h;
}

Result<Layout> detect_layout(std::string_view mountinfo, const std::string& root) {
  auto mounts = cgroup_mounts(mountinfo);
  std::stable_partition(mounts.begin(), mounts.end(),
                        [&](const Mount& m) { return under(m.mount, root); });
  Layout layout;
  const Mount* unified = nullptr;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup2") {
      if (!unified) unified = &m;
      continue;
    }
    Hierarchy h = v1_hierarchy(m);
    // Only the systemd named hierarchy is joined, as runc does.
    if (h.controllers.empty() && h.name != "systemd") continue;
    bool dup = false;
    for (const auto& seen : layout.hierarchies)
      dup = dup || (seen.controllers == h.controllers && seen.name == h.name);
    // A controller can be in one hierarchy only, so any repeat is a bind mount.
    for (const auto& c : h.controllers) dup = dup || layout.find(c);
    if (!dup) layout.hierarchies.push_back(std::move(h));
  }
  if (unified) {
    Hierarchy h;
    h.version = 2;
    h.mount = unified->mount;
    h.root = unified->root;
    auto text = read_file(h.mount, "cgroup.controllers");
    if (!text.ok()) return std::move(text).error().context("read the cgroup v2 controllers");
    for (auto& c : split(*text, ' '))
      if (!c.empty() && !layout.find(c)) h.controllers.push_back(std::move(c));
    layout.hierarchies.push_back(std::move(h));
  }
  if (layout.hierarchies.empty()) return Error(ENOENT, "no cgroup file system is mounted");
  return layout;
}

std::map<std::string, std::string> parse_self_cgroup(std::string_view text) {
  std::map<std::string, std::string> out;
  for (const auto& line : split(text, '\n')) {
    auto a = line.find(':');
    if (a == std::string::npos) continue;
    auto b = line.find(':', a + 1);
    if (b == std::string::npos) continue;
    out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
  }
  return out;
}

Result<std::vector<std::string>> path_components(std::string_view path) {
  std::vector<std::string> out;
  for (auto& p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..")
      return Error(EINVAL, "cgroups path \"" + std::string(path) +
                               "\": \"..\" is not allowed; give a path without it");
    out.push_back(std::move(p));
  }
  return out;
}

// The caller's own group in `h`, relative to the hierarchy's mount.
static Result<std::string> own_group(const Hierarchy& h,
                                     const std::map<std::string, std::string>& self) {
  for (const auto& [key, path] : self) {
    bool match = false;
    if (h.version == 2)
      match = key.empty();
    else if (!h.name.empty())
      match = key == "name=" + h.name;
    else
      for (const auto& c : split(key, ',')) match = match || h.has(c);
    if (!match) continue;
    // Inside a cgroup namespace the mount's root is where the caller's path
    // starts; strip it as runc does so the path is relative to the mount.
    if (h.root != "/" && starts_with(path, h.root)) return path.substr(h.root.size());
    return path;
  }
  std::string what = h.version == 2   ? "the unified hierarchy"
                     : h.name.empty() ? "controller \"" + h.controllers.front() + "\""
                                      : "hierarchy \"name=" + h.name + "\"";
  return Error(ENOENT, "no entry for " + what + " in /proc/self/cgroup");
}

Result<std::string> group_dir(const Hierarchy& h, std::string_view cgroups_path,
                              const std::map<std::string, std::string>& self) {
  ASSIGN_OR_RETURN(auto parts, path_components(cgroups_path));
  if (cgroups_path.empty() || cgroups_path[0] != '/') {
    ASSIGN_OR_RETURN(std::string own, own_group(h, self));
    ASSIGN_OR_RETURN(auto own_parts, path_components(own));
    parts.insert(parts.begin(), own_parts.begin(), own_parts.end());
  }
  std::string dir = h.mount;
  for (const auto& p : parts) dir += "/" + p;
  return dir;
}

}  // namespace hutch::cgroup
