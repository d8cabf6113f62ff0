#include "base/json.h"
#include "base/args.h"
#include "cli_rt/commands.h"
#include "runtime/capabilities.h"

namespace hutch::cli_rt {
namespace {

json_t* strings(std::initializer_list<const char*> xs) {
  json_t* a = json_array();
  for (const char* x : xs) json_array_append_new(a, json_string(x));
  return a;
}

}  // namespace

int cmd_features(const Global&, const Args& a, size_t start) {
  auto p = parse_args(a, start, {});
  if (!p.ok()) return fail("features", p.error());
  if (p->has("help")) {
    print("Usage: hutchrt features\n\nShows the features of this runtime (OCI runtime-spec features.md).\n");
    return 0;
  }
  json::Ptr f(json_object());
  json_object_set_new(f.get(), "ociVersionMin", json_string("1.0.0"));
  json_object_set_new(f.get(), "ociVersionMax", json_string("1.2.0"));
  json_object_set_new(f.get(), "hooks", strings({"prestart", "createRuntime", "createContainer", "startContainer",
                                                 "poststart", "poststop"}));
  json_object_set_new(
      f.get(), "mountOptions",
      strings({"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime",
               "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand",
               "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev",
               "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec",
               "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro",
               "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared",
               "silent", "slave", "strictatime", "suid", "symfollow", "sync", "unbindable"}));
  json_t* lin = json_object();
  json_object_set_new(lin, "namespaces", strings({"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}));
  json_t* caps = json_array();
  for (int c = 0; c <= runtime::last_capability(); ++c) json_array_append_new(caps, json_string(runtime::capability_name(c)));
  json_object_set_new(lin, "capabilities", caps);
  json_t* cg = json_object();
  json_object_set_new(cg, "v1", json_true());
  json_object_set_new(cg, "v2", json_true());
  json_object_set_new(cg, "systemd", json_false());
  json_object_set_new(cg, "systemdUser", json_false());
  json_object_set_new(cg, "rdma", json_true());
  json_object_set_new(lin, "cgroup", cg);
  json_t* sc = json_object();
  json_object_set_new(sc, "enabled", json_true());
  json_object_set_new(sc, "actions", strings({"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                              "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
                                              "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}));
  json_object_set_new(sc, "operators", strings({"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
                                                "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}));
  json_object_set_new(sc, "archs", strings({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
                                            "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
                                            "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
                                            "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",
                                            "SCMP_ARCH_S390X", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"}));
  json_object_set_new(sc, "knownFlags", strings({"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                 "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                                 "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}));
  json_object_set_new(sc, "supportedFlags", strings({"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                     "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}));
  json_object_set_new(lin, "seccomp", sc);
  for (const char* k : {"apparmor", "selinux", "intelRdt"}) {
    json_t* e = json_object();
    json_object_set_new(e, "enabled", json_false());
    json_object_set_new(lin, k, e);
  }
  json_t* me = json_object();
  json_t* idmap = json_object();
  json_object_set_new(idmap, "enabled", json_false());
  json_object_set_new(me, "idmap", idmap);
  json_object_set_new(lin, "mountExtensions", me);
  json_object_set_new(f.get(), "linux", lin);
  json_t* ann = json_object();
  json_object_set_new(ann, "org.opencontainers.runc.checkpoint.enabled", json_string("false"));
  json_object_set_new(ann, "io.github.hutch.version", json_string(HUTCH_VERSION));
  json_object_set_new(f.get(), "annotations", ann);
  print(json::dump(f.get(), 4) + "\n");
  return 0;
}

}  // namespace hutch::cli_rt
