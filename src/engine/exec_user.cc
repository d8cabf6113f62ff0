// runc's GetExecUser rules over the image's passwd and group text.
#include "engine/exec_user.h"

#include <sstream>

#include "base/strings.h"

namespace hutch::engine {
namespace {

constexpr int64_t kMaxId = 2147483647;

struct Entry {
  std::string name;
  int64_t id = -1, gid = -1;
  std::string home;
  std::vector<std::string> members;
};

// name:password:uid:gid:gecos:home:shell, or name:password:gid:members.
// Comment and malformed lines are skipped, as libc does.
std::vector<Entry> parse_lines(const std::string& text, bool passwd) {
  std::vector<Entry> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::string_view t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto f = split(t, ':');
    Entry e;
    e.name = f[0];
    if (passwd) {
      if (f.size() < 4) continue;
      auto uid = parse_int(f[2]), gid = parse_int(f[3]);
      if (!uid || !gid) continue;
      e.id = *uid;
      e.gid = *gid;
      if (f.size() > 5) e.home = f[5];
    } else {
      if (f.size() < 3) continue;
      auto gid = parse_int(f[2]);
      if (!gid) continue;
      e.id = *gid;
      if (f.size() > 3 && !f[3].empty()) e.members = split(f[3], ',');
    }
    out.push_back(std::move(e));
  }
  return out;
}

Error range_error() { return Error::plain(EINVAL, "uids and gids must be in range 0-" + std::to_string(kMaxId)); }

}  // namespace

Result<ExecUser> resolve_exec_user(const std::string& spec, const std::optional<std::string>& passwd,
                                   const std::optional<std::string>& group) {
  ExecUser u;
  auto colon = spec.find(':');
  std::string user_arg = spec.substr(0, colon);
  std::string group_arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  auto uid_arg = parse_int(user_arg);
  auto gid_arg = parse_int(group_arg);

  std::string matched;
  std::vector<Entry> users = passwd ? parse_lines(*passwd, true) : std::vector<Entry>{};
  const Entry* found = nullptr;
  for (const auto& e : users) {
    bool match = user_arg.empty() ? e.id == 0 : uid_arg ? e.id == *uid_arg : e.name == user_arg;
    if (match) {
      found = &e;
      break;
    }
  }
  if (found) {
    matched = found->name;
    if (found->id < 0 || found->id > kMaxId || found->gid < 0 || found->gid > kMaxId) return range_error();
    u.uid = static_cast<uint32_t>(found->id);
    u.gid = static_cast<uint32_t>(found->gid);
    u.home = found->home;
  } else if (!user_arg.empty()) {
    if (!uid_arg)
      return Error::plain(ENOENT, "unable to find user " + user_arg + ": no matching entries in passwd file");
    if (*uid_arg < 0 || *uid_arg > kMaxId) return range_error();
    u.uid = static_cast<uint32_t>(*uid_arg);
  }

  if (!group_arg.empty() || !matched.empty()) {
    std::vector<Entry> groups = group ? parse_lines(*group, false) : std::vector<Entry>{};
    if (!group_arg.empty()) {
      const Entry* g = nullptr;
      for (const auto& e : groups)
        if (gid_arg ? e.id == *gid_arg : e.name == group_arg) {
          g = &e;
          break;
        }
      int64_t gid;
      if (g) {
        gid = g->id;
      } else {
        if (!gid_arg)
          return Error::plain(ENOENT, "unable to find group " + group_arg + ": no matching entries in group file");
        gid = *gid_arg;
      }
      if (gid < 0 || gid > kMaxId) return range_error();
      u.gid = static_cast<uint32_t>(gid);
    } else {
      for (const auto& e : groups) {
        bool member = false;
        for (const auto& m : e.members) member = member || m == matched;
        if (member && e.id >= 0 && e.id <= kMaxId) u.sgids.push_back(static_cast<uint32_t>(e.id));
      }
    }
  }
  return u;
}

}  // namespace hutch::engine
