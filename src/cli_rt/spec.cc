#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/args.h"
#include "cli_rt/commands.h"

namespace hutch::cli_rt {
namespace {

// The default bundle config, as `runc spec` writes it.
constexpr const char* kDefaultSpec = R"({
  "ociVersion": "1.0.2",
  "process": {
    "terminal": true,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "hutchrt",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
})";

}  // namespace

int cmd_spec(const Global&, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"bundle", "b", true, false, "path to the root of the bundle directory"},
                               {"rootless", "", false, false, "generate a configuration for a rootless container"}};
  auto p = parse_args(a, start, opts);
  if (!p.ok()) return fail("spec", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt spec [command options]\n\nWrites a default config.json into the bundle.\n\n" + usage_options(opts));
    return 0;
  }
  auto doc = json::parse(kDefaultSpec);
  if (!doc.ok()) return fail("spec", doc.error());
  json_t* root = doc->get();
  if (p->has("rootless")) {
    // Rootless: a user namespace mapping the caller, no network namespace,
    // no cgroup namespace changes, and sysfs bound rather than mounted.
    json_t* lin = json_object_get(root, "linux");
    json_object_del(lin, "resources");
    json_t* nss = json_array();
    for (const char* t : {"pid", "ipc", "uts", "mount", "user"}) {
      json_t* n = json_object();
      json_object_set_new(n, "type", json_string(t));
      json_array_append_new(nss, n);
    }
    json_object_set_new(lin, "namespaces", nss);
    for (const char* k : {"uidMappings", "gidMappings"}) {
      json_t* m = json_object();
      json_object_set_new(m, "containerID", json_integer(0));
      json_object_set_new(m, "hostID", json_integer(k[0] == 'u' ? getuid() : getgid()));
      json_object_set_new(m, "size", json_integer(1));
      json_t* arr = json_array();
      json_array_append_new(arr, m);
      json_object_set_new(lin, k, arr);
    }
    json_t* mounts = json_object_get(root, "mounts");
    size_t i;
    json_t* m;
    json_array_foreach(mounts, i, m) {
      const char* dest = json_string_value(json_object_get(m, "destination"));
      if (std::string(dest) == "/sys") {
        json_object_set_new(m, "type", json_string("none"));
        json_object_set_new(m, "source", json_string("/sys"));
        json_t* o = json_array();
        for (const char* x : {"rbind", "nosuid", "noexec", "nodev", "ro"}) json_array_append_new(o, json_string(x));
        json_object_set_new(m, "options", o);
      }
      if (std::string(dest) == "/dev/pts") {
        json_t* o = json_object_get(m, "options");
        size_t j;
        json_t* x;
        json_array_foreach(o, j, x) {
          if (std::string(json_string_value(x)) == "gid=5") {
            json_array_remove(o, j);
            break;
          }
        }
      }
    }
  }
  std::string bundle = p->get("bundle", ".");
  std::string path = bundle + "/config.json";
  if (fs::exists(path)) return fail("spec", Error(EEXIST, "file \"" + path + "\" already exists"));
  auto st = fs::write_file(path, json::dump(root, 2) + "\n", 0644);
  if (!st.ok()) return fail("spec", st.error());
  return 0;
}

}  // namespace hutch::cli_rt
