// hutch manifest: docker's command group for manifest lists (create,
// annotate, inspect, rm, push), built from local images as podman does
// (engine/manifest_list.h).

#include <cstdio>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/registry_ui.h"
#include "engine/manifest_list.h"
#include "registry/auth.h"
#include "registry/http.h"
#include "registry/reference.h"

namespace hutch::cli {
namespace {

// parse_command names the command from the word before `start` in its
// "See 'hutch X --help'" line: make that word "manifest SUB".
Args with_group(const Args& a, size_t start) {
  Args out = a;
  out[start - 1] = "manifest " + out[start - 1];
  return out;
}

int need_args(const char* sub, size_t have, size_t min, size_t max) {
  if (have >= min && have <= max) return 0;
  std::string want = min == max ? "exactly " + std::to_string(min) : max == SIZE_MAX ? "at least " + std::to_string(min)
                                                                                     : "at most " + std::to_string(max);
  std::fprintf(stderr, "\"hutch manifest %s\" requires %s argument%s.\nSee 'hutch manifest %s --help'.\n", sub,
               want.c_str(), (min == max ? min : max == SIZE_MAX ? min : max) == 1 ? "" : "s", sub);
  return 125;
}

std::string familiar(const std::string& name) {
  auto r = registry::Reference::parse(name);
  return r.ok() ? r->familiar() : name;
}

int cmd_manifest_create(const Global& g, const Args& a0, size_t start) {
  Args a = with_group(a0, start);
  std::vector<OptSpec> opts = {
      {"amend", "a", false, false, "Amend an existing manifest list"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "manifest create [OPTIONS] MANIFEST_LIST MANIFEST [MANIFEST...]",
                         "Create a local manifest list for annotating and pushing to a registry.\n"
                         "Each MANIFEST is a local image (name or ID); its entry in the list is its manifest\n"
                         "and the platform its config states. A list holds one image per platform; with\n"
                         "--amend, an image replaces the list's entry for its platform.",
                         &code);
  if (!p.ok()) return code;
  if (int rc = need_args("create", p->positional.size(), 2, SIZE_MAX)) return rc;
  std::vector<std::string> images(p->positional.begin() + 1, p->positional.end());
  auto r = engine::manifest_create(g.root, p->positional[0], images, p->has("amend"));
  if (!r.ok()) return fail(r.error());
  print("Created manifest list " + r->name + "\n");
  return 0;
}

int cmd_manifest_annotate(const Global& g, const Args& a0, size_t start) {
  Args a = with_group(a0, start);
  std::vector<OptSpec> opts = {
      {"os", "", true, false, "Set operating system"},
      {"arch", "", true, false, "Set architecture"},
      {"variant", "", true, false, "Set architecture variant"},
      {"os-version", "", true, false, "Set operating system version"},
      {"os-features", "", true, true, "Set operating system feature (comma-separated, repeatable)"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "manifest annotate [OPTIONS] MANIFEST_LIST MANIFEST",
                         "Add additional information to a local image manifest.\n"
                         "MANIFEST is a local image in the list, or the digest of one of its manifests.",
                         &code);
  if (!p.ok()) return code;
  if (int rc = need_args("annotate", p->positional.size(), 2, 2)) return rc;
  engine::PlatformChange c;
  if (p->has("os")) c.os = p->get("os");
  if (p->has("arch")) c.architecture = p->get("arch");
  if (p->has("variant")) c.variant = p->get("variant");
  if (p->has("os-version")) c.os_version = p->get("os-version");
  if (p->has("os-features")) {
    std::vector<std::string> features;
    for (const auto& v : p->all("os-features"))
      for (const auto& f : split(v, ','))
        if (!f.empty()) features.push_back(f);
    c.os_features = features;
  }
  auto st = engine::manifest_annotate(g.root, p->positional[0], p->positional[1], c);
  if (!st.ok()) return fail(st.error());
  return 0;
}

int cmd_manifest_inspect(const Global& g, const Args& a0, size_t start) {
  Args a = with_group(a0, start);
  std::vector<OptSpec> opts = {
      {"verbose", "v", false, false, "Output additional info (accepted; the index is printed as stored)"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "manifest inspect [OPTIONS] MANIFEST_LIST",
                         "Display a local manifest list (its OCI image index)", &code);
  if (!p.ok()) return code;
  if (int rc = need_args("inspect", p->positional.size(), 1, 1)) return rc;
  auto r = engine::manifest_inspect(g.root, p->positional[0]);
  if (!r.ok()) return fail(r.error());
  print(*r + "\n");
  return 0;
}

int cmd_manifest_rm(const Global& g, const Args& a0, size_t start) {
  Args a = with_group(a0, start);
  int code = 0;
  auto p = parse_command(a, start, {}, "manifest rm MANIFEST_LIST [MANIFEST_LIST...]",
                         "Delete one or more manifest lists from local storage", &code);
  if (!p.ok()) return code;
  if (int rc = need_args("rm", p->positional.size(), 1, SIZE_MAX)) return rc;
  int rc = 0;
  for (const auto& name : p->positional) {
    auto r = engine::manifest_remove(g.root, name);
    if (!r.ok()) rc = fail(r.error());
  }
  return rc;
}

int cmd_manifest_push(const Global& g, const Args& a0, size_t start) {
  Args a = with_group(a0, start);
  std::vector<OptSpec> opts = {
      {"purge", "p", false, false, "Remove the local manifest list after push"},
      {"quiet", "q", false, false, "Print only the index digest"},
      {"compression-format", "", true, false, "Compress layers that need compressing with gzip (default) or zstd"},
      {"chunk-size", "", true, false, "Upload blobs in chunks of this many bytes (default: one request per blob)"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "manifest push [OPTIONS] MANIFEST_LIST [DESTINATION]",
                         "Push a manifest list to a repository.\n"
                         "Every image of the list goes to DESTINATION's repository (default: the list's name)\n"
                         "by digest, then the list, as an OCI image index, under DESTINATION's tag. The\n"
                         "index's digest is printed last.",
                         &code);
  if (!p.ok()) return code;
  if (int rc = need_args("push", p->positional.size(), 1, 2)) return rc;
  engine::ManifestPushOptions mo;
  mo.purge = p->has("purge");
  mo.push.compression = p->get("compression-format");
  if (!mo.push.compression.empty() && mo.push.compression != "gzip" && mo.push.compression != "zstd")
    return fail(Error::plain(EINVAL, "invalid --compression-format \"" + mo.push.compression + "\": use gzip or zstd"),
                125);
  if (p->has("chunk-size")) {
    auto n = parse_uint(p->get("chunk-size"));
    if (!n || *n == 0) return fail(Error::plain(EINVAL, "invalid --chunk-size \"" + p->get("chunk-size") + "\""), 125);
    mo.push.chunk_size = *n;
  }
  std::string dest = p->positional.size() > 1 ? p->positional[1] : p->positional[0];
  auto ref = registry::Reference::parse(dest);
  if (!ref.ok()) return fail(ref.error(), 125);
  if (!ref->digest.empty())
    return fail(Error::plain(EINVAL, "cannot push to \"" + dest + "\": push a tag, not a digest reference"), 125);
  // A registry that closes a connection mid-write must not kill us.
  prepare_network();
  mo.push.auth_file = registry::AuthFile::default_path(g.config_dir);
  Progress prog(Progress::detect(p->has("quiet")));
  prog.line("The push refers to repository [" + ref->name() + "]");
  mo.push.progress = push_progress(prog);

  mo.on_image = [&](const oci::Descriptor& d) {
    std::string plat = d.platform ? engine::platform_text(*d.platform) : "unknown";
    prog.line("Pushed ref " + ref->name() + "@" + d.digest + " with digest: " + d.digest + " (" + plat + ")");
  };
  auto r = engine::manifest_push(g.root, p->positional[0], p->positional.size() > 1 ? p->positional[1] : "", mo);
  if (!r.ok()) return fail(r.error());
  prog.line(ref->tag + ": digest: " + r->digest + " size: " + std::to_string(r->size));
  if (mo.purge) prog.line("Removed manifest list " + familiar(p->positional[0]));
  print(r->digest + "\n");
  return 0;
}

const char kManifestHelp[] =
    "\nUsage:  hutch manifest COMMAND\n\n"
    "Manage manifest lists: multi-platform images made of local images, pushed as an OCI image index.\n\n"
    "Commands:\n"
    "  annotate    Add additional information to a local image manifest\n"
    "  create      Create a local manifest list for annotating and pushing to a registry\n"
    "  inspect     Display a local manifest list\n"
    "  push        Push a manifest list to a repository\n"
    "  rm          Delete one or more manifest lists from local storage\n\n"
    "Run 'hutch manifest COMMAND --help' for more information on a command.\n";

}  // namespace

int cmd_manifest(const Global& g, const Args& a, size_t start) {
  if (start < a.size()) {
    const std::string& sub = a[start];
    if (sub == "create") return cmd_manifest_create(g, a, start + 1);
    if (sub == "annotate") return cmd_manifest_annotate(g, a, start + 1);
    if (sub == "inspect") return cmd_manifest_inspect(g, a, start + 1);
    if (sub == "rm") return cmd_manifest_rm(g, a, start + 1);
    if (sub == "push") return cmd_manifest_push(g, a, start + 1);
    if (sub != "--help" && sub != "-h") {
      std::fprintf(stderr, "hutch: 'manifest %s' is not a hutch command.\nSee 'hutch manifest --help'\n", sub.c_str());
      return 1;
    }
    print(kManifestHelp);
    return 0;
  }
  // As docker: the group alone prints its help on stderr.
  std::fputs(kManifestHelp, stderr);
  return 0;
}

}  // namespace hutch::cli
