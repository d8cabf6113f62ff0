// hutch pull, push, login, logout, search: docker's registry commands.
#include <termios.h>
#include <unistd.h>

#include <cstdio>

#include "base/json.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/registry_ui.h"
#include "engine/pull.h"
#include "engine/push.h"
#include "image/archive.h"
#include "registry/auth.h"
#include "registry/client.h"
#include "registry/http.h"
#include "registry/reference.h"

namespace hutch::cli {
namespace {

std::string auth_file(const Global& g) { return registry::AuthFile::default_path(g.config_dir); }

// "127.0.0.1:5000/app" or "https://host/v1/" -> the registry host; empty
// means docker.io.
std::string server_arg(const std::string& s) {
  std::string h = s;
  for (std::string p : {"https://", "http://"})
    if (h.rfind(p, 0) == 0) h = h.substr(p.size());
  if (auto slash = h.find('/'); slash != std::string::npos) h = h.substr(0, slash);
  if (h.empty() || h == "index.docker.io" || h == "registry-1.docker.io") return "docker.io";
  return h;
}

// One line from stdin, unbuffered (nothing past the newline is consumed).
std::string read_line_fd0() {
  std::string line;
  char c;
  while (::read(0, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

std::string read_all_fd0() {
  std::string all;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(0, buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
  return all;
}

std::string read_line(bool echo) {
  struct termios old;
  bool tty = ::isatty(0) && ::tcgetattr(0, &old) == 0;
  if (tty && !echo) {
    struct termios t = old;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(0, TCSANOW, &t);
  }
  std::string line = read_line_fd0();
  if (tty && !echo) {
    ::tcsetattr(0, TCSANOW, &old);
    std::fputs("\n", stderr);
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace

int cmd_pull(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"platform", "", true, false, "Set platform if server is multi-platform capable (os/arch[/variant])"},
      {"quiet", "q", false, false, "Suppress verbose output"},
      {"all-tags", "a", false, false, "Download all tagged images in the repository (not supported: refused)"},
      {"disable-content-trust", "", false, false, "Skip image verification (accepted; hutch has no content trust)"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "pull [OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) {
    std::fprintf(stderr, "\"hutch pull\" requires exactly 1 argument.\nSee 'hutch pull --help'.\n");
    return 125;
  }
  if (p->has("all-tags")) return fail(Error::plain(ENOTSUP, "--all-tags is not supported by hutch pull"), 125);
  engine::PullOptions po;
  po.platform = image::host_platform();
  if (p->has("platform")) {
    auto pl = engine::parse_platform(p->get("platform"));
    if (!pl.ok()) return fail(pl.error(), 125);
    po.platform = *pl;
  }
  auto ref = registry::Reference::parse(p->positional[0]);
  if (!ref.ok()) return fail(ref.error());  // docker: exit 1 for a bad reference
  prepare_network();
  po.auth_file = auth_file(g);
  Progress prog(Progress::detect(p->has("quiet")));
  prog.line((ref->digest.empty() ? ref->tag : ref->digest) + ": Pulling from " + ref->repository);
  po.progress = pull_progress(prog);

  auto r = engine::pull(g.root, p->positional[0], po);
  if (!r.ok()) return fail(r.error());
  prog.line("Digest: " + r->digest);
  auto named = registry::Reference::parse(r->name);
  std::string shown = named.ok() ? named->familiar() : r->name;
  prog.line(std::string("Status: ") + (r->updated ? "Downloaded newer image for " : "Image is up to date for ") + shown);
  print(r->name + "\n");
  return 0;
}

int cmd_push(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"quiet", "q", false, false, "Suppress verbose output"},
      {"compression-format", "", true, false, "Compress layers that need compressing with gzip (default) or zstd"},
      {"chunk-size", "", true, false, "Upload blobs in chunks of this many bytes (default: one request per blob)"},
      {"all-tags", "a", false, false, "Push all tags of an image (not supported: refused)"},
      {"platform", "", true, false, "Push a platform-specific manifest (not supported: refused)"},
      {"disable-content-trust", "", false, false, "Skip image signing (accepted; hutch has no content trust)"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "push [OPTIONS] NAME[:TAG]", "Upload an image to a registry", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) {
    std::fprintf(stderr, "\"hutch push\" requires exactly 1 argument.\nSee 'hutch push --help'.\n");
    return 125;
  }
  if (p->has("all-tags") || p->has("platform"))
    return fail(Error::plain(ENOTSUP, "--all-tags and --platform are not supported by hutch push"), 125);
  engine::PushOptions po;
  po.compression = p->get("compression-format");
  if (!po.compression.empty() && po.compression != "gzip" && po.compression != "zstd")
    return fail(Error::plain(EINVAL, "invalid --compression-format \"" + po.compression + "\": use gzip or zstd"), 125);
  if (p->has("chunk-size")) {
    auto n = parse_uint(p->get("chunk-size"));
    if (!n || *n == 0) return fail(Error::plain(EINVAL, "invalid --chunk-size \"" + p->get("chunk-size") + "\""), 125);
    po.chunk_size = *n;
  }
  auto ref = registry::Reference::parse(p->positional[0]);
  if (!ref.ok()) return fail(ref.error());  // docker: exit 1 for a bad reference
  prepare_network();
  po.auth_file = auth_file(g);
  Progress prog(Progress::detect(p->has("quiet")));
  prog.line("The push refers to repository [" + ref->name() + "]");
  po.progress = push_progress(prog);

  auto r = engine::push(g.root, p->positional[0], po);
  if (!r.ok()) return fail(r.error());
  prog.line(r->tag + ": digest: " + r->digest + " size: " + std::to_string(r->size));
  if (p->has("quiet")) print(r->name + "\n");
  return 0;
}

int cmd_login(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"username", "u", true, false, "Username"},
      {"password", "p", true, false, "Password"},
      {"password-stdin", "", false, false, "Take the password from stdin"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "login [OPTIONS] [SERVER]",
                         "Log in to a registry.\nIf no server is specified, the default is docker.io.", &code);
  if (!p.ok()) return code;
  if (p->positional.size() > 1) {
    std::fprintf(stderr, "\"hutch login\" requires at most 1 argument.\nSee 'hutch login --help'.\n");
    return 125;
  }
  std::string server = server_arg(p->positional.empty() ? "" : p->positional[0]);
  registry::Credentials c;
  c.username = p->get("username");
  if (p->has("password-stdin")) {
    if (p->has("password")) return fail(Error::plain(EINVAL, "--password and --password-stdin are mutually exclusive"), 125);
    if (c.username.empty())
      return fail(Error::plain(EINVAL, "Must provide --username with --password-stdin"), 125);
    std::string all = read_all_fd0();
    while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
    c.password = all;
  } else if (p->has("password")) {
    std::fputs("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n", stderr);
    c.password = p->get("password");
  }
  if (c.username.empty()) {
    if (!::isatty(0)) return fail(Error::plain(EINVAL, "Cannot perform an interactive login from a non TTY device"));
    std::fputs("Username: ", stdout);
    std::fflush(stdout);
    c.username = read_line(true);
  }
  if (c.password.empty()) {
    if (!::isatty(0)) return fail(Error::plain(EINVAL, "Cannot perform an interactive login from a non TTY device"));
    std::fputs("Password: ", stdout);
    std::fflush(stdout);
    c.password = read_line(false);
  }
  if (c.username.empty() || c.password.empty()) return fail(Error::plain(EINVAL, "Error: Non-null Username and Password Required"));
  prepare_network();
  auto ro = registry::RegistryOptions::load();
  if (!ro.ok()) return fail(ro.error());
  registry::Client client(server, *ro, c);
  auto st = client.login();
  if (!st.ok()) return fail(st.error().context("login to " + server));
  registry::AuthFile f(auth_file(g));
  auto put = f.put(server, c);
  if (!put.ok()) return fail(put.error());
  print("Login Succeeded\n");
  return 0;
}

int cmd_logout(const Global& g, const Args& a, size_t start) {
  int code = 0;
  auto p = parse_command(a, start, {}, "logout [SERVER]",
                         "Log out from a registry.\nIf no server is specified, the default is docker.io.", &code);
  if (!p.ok()) return code;
  if (p->positional.size() > 1) {
    std::fprintf(stderr, "\"hutch logout\" requires at most 1 argument.\nSee 'hutch logout --help'.\n");
    return 125;
  }
  std::string server = server_arg(p->positional.empty() ? "" : p->positional[0]);
  registry::AuthFile f(auth_file(g));
  auto r = f.remove(server);
  if (!r.ok()) return fail(r.error());
  if (!*r) {
    print("Not logged in to " + server + "\n");
    return 0;
  }
  print("Removing login credentials for " + server + "\n");
  return 0;
}

int cmd_search(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"limit", "", true, false, "Max number of search results (default 25)"},
      {"no-trunc", "", false, false, "Don't truncate output"},
      {"format", "", true, false, "Pretty-print search using a Go template (not supported yet: refused)"},
      {"filter", "f", true, true, "Filter output based on conditions provided (not supported yet: refused)"},
  };
  int code = 0;
  auto p = parse_command(a, start, opts, "search [OPTIONS] [REGISTRY/]TERM",
                         "Search a registry's catalog for repositories whose name contains TERM", &code);
  if (!p.ok()) return code;
  if (p->positional.size() != 1) {
    std::fprintf(stderr, "\"hutch search\" requires exactly 1 argument.\nSee 'hutch search --help'.\n");
    return 125;
  }
  if (p->has("format") || p->has("filter"))
    return fail(Error::plain(ENOTSUP, "--format and --filter are not supported by hutch search yet"), 125);
  size_t limit = 25;
  if (p->has("limit")) {
    auto n = parse_uint(p->get("limit"));
    if (!n || *n == 0 || *n > 100) return fail(Error::plain(EINVAL, "invalid --limit \"" + p->get("limit") + "\": 1 to 100"), 125);
    limit = *n;
  }
  // "HOST[:PORT]/term": the first part is a registry when it looks like a
  // host (as in image references); else Docker Hub.
  std::string arg = p->positional[0], host = "docker.io", term = arg;
  if (auto slash = arg.find('/'); slash != std::string::npos) {
    std::string first = arg.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost") {
      host = first;
      term = arg.substr(slash + 1);
    }
  }
  if (host == "docker.io")
    return fail(Error::plain(ENOTSUP, "searching Docker Hub is not supported; name a registry: hutch search HOST[:PORT]/" + term));
  prepare_network();
  auto ro = registry::RegistryOptions::load();
  if (!ro.ok()) return fail(ro.error());
  registry::AuthFile f(auth_file(g));
  auto creds = f.get(host);
  if (!creds.ok()) return fail(creds.error());
  registry::Client client(host, *ro, *creds);
  auto repos = client.catalog();
  if (!repos.ok()) return fail(repos.error());
  std::string out = "NAME                                           DESCRIPTION   STARS     OFFICIAL\n";
  size_t n = 0;
  for (const auto& r : *repos) {
    if (r.find(term) == std::string::npos) continue;
    if (n++ >= limit) break;
    std::string name = host + "/" + r;
    if (name.size() < 46) name.resize(46, ' ');
    out += name + " " + std::string(13, ' ') + " 0         \n";
  }
  print(out);
  (void)g;
  return 0;
}

}  // namespace hutch::cli
