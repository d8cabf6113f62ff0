// Manager::plan and Manager::from_json: where a container's groups go.
#include "cgroup/manager.h"

#include "base/fs.h"
#include "cgroup/internal/group.h"
#include "cgroup/layout.h"

namespace hutch::cgroup {

static Result<std::string> resolve(const std::string& cgroups_path, const std::string& id) {
  if (!cgroups_path.empty()) {
    ASSIGN_OR_RETURN(auto parts, path_components(cgroups_path));
    if (parts.empty())
      return Error(EINVAL, "cgroups path \"" + cgroups_path +
                               "\" names an existing group, not a new one; give a path below it");
    return cgroups_path;
  }
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos)
    return Error(EINVAL, "container id \"" + id + "\" cannot name a cgroup");
  return "/hutch/" + id;
}

Result<std::unique_ptr<Manager>> Manager::plan(const std::string& cgroups_path,
                                               const std::string& id, const Options& opts) {
  ASSIGN_OR_RETURN(std::string path, resolve(cgroups_path, id));
  std::string mountinfo = opts.mountinfo;
  if (mountinfo.empty()) {
    ASSIGN_OR_RETURN(mountinfo, fs::read_file("/proc/self/mountinfo"));
  }
  ASSIGN_OR_RETURN(Layout layout, detect_layout(mountinfo, opts.root));
  std::map<std::string, std::string> self;
  if (path[0] != '/') {
    std::string text = opts.self_cgroup;
    if (text.empty()) {
      ASSIGN_OR_RETURN(text, fs::read_file("/proc/self/cgroup"));
    }
    self = parse_self_cgroup(text);
  }
  std::vector<Dir> dirs;
  for (const auto& h : layout.hierarchies) {
    Dir d;
    d.version = h.version;
    d.mount = h.mount;
    d.controllers = h.controllers;
    d.name = h.name;
    ASSIGN_OR_RETURN(d.path, group_dir(h, path, self));
    dirs.push_back(std::move(d));
  }
  return std::unique_ptr<Manager>(new Group(std::move(dirs)));
}

Result<std::unique_ptr<Manager>> Manager::from_json(const json_t* saved) {
  auto dirs = dirs_from_json(saved);
  if (!dirs.ok()) return std::move(dirs).error().context("saved cgroup state");
  return std::unique_ptr<Manager>(new Group(std::move(*dirs)));
}

}  // namespace hutch::cgroup
