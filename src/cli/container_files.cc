// hutch diff, cp, export, commit: a container's files (engine/container_files.h).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "engine/container_files.h"

namespace hutch::cli {

namespace {

// docker's splitCpArg: an absolute path or one starting with "." is local;
// else "NAME:PATH" names a container.
std::pair<std::string, std::string> split_cp_arg(const std::string& arg) {
  if (!arg.empty() && arg[0] == '/') return {"", arg};
  auto colon = arg.find(':');
  if (colon == std::string::npos || (colon > 0 && arg[0] == '.')) return {"", arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

}  // namespace

int cmd_diff(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "diff CONTAINER", "Inspect changes to files or directories on a container's filesystem",
                         &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) return usage_error("diff", "exactly 1 argument");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  engine::ContainerFiles files(*cs);
  auto changes = files.diff(p->positional[0]);
  if (!changes.ok()) return fail(changes.error());
  std::string out;
  for (const auto& c : *changes) out += std::string(1, c.kind) + " " + c.path + "\n";
  print(out);
  return 0;
}

int cmd_cp(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"archive", "a", false, false, "Archive mode (copy all uid/gid information)"},
                               {"follow-link", "L", false, false, "Always follow symbol link in SRC_PATH"},
                               {"quiet", "q", false, false, "Suppress progress output during copy (accepted; hutch prints none)"}};
  int code = 0;
  auto p = parse_command(a, start, opts,
                         "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\thutch cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
                         "Copy files/folders between a container and the local filesystem\n\n"
                         "Use '-' as the source to read a tar archive from stdin\nand extract it to a directory "
                         "destination in a container.\nUse '-' as the destination to stream a tar archive of a\n"
                         "container source to stdout.\n\nA stopped container's volumes and bind mounts are not "
                         "visible to cp; a running container's are.",
                         &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 2) return usage_error("cp", "exactly 2 arguments");
  auto [src_ctr, src] = split_cp_arg(p->positional[0]);
  auto [dst_ctr, dst] = split_cp_arg(p->positional[1]);
  if (src_ctr.empty() && dst_ctr.empty())
    return fail(Error::plain(EINVAL, "must specify at least one container source"));
  if (!src_ctr.empty() && !dst_ctr.empty())
    return fail(Error::plain(EINVAL, "copying between containers is not supported"));
  if (src.empty() || dst.empty()) return fail(Error::plain(EINVAL, "filepath can not be empty"));
  engine::CopyOptions o;
  o.archive = p->has("archive");
  o.follow_link = p->has("follow-link");
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  engine::ContainerFiles files(*cs);
  if (!src_ctr.empty()) {
    if (dst == "-" && ::isatty(1))
      return fail(Error::plain(EINVAL, "cowardly refusing to write a tar to a terminal. Redirect the output"));
    auto st = files.copy_from(src_ctr, src, dst, 1, o);
    if (!st.ok()) return fail(st.error());
    return 0;
  }
  if (src == "-" && ::isatty(0)) return fail(Error::plain(EINVAL, "requested copy from stdin, but stdin is a terminal"));
  auto st = files.copy_to(dst_ctr, src, 0, dst, o);
  if (!st.ok()) return fail(st.error());
  return 0;
}

int cmd_export(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"output", "o", true, false, "Write to a file, instead of STDOUT"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "export [OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive",
                         &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) return usage_error("export", "exactly 1 argument");
  UniqueFd out(1);
  std::string tmp_path;
  if (p->has("output")) {
    tmp_path = p->get("output") + ".hutch-tmp";
    out.reset(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out) return fail(Error::from_errno("open \"" + tmp_path + "\""));
  } else if (::isatty(1)) {
    out.release();
    return fail(Error::plain(EINVAL, "cowardly refusing to save to a terminal. Use the -o flag or redirect"));
  }
  auto cs = open_containers(g);
  Status st = cs.ok() ? engine::ContainerFiles(*cs).export_tar(p->positional[0], out.get()) : Status(cs.error());
  if (!p->has("output")) out.release();
  if (!st.ok()) {
    if (!tmp_path.empty()) ::unlink(tmp_path.c_str());
    return fail(st.error());
  }
  // The file appears whole or not at all.
  if (!tmp_path.empty() && ::rename(tmp_path.c_str(), p->get("output").c_str()) != 0) {
    ::unlink(tmp_path.c_str());
    return fail(Error::from_errno("rename to \"" + p->get("output") + "\""));
  }
  return 0;
}

int cmd_commit(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"author", "a", true, false, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"},
      {"change", "c", true, true, "Apply Dockerfile instruction to the created image"},
      {"message", "m", true, false, "Commit message"},
      {"pause", "p", false, false, "Pause container during commit (default true; --pause=false to not)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                         "Create a new image from a container's changes", &code);
  if (!p.ok()) return code;
  if (p->positional.empty() || p->positional.size() > 2) return usage_error("commit", "at least 1 and at most 2 arguments");
  engine::CommitOptions o;
  if (p->positional.size() == 2) o.name = p->positional[1];
  o.author = p->get("author");
  o.message = p->get("message");
  o.changes = p->all("change");
  // A boolean that defaults to true: only an explicit "=false" turns it off.
  for (size_t i = start; i < a.size() && a[i] != p->positional[0]; ++i)
    if (a[i] == "--pause=false" || a[i] == "-p=false" || a[i] == "-pause=false") o.pause = false;
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  engine::ContainerFiles files(*cs);
  auto rec = files.commit(p->positional[0], o);
  if (!rec.ok()) return fail(rec.error());
  print(rec->config + "\n");
  return 0;
}

}  // namespace hutch::cli
