#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "engine/image_list.h"
#include "engine/images.h"
#include "registry/reference.h"

namespace hutch::cli {

int cmd_load(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"input", "i", true, false, "Read from tar archive file, instead of STDIN"},
                               {"quiet", "q", false, false, "Suppress the load output"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "load [OPTIONS]",
                         "Load an image from a tar archive (docker-archive or oci-archive, optionally gzip or zstd "
                         "compressed) or STDIN",
                         &code);
  if (!p.ok()) return code;
  UniqueFd in(0);
  if (p->has("input")) {
    in.reset(::open(p->get("input").c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return fail(Error::from_errno("open \"" + p->get("input") + "\""));
  } else if (::isatty(0)) {
    return fail(Error::plain(EINVAL, "requested load from stdin, but stdin is empty"));
  }
  engine::Images images(g.root);
  auto loaded = images.load(in.get());
  if (!p->has("input")) in.release();
  if (!loaded.ok()) return fail(loaded.error());
  if (!p->has("quiet")) {
    for (const auto& r : *loaded) {
      if (r.names.empty()) print("Loaded image ID: " + r.config + "\n");
      for (const auto& n : r.names) {
        auto ref = registry::Reference::parse(n);
        print("Loaded image: " + (ref.ok() ? ref->familiar() : n) + "\n");
      }
    }
  }
  return 0;
}

int cmd_save(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"output", "o", true, false, "Write to a file, instead of STDOUT"},
                               {"format", "", true, false, "Archive format: docker-archive (default) or oci-archive"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "save [OPTIONS] IMAGE [IMAGE...]",
                         "Save one or more images to a tar archive (streamed to STDOUT by default)", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) {
    std::fprintf(stderr, "\"hutch save\" requires at least 1 argument.\nSee 'hutch save --help'.\n");
    return 125;
  }
  std::string fmt = p->get("format", "docker-archive");
  if (fmt != "docker-archive" && fmt != "oci-archive")
    return fail(Error::plain(EINVAL, "--format: unknown format \"" + fmt + "\" (docker-archive or oci-archive)"), 125);
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
  engine::Images images(g.root);
  auto st = images.save(p->positional,
                        fmt == "oci-archive" ? image::ArchiveFormat::kOci : image::ArchiveFormat::kDocker, out.get());
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

int cmd_import(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"change", "c", true, true, "Apply Dockerfile instruction to the created image"},
                               {"message", "m", true, false, "Set commit message for imported image"},
                               {"platform", "", true, false, "Set platform (only this host's is supported)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "import [OPTIONS] file|- [REPOSITORY[:TAG]]",
                         "Import the contents from a tarball to create a filesystem image", &code);
  if (!p.ok()) return code;
  if (p->positional.empty() || p->positional.size() > 2) {
    std::fprintf(stderr, "\"hutch import\" requires 1 or 2 arguments.\nSee 'hutch import --help'.\n");
    return 125;
  }
  if (p->has("platform")) {
    auto host = image::host_platform();
    if (p->get("platform") != "linux/" + host.architecture)
      return fail(Error::plain(ENOTSUP, "--platform: only linux/" + host.architecture + " (this host) is supported"), 125);
  }
  UniqueFd in(0);
  const std::string& src = p->positional[0];
  if (src != "-") {
    if (src.find("://") != std::string::npos)
      return fail(Error::plain(ENOTSUP, "importing from a URL is not supported; download the file first"), 125);
    in.reset(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return fail(Error::from_errno("open \"" + src + "\""));
  }
  engine::Images images(g.root);
  auto rec = images.import(in.get(), p->positional.size() == 2 ? p->positional[1] : "", p->all("change"),
                           p->get("message"));
  if (src == "-") in.release();
  if (!rec.ok()) return fail(rec.error());
  print(rec->config + "\n");
  return 0;
}

int cmd_image_history(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"format", "", true, false, "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template"},
      {"human", "H", false, false, "Print sizes and dates in human readable format (default true)"},
      {"no-trunc", "", false, false, "Don't truncate output"},
      {"quiet", "q", false, false, "Only show image IDs"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "image history [OPTIONS] IMAGE", "Show the history of an image", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) {
    std::fprintf(stderr, "\"hutch image history\" requires exactly 1 argument.\nSee 'hutch image history --help'.\n");
    return 125;
  }
  // docker's NewHistoryFormat (formatter/history.go).
  std::string format = p->get("format", "table");
  if (format == "table")
    format = p->has("quiet") ? "{{.ID}}" : "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}";
  auto fmt = Formatter::parse(format);
  if (!fmt.ok()) return fail(fmt.error());
  engine::Images images(g.root);
  auto rows = images.history(p->positional[0]);
  if (!rows.ok()) return fail(rows.error());
  bool trunc = !p->has("no-trunc");
  int64_t now = static_cast<int64_t>(::time(nullptr));
  for (const auto& r : *rows) {
    int64_t created = engine::parse_rfc3339(r.created).value_or(0);
    std::string by = r.created_by;
    std::replace(by.begin(), by.end(), '\t', ' ');
    // docker's Ellipsis(s, 45): 44 characters and "…".
    if (trunc && by.size() > 45) {
      size_t cut = 44;
      while (cut > 0 && (static_cast<unsigned char>(by[cut]) & 0xC0) == 0x80) --cut;
      by = by.substr(0, cut) + "\u2026";
    }
    char at[64];
    time_t t = static_cast<time_t>(created);
    struct tm tm;
    std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S%z", ::localtime_r(&t, &tm));
    std::string rfc3339 = at;
    // strftime's "+0000" as RFC 3339's "Z" or "+00:00".
    if (rfc3339.size() >= 5) {
      std::string zone = rfc3339.substr(rfc3339.size() - 5);
      rfc3339.resize(rfc3339.size() - 5);
      rfc3339 += zone == "+0000" ? "Z" : zone.substr(0, 3) + ":" + zone.substr(3);
    }
    json::Ptr row(json_object());
    auto set = [&](const char* k, const std::string& v) { json_object_set_new(row.get(), k, json::str(v)); };
    set("Comment", r.comment);
    set("CreatedAt", rfc3339);
    set("CreatedBy", by);
    set("CreatedSince", human_duration(now - created) + " ago");
    set("ID", r.id == "<missing>" || !trunc ? r.id : truncate_id(r.id));
    set("Size", human_size(static_cast<double>(r.size), 3));
    auto st = fmt->add(row.get());
    if (!st.ok()) return fail(st.error());
  }
  json::Ptr header(json_object());
  for (const auto& [k, v] : {std::pair<const char*, const char*>{"Comment", "COMMENT"}, {"CreatedAt", "CREATED AT"},
                             {"CreatedBy", "CREATED BY"}, {"CreatedSince", "CREATED"}, {"ID", "IMAGE"}, {"Size", "SIZE"}})
    json_object_set_new(header.get(), k, json::str(v));
  print(fmt->finish(header.get()));
  return 0;
}

int cmd_image_prune(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"all", "a", false, false, "Remove all unused images, not just dangling ones"},
                               {"force", "f", false, false, "Do not prompt for confirmation"},
                               {"filter", "", true, true, "Provide filter values (not supported yet: refused)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "image prune [OPTIONS]", "Remove unused images", &code);
  if (!p.ok()) return code;
  if (p->has("filter")) return fail(Error::plain(ENOTSUP, "--filter is not supported by hutch image prune yet"), 125);
  if (!p->has("force") && ::isatty(0)) {
    std::fputs(p->has("all") ? "WARNING! This will remove all images without at least one container associated to them.\n"
                             : "WARNING! This will remove all dangling images.\n",
               stdout);
    std::fputs("Are you sure you want to continue? [y/N] ", stdout);
    std::fflush(stdout);
    char answer[16] = {};
    if (!std::fgets(answer, sizeof answer, stdin) || (answer[0] != 'y' && answer[0] != 'Y')) return 0;
  }
  engine::Images images(g.root);
  uint64_t freed = 0;
  auto lines = images.prune(p->has("all"), &freed);
  if (!lines.ok()) return fail(lines.error());
  std::string out;
  if (!lines->empty()) {
    out = "Deleted Images:\n";
    for (const auto& l : *lines) out += l + "\n";
    out += "\n";
  }
  out += "Total reclaimed space: " + human_size(static_cast<double>(freed), 3) + "\n";
  print(out);
  return 0;
}

int cmd_tag(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                         "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 2) {
    std::fprintf(stderr, "\"hutch tag\" requires exactly 2 arguments.\nSee 'hutch tag --help'.\n");
    return 125;
  }
  engine::Images images(g.root);
  auto st = images.tag(p->positional[0], p->positional[1]);
  if (!st.ok()) return fail(st.error());
  return 0;
}

int cmd_rmi(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"force", "f", false, false, "Force removal of the image"},
                               {"no-prune", "", false, false, "Do not delete untagged parents (accepted; no parents)"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "rmi [OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) {
    std::fprintf(stderr, "\"hutch rmi\" requires at least 1 argument.\nSee 'hutch rmi --help'.\n");
    return 125;
  }
  engine::Images images(g.root);
  int rc = 0;
  for (const auto& name : p->positional) {
    auto lines = images.remove(name, p->has("force"));
    if (!lines.ok()) {
      rc = fail(lines.error());
      continue;
    }
    for (const auto& l : *lines) print(l + "\n");
  }
  return rc;
}

int cmd_history(const Global& g, const Args& a, size_t start) { return cmd_image_history(g, a, start); }

int cmd_image(const Global& g, const Args& a, size_t start) {
  if (start < a.size()) {
    const std::string& sub = a[start];
    if (sub == "inspect") return cmd_image_inspect(g, a, start + 1);
    if (sub == "ls" || sub == "list") return cmd_images(g, a, start + 1);
    if (sub == "rm") return cmd_rmi(g, a, start + 1);
    if (sub == "tag") return cmd_tag(g, a, start + 1);
    if (sub == "load") return cmd_load(g, a, start + 1);
    if (sub == "save") return cmd_save(g, a, start + 1);
    if (sub == "import") return cmd_import(g, a, start + 1);
    if (sub == "history") return cmd_image_history(g, a, start + 1);
    if (sub == "prune") return cmd_image_prune(g, a, start + 1);
    if (sub != "--help" && sub != "-h") {
      std::fprintf(stderr, "hutch: 'image %s' is not a hutch command.\nSee 'hutch image --help'\n", sub.c_str());
      return 1;
    }
  }
  print("\nUsage:  hutch image COMMAND\n\nManage images\n\nCommands:\n  history     Show the history of an image\n  import      Import the contents from a tarball to create a filesystem image\n  inspect     Display detailed information on one "
        "or more images\n  load        Load an image from a tar archive or STDIN\n  ls          List images\n  prune       Remove unused images\n  rm  "
        "        Remove one or more images\n  save        Save one or more images to a tar archive\n  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n");
  return 0;
}

}  // namespace hutch::cli
