// Parsing and validation of config.json into oci::Spec.
#include <sys/resource.h>

#include <set>

#include "base/json.h"
#include "oci/internal_walker.h"
#include "oci/spec.h"

namespace hutch::oci {
namespace {

using internal::Walker;

struct RlimitName {
  const char* name;
  int resource;
};
constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

Status check_absolute(const Walker& w, const std::string& p) {
  if (p.empty() || p[0] != '/') return w.fail("must be an absolute path, got \"" + p + "\"");
  return {};
}

Status parse_caps(const Walker& w, Capabilities& caps) {
  TRY(w.expect_object());
  TRY(w.opt("bounding", caps.bounding));
  TRY(w.opt("effective", caps.effective));
  TRY(w.opt("inheritable", caps.inheritable));
  TRY(w.opt("permitted", caps.permitted));
  TRY(w.opt("ambient", caps.ambient));
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
    Walker s = w.member(set);
    for (size_t i = 0; i < s.size(); ++i) {
      const char* v = json_string_value(json_array_get(s.node(), i));
      if (!v || std::string_view(v).substr(0, 4) != "CAP_")
        return s.element(i).fail("unknown capability \"" + std::string(v ? v : "") + "\"");
    }
  }
  return {};
}

Status parse_user(const Walker& w, User& u) {
  TRY(w.expect_object());
  std::optional<uint32_t> uid, gid;
  TRY(w.opt("uid", uid));
  TRY(w.opt("gid", gid));
  u.uid = uid.value_or(0);
  u.gid = gid.value_or(0);
  TRY(w.opt("umask", u.umask));
  if (u.umask && *u.umask > 0777) return w.member("umask").fail("must be at most 0777");
  Walker g = w.member("additionalGids");
  if (!g.is_null()) {
    TRY(g.expect_array());
    for (size_t i = 0; i < g.size(); ++i) {
      ASSIGN_OR_RETURN(uint32_t v, g.element(i).uint32());
      u.additional_gids.push_back(v);
    }
  }
  if (!w.member("username").is_null()) {
    // Windows only; a string is harmless, anything else is refused.
    TRY(w.member("username").str().ok() ? Status{} : w.member("username").fail("expected a string"));
  }
  return {};
}

Result<Process> parse_process_w(const Walker& w) {
  Process p;
  TRY(w.expect_object());
  TRY(w.opt("terminal", p.terminal));
  Walker cs = w.member("consoleSize");
  if (!cs.is_null()) {
    TRY(cs.expect_object());
    std::optional<uint32_t> h, wd;
    TRY(cs.opt("height", h));
    TRY(cs.opt("width", wd));
    p.console_size = ConsoleSize{h.value_or(0), wd.value_or(0)};
  }
  Walker u = w.member("user");
  if (!u.is_null()) TRY(parse_user(u, p.user));
  TRY(w.opt("args", p.args));
  TRY(w.opt("commandLine", p.command_line));
  if (!p.command_line.empty()) return w.member("commandLine").fail("is for Windows only");
  TRY(w.opt("env", p.env));
  for (size_t i = 0; i < p.env.size(); ++i) {
    if (p.env[i].find('=') == std::string::npos)
      return w.member("env").element(i).fail("expected KEY=VALUE, got \"" + p.env[i] + "\"");
  }
  TRY(w.opt("cwd", p.cwd));
  TRY(check_absolute(w.member("cwd"), p.cwd));
  Walker c = w.member("capabilities");
  if (!c.is_null()) {
    Capabilities caps;
    TRY(parse_caps(c, caps));
    p.capabilities = std::move(caps);
  }
  Walker rl = w.member("rlimits");
  if (!rl.is_null()) {
    TRY(rl.expect_array());
    std::set<int> seen;
    for (size_t i = 0; i < rl.size(); ++i) {
      Walker e = rl.element(i);
      TRY(e.expect_object());
      Rlimit r;
      ASSIGN_OR_RETURN(r.type, e.member("type").str());
      bool known = false;
      for (const auto& n : kRlimits)
        if (r.type == n.name) {
          r.resource = n.resource;
          known = true;
        }
      if (!known) return e.member("type").fail("unknown value \"" + r.type + "\"");
      if (!seen.insert(r.resource).second) return e.member("type").fail("duplicate \"" + r.type + "\"");
      ASSIGN_OR_RETURN(r.soft, e.member("soft").uint64());
      ASSIGN_OR_RETURN(r.hard, e.member("hard").uint64());
      if (r.soft > r.hard) return e.fail("soft limit is above the hard limit");
      p.rlimits.push_back(std::move(r));
    }
  }
  TRY(w.opt("noNewPrivileges", p.no_new_privileges));
  TRY(w.opt("apparmorProfile", p.apparmor_profile));
  TRY(w.opt("oomScoreAdj", p.oom_score_adj));
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
    return w.member("oomScoreAdj").fail("must be between -1000 and 1000");
  TRY(w.opt("selinuxLabel", p.selinux_label));
  Walker io = w.member("ioPriority");
  if (!io.is_null()) {
    IoPriority pr;
    TRY(io.expect_object());
    ASSIGN_OR_RETURN(pr.klass, io.member("class").str());
    if (pr.klass != "IOPRIO_CLASS_RT" && pr.klass != "IOPRIO_CLASS_BE" && pr.klass != "IOPRIO_CLASS_IDLE")
      return io.member("class").fail("unknown value \"" + pr.klass + "\"");
    std::optional<int> prio;
    TRY(io.opt("priority", prio));
    pr.priority = prio.value_or(0);
    if (pr.priority < 0 || pr.priority > 7) return io.member("priority").fail("must be between 0 and 7");
    p.io_priority = pr;
  }
  Walker sc = w.member("scheduler");
  if (!sc.is_null()) {
    Scheduler s;
    TRY(sc.expect_object());
    ASSIGN_OR_RETURN(s.policy, sc.member("policy").str());
    static const std::set<std::string> kPolicies = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
                                                    "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"};
    if (!kPolicies.count(s.policy)) return sc.member("policy").fail("unknown value \"" + s.policy + "\"");
    std::optional<int> nice, prio;
    TRY(sc.opt("nice", nice));
    TRY(sc.opt("priority", prio));
    s.nice = nice.value_or(0);
    s.priority = prio.value_or(0);
    TRY(sc.opt("flags", s.flags));
    std::optional<uint64_t> rt, dl, pe;
    TRY(sc.opt("runtime", rt));
    TRY(sc.opt("deadline", dl));
    TRY(sc.opt("period", pe));
    s.runtime = rt.value_or(0);
    s.deadline = dl.value_or(0);
    s.period = pe.value_or(0);
    p.scheduler = s;
  }
  Walker aff = w.member("execCPUAffinity");
  if (!aff.is_null()) {
    TRY(aff.expect_object());
    std::string initial, final_;
    TRY(aff.opt("initial", initial));
    TRY(aff.opt("final", final_));
    if (!initial.empty()) p.exec_cpu_affinity_initial = {initial};
    if (!final_.empty()) p.exec_cpu_affinity_final = {final_};
  }
  return p;
}

Status parse_id_mappings(const Walker& w, std::vector<IdMapping>& out) {
  if (w.is_null()) return {};
  TRY(w.expect_array());
  for (size_t i = 0; i < w.size(); ++i) {
    Walker e = w.element(i);
    TRY(e.expect_object());
    IdMapping m;
    ASSIGN_OR_RETURN(m.container_id, e.member("containerID").uint32());
    ASSIGN_OR_RETURN(m.host_id, e.member("hostID").uint32());
    ASSIGN_OR_RETURN(m.size, e.member("size").uint32());
    if (m.size == 0) return e.member("size").fail("must be above 0");
    out.push_back(m);
  }
  return {};
}

Status parse_mounts(const Walker& w, std::vector<Mount>& out) {
  if (w.is_null()) return {};
  TRY(w.expect_array());
  for (size_t i = 0; i < w.size(); ++i) {
    Walker e = w.element(i);
    TRY(e.expect_object());
    Mount m;
    ASSIGN_OR_RETURN(m.destination, e.member("destination").str());
    if (m.destination.empty()) return e.member("destination").fail("must not be empty");
    // runc accepts relative destinations and treats them as below "/".
    if (m.destination[0] != '/') m.destination = "/" + m.destination;
    TRY(e.opt("type", m.type));
    TRY(e.opt("source", m.source));
    TRY(e.opt("options", m.options));
    TRY(parse_id_mappings(e.member("uidMappings"), m.uid_mappings));
    TRY(parse_id_mappings(e.member("gidMappings"), m.gid_mappings));
    out.push_back(std::move(m));
  }
  return {};
}

Status parse_hook_list(const Walker& w, std::vector<Hook>& out) {
  if (w.is_null()) return {};
  TRY(w.expect_array());
  for (size_t i = 0; i < w.size(); ++i) {
    Walker e = w.element(i);
    TRY(e.expect_object());
    Hook h;
    ASSIGN_OR_RETURN(h.path, e.member("path").str());
    TRY(check_absolute(e.member("path"), h.path));
    TRY(e.opt("args", h.args));
    TRY(e.opt("env", h.env));
    TRY(e.opt("timeout", h.timeout));
    if (h.timeout && *h.timeout <= 0) return e.member("timeout").fail("must be above 0");
    out.push_back(std::move(h));
  }
  return {};
}

Result<Hooks> parse_hooks(const Walker& w) {
  Hooks h;
  TRY(w.expect_object());
  TRY(parse_hook_list(w.member("prestart"), h.prestart));
  TRY(parse_hook_list(w.member("createRuntime"), h.create_runtime));
  TRY(parse_hook_list(w.member("createContainer"), h.create_container));
  TRY(parse_hook_list(w.member("startContainer"), h.start_container));
  TRY(parse_hook_list(w.member("poststart"), h.poststart));
  TRY(parse_hook_list(w.member("poststop"), h.poststop));
  return h;
}

Result<NamespaceType> namespace_type(const Walker& w) {
  ASSIGN_OR_RETURN(std::string t, w.str());
  static const std::pair<const char*, NamespaceType> kTypes[] = {
      {"pid", NamespaceType::kPid},       {"network", NamespaceType::kNetwork},
      {"mount", NamespaceType::kMount},   {"ipc", NamespaceType::kIpc},
      {"uts", NamespaceType::kUts},       {"user", NamespaceType::kUser},
      {"cgroup", NamespaceType::kCgroup}, {"time", NamespaceType::kTime},
  };
  for (const auto& [name, type] : kTypes)
    if (t == name) return type;
  return w.fail("unknown value \"" + t + "\"");
}

}  // namespace

Status parse_resources_w(const Walker& w, Resources& r);
Status parse_seccomp_w(const Walker& w, Seccomp& s);

Status parse_linux(const Walker& w, Linux& l) {
  TRY(w.expect_object());
  Walker ns = w.member("namespaces");
  if (!ns.is_null()) {
    TRY(ns.expect_array());
    std::set<NamespaceType> seen;
    for (size_t i = 0; i < ns.size(); ++i) {
      Walker e = ns.element(i);
      TRY(e.expect_object());
      Namespace n;
      ASSIGN_OR_RETURN(n.type, namespace_type(e.member("type")));
      if (!seen.insert(n.type).second) return e.member("type").fail("duplicate namespace type");
      TRY(e.opt("path", n.path));
      if (!n.path.empty()) TRY(check_absolute(e.member("path"), n.path));
      l.namespaces.push_back(std::move(n));
    }
  }
  TRY(parse_id_mappings(w.member("uidMappings"), l.uid_mappings));
  TRY(parse_id_mappings(w.member("gidMappings"), l.gid_mappings));
  Walker to = w.member("timeOffsets");
  if (!to.is_null()) {
    TRY(to.expect_object());
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(to.node()), k, v) {
      Walker e(v, to.path() + "." + k);
      if (std::string_view(k) != "monotonic" && std::string_view(k) != "boottime")
        return e.fail("unknown clock (expected monotonic or boottime)");
      TimeOffset off;
      std::optional<int64_t> secs;
      std::optional<uint32_t> ns_;
      TRY(e.opt("secs", secs));
      TRY(e.opt("nanosecs", ns_));
      off.secs = secs.value_or(0);
      off.nanosecs = ns_.value_or(0);
      l.time_offsets[k] = off;
    }
  }
  Walker dev = w.member("devices");
  if (!dev.is_null()) {
    TRY(dev.expect_array());
    for (size_t i = 0; i < dev.size(); ++i) {
      Walker e = dev.element(i);
      TRY(e.expect_object());
      Device d;
      ASSIGN_OR_RETURN(d.type, e.member("type").str());
      if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
        return e.member("type").fail("unknown value \"" + d.type + "\"");
      ASSIGN_OR_RETURN(d.path, e.member("path").str());
      TRY(check_absolute(e.member("path"), d.path));
      std::optional<int64_t> maj, min;
      TRY(e.opt("major", maj));
      TRY(e.opt("minor", min));
      if (d.type != "p" && (!maj || !min)) return e.fail("major and minor are required for type \"" + d.type + "\"");
      d.major = maj.value_or(0);
      d.minor = min.value_or(0);
      TRY(e.opt("fileMode", d.file_mode));
      TRY(e.opt("uid", d.uid));
      TRY(e.opt("gid", d.gid));
      l.devices.push_back(std::move(d));
    }
  }
  TRY(w.opt("cgroupsPath", l.cgroups_path));
  Walker res = w.member("resources");
  if (!res.is_null()) {
    Resources r;
    TRY(parse_resources_w(res, r));
    l.resources = std::move(r);
  }
  TRY(w.opt("rootfsPropagation", l.rootfs_propagation));
  if (!l.rootfs_propagation.empty()) {
    static const std::set<std::string> kProp = {"private", "rprivate", "shared", "rshared", "slave",
                                                "rslave",  "unbindable", "runbindable"};
    if (!kProp.count(l.rootfs_propagation))
      return w.member("rootfsPropagation").fail("unknown value \"" + l.rootfs_propagation + "\"");
  }
  Walker sec = w.member("seccomp");
  if (!sec.is_null()) {
    Seccomp s;
    TRY(parse_seccomp_w(sec, s));
    l.seccomp = std::move(s);
  }
  TRY(w.opt("sysctl", l.sysctl));
  TRY(w.opt("maskedPaths", l.masked_paths));
  TRY(w.opt("readonlyPaths", l.readonly_paths));
  TRY(w.opt("mountLabel", l.mount_label));
  Walker pers = w.member("personality");
  if (!pers.is_null()) {
    Personality p;
    TRY(pers.expect_object());
    ASSIGN_OR_RETURN(p.domain, pers.member("domain").str());
    if (p.domain != "LINUX" && p.domain != "LINUX32")
      return pers.member("domain").fail("unknown value \"" + p.domain + "\"");
    TRY(pers.opt("flags", p.flags));
    l.personality = std::move(p);
  }
  Walker rdt = w.member("intelRdt");
  if (!rdt.is_null()) {
    IntelRdt r;
    TRY(rdt.expect_object());
    TRY(rdt.opt("closID", r.clos_id));
    TRY(rdt.opt("l3CacheSchema", r.l3_cache_schema));
    TRY(rdt.opt("memBwSchema", r.mem_bw_schema));
    l.intel_rdt = std::move(r);
  }
  return {};
}

Result<Spec> parse_spec(std::string_view text) {
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(text));
  Walker w(doc.get(), "");
  TRY(w.expect_object());
  Spec s;
  ASSIGN_OR_RETURN(s.oci_version, w.member("ociVersion").str());
  if (s.oci_version.substr(0, 2) != "1.")
    return w.member("ociVersion").fail("unsupported version \"" + s.oci_version + "\" (want 1.x)");
  Walker p = w.member("process");
  if (!p.is_null()) {
    ASSIGN_OR_RETURN(s.process, parse_process_w(p));
  }
  Walker root = w.member("root");
  if (root.is_null()) return root.fail("is required");
  TRY(root.expect_object());
  ASSIGN_OR_RETURN(s.root.path, root.member("path").str());
  if (s.root.path.empty()) return root.member("path").fail("must not be empty");
  TRY(root.opt("readonly", s.root.readonly));
  TRY(w.opt("hostname", s.hostname));
  TRY(w.opt("domainname", s.domainname));
  TRY(parse_mounts(w.member("mounts"), s.mounts));
  Walker hooks = w.member("hooks");
  if (!hooks.is_null()) {
    ASSIGN_OR_RETURN(s.hooks, parse_hooks(hooks));
  }
  TRY(w.opt("annotations", s.annotations));
  Walker lin = w.member("linux");
  if (!lin.is_null()) {
    Linux l;
    TRY(parse_linux(lin, l));
    s.linux = std::move(l);
  }
  if (!w.member("windows").is_null() || !w.member("solaris").is_null() || !w.member("vm").is_null())
    return w.fail("only the Linux part of the runtime-spec is supported (found windows, solaris or vm)");
  // Cross-field rules of the spec.
  if (!s.hostname.empty() && !s.find_namespace(NamespaceType::kUts))
    return w.member("hostname").fail("setting the hostname needs a uts namespace");
  if (!s.domainname.empty() && !s.find_namespace(NamespaceType::kUts))
    return w.member("domainname").fail("setting the domainname needs a uts namespace");
  if (s.linux) {
    bool new_user = s.has_new_namespace(NamespaceType::kUser);
    if (!s.find_namespace(NamespaceType::kUser) && (!s.linux->uid_mappings.empty() || !s.linux->gid_mappings.empty()))
      return w.member("linux").member("uidMappings").fail("mappings need a user namespace");
    if (new_user && (s.linux->uid_mappings.empty() || s.linux->gid_mappings.empty()))
      return w.member("linux").member("uidMappings").fail("a new user namespace needs uid and gid mappings");
    if (!s.hostname.empty() && !s.find_namespace(NamespaceType::kUts))
      return w.member("hostname").fail("setting the hostname needs a uts namespace");
    if (!s.domainname.empty() && !s.find_namespace(NamespaceType::kUts))
      return w.member("domainname").fail("setting the domainname needs a uts namespace");
    if (!s.linux->time_offsets.empty() && !s.has_new_namespace(NamespaceType::kTime))
      return w.member("linux").member("timeOffsets").fail("time offsets need a new time namespace");
  }
  return s;
}

Result<Process> parse_process(std::string_view text) {
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(text));
  return parse_process_w(Walker(doc.get(), "process"));
}

Result<Resources> parse_resources(std::string_view text) {
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(text));
  Resources r;
  TRY(parse_resources_w(Walker(doc.get(), "resources"), r));
  return r;
}

}  // namespace hutch::oci
