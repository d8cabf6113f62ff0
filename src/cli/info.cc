// hutch info: docker's system-wide information (docker/cli's
// command/system/info.go), its "Server:" section from the store and the
// host; --format runs a Go template over docker's Info object.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/format.h"
#include "engine/container_stats.h"
#include "engine/images.h"

#ifndef HUTCH_VERSION
#define HUTCH_VERSION "0.0.0"
#endif

namespace hutch::cli {

namespace {

std::string os_name() {
  auto text = fs::read_file("/etc/os-release");
  if (!text.ok()) text = fs::read_file("/usr/lib/os-release");
  if (!text.ok()) return "Linux";
  for (const auto& line : split(*text, '\n')) {
    if (!starts_with(line, "PRETTY_NAME=")) continue;
    std::string v = line.substr(12);
    if (v.size() >= 2 && (v[0] == '"' || v[0] == '\'')) v = v.substr(1, v.size() - 2);
    return v;
  }
  return "Linux";
}

uint64_t mem_total() {
  auto text = fs::read_file("/proc/meminfo");
  if (!text.ok()) return 0;
  for (const auto& line : split(*text, '\n'))
    if (starts_with(line, "MemTotal:")) return parse_uint(trim(line.substr(9, line.size() - 12))).value_or(0) * 1024;
  return 0;
}

std::string bytes_size(double b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", b, kUnits[u]);
  return buf;
}

}  // namespace

int cmd_info(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"format", "f", true, false, "Format output using a custom template: 'json', or a Go template"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "info [OPTIONS]", "Display system-wide information", &code);
  if (!p.ok()) return code;
  if (!p->positional.empty()) {
    std::fprintf(stderr, "\"hutch info\" accepts no arguments.\nSee 'hutch info --help'.\n");
    return 1;
  }
  auto cs = open_containers(g);
  if (!cs.ok()) return fail(cs.error());
  auto rows = cs->list();
  if (!rows.ok()) return fail(rows.error());
  int64_t running = 0, paused = 0, stopped = 0;
  for (const auto& r : *rows) {
    if (r.status == state::Status::kRunning || r.status == state::Status::kRestarting) ++running;
    else if (r.status == state::Status::kPaused) ++paused;
    else ++stopped;
  }
  engine::Images images(g.root);
  auto imgs = images.list();
  int64_t n_images = imgs.ok() ? static_cast<int64_t>(imgs->size()) : 0;
  auto roots = engine::CgroupRoots::detect();
  std::string cgroup_version = roots.ok() ? std::to_string(roots->version()) : "";
  struct utsname u = {};
  ::uname(&u);
  auto default_rt = engine::Containers::resolve_runtime("");
  std::string default_name = default_rt.ok() ? default_rt->second : "hutchrt";
  std::vector<std::string> runtimes;
  json_t* rt_obj = json_object();
  for (const char* name : {"crun", "hutchrt", "runc"}) {
    auto rt = engine::Containers::resolve_runtime(name);
    if (!rt.ok()) continue;
    runtimes.push_back(name);
    json_object_set_new(rt_obj, name, json_pack("{s:s}", "path", rt->first.c_str()));
  }
  long ncpu = ::sysconf(_SC_NPROCESSORS_ONLN);
  uint64_t mem = mem_total();
  std::string root = fs::absolute(g.root);

  json::Ptr info(json_object());
  json_t* o = info.get();
  auto set_s = [&](const char* k, const std::string& v) { json_object_set_new(o, k, json::str(v)); };
  auto set_i = [&](const char* k, int64_t v) { json_object_set_new(o, k, json_integer(v)); };
  set_s("ID", "");
  set_i("Containers", static_cast<int64_t>(rows->size()));
  set_i("ContainersRunning", running);
  set_i("ContainersPaused", paused);
  set_i("ContainersStopped", stopped);
  set_i("Images", n_images);
  set_s("Driver", "overlay");
  json_object_set_new(o, "DriverStatus", json_array());
  set_s("LoggingDriver", "k8s-file");
  set_s("CgroupDriver", "cgroupfs");
  set_s("CgroupVersion", cgroup_version);
  set_s("KernelVersion", u.release);
  set_s("OperatingSystem", os_name());
  set_s("OSType", "linux");
  set_s("Architecture", u.machine);
  set_i("NCPU", ncpu);
  set_i("MemTotal", static_cast<int64_t>(mem));
  set_s("DockerRootDir", root);
  set_s("Name", u.nodename);
  set_s("ServerVersion", HUTCH_VERSION);
  json_object_set_new(o, "Runtimes", rt_obj);
  set_s("DefaultRuntime", default_name);

  if (p->has("format")) {
    auto f = Formatter::parse(p->get("format"));
    if (!f.ok()) return fail(f.error());
    auto out = f->execute(o);
    if (!out.ok()) return fail(out.error());
    print(*out + "\n");
    return 0;
  }
  std::string s;
  s += "Client:\n Version:    " + std::string(HUTCH_VERSION) + "\n Context:    default\n Debug Mode: " +
       (g.debug ? "true" : "false") + "\n\nServer:\n";
  s += " Containers: " + std::to_string(rows->size()) + "\n";
  s += "  Running: " + std::to_string(running) + "\n";
  s += "  Paused: " + std::to_string(paused) + "\n";
  s += "  Stopped: " + std::to_string(stopped) + "\n";
  s += " Images: " + std::to_string(n_images) + "\n";
  s += " Server Version: " + std::string(HUTCH_VERSION) + "\n";
  s += " Storage Driver: overlay\n";
  s += " Logging Driver: k8s-file\n";
  s += " Cgroup Driver: cgroupfs\n";
  s += " Cgroup Version: " + cgroup_version + "\n";
  s += " Runtimes: " + join(runtimes, " ") + "\n";
  s += " Default Runtime: " + default_name + "\n";
  s += " Kernel Version: " + std::string(u.release) + "\n";
  s += " Operating System: " + os_name() + "\n";
  s += " OSType: linux\n";
  s += " Architecture: " + std::string(u.machine) + "\n";
  s += " CPUs: " + std::to_string(ncpu) + "\n";
  s += " Total Memory: " + bytes_size(static_cast<double>(mem)) + "\n";
  s += " Name: " + std::string(u.nodename) + "\n";
  s += " Docker Root Dir: " + root + "\n";
  s += " Debug Mode: " + std::string(g.debug ? "true" : "false") + "\n";
  print(s);
  return 0;
}

}  // namespace hutch::cli
