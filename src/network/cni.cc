#include "network/cni.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fd.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"

namespace hutch::network {

namespace {

constexpr size_t kMaxStdout = 1 << 20;  // a result or error; anything bigger is broken
constexpr size_t kStderrKeep = 4096;    // the tail shown in errors
constexpr const char* kPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

Error invalid(const std::string& path, const std::string& what) { return Error::plain(EINVAL, path + ": " + what); }

int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// ---- running one plugin ----------------------------------------------------

struct PluginOutput {
  int status = 0;  // exit code, or 128 + signal
  std::string out;
  std::string err;  // the last kStderrKeep bytes
  bool out_truncated = false;
};

// Makes `fd` the child's descriptor `target`, without close-on-exec.
bool move_fd(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

void kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);  // the plugin's group: an IPAM plugin it started too
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

int exit_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

// Runs `path` with `env` only, `input` on stdin; collects stdout and the
// tail of stderr. Stdin is a socket so that a plugin exiting without
// reading it gives us EPIPE from send(MSG_NOSIGNAL), not a SIGPIPE.
Result<PluginOutput> run_plugin(const std::string& path, const std::vector<std::string>& env, const std::string& input,
                                int timeout_ms) {
  int sp[2], op[2], ep[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return Error::from_errno("socketpair");
  UniqueFd in_w(sp[0]), in_r(sp[1]);
  if (::pipe2(op, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  UniqueFd out_r(op[0]), out_w(op[1]);
  if (::pipe2(ep, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  UniqueFd err_r(ep[0]), err_w(ep[1]);

  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> argv{const_cast<char*>(path.c_str()), nullptr};
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int64_t deadline = now_ms() + timeout_ms;
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("fork");
  if (pid == 0) {
    // The caller may block signals (for a signalfd) or ignore some; an
    // ignored disposition survives execve (signal(7)), so reset both.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);
    ::setpgid(0, 0);
    if (!move_fd(in_r.get(), 0) || !move_fd(out_w.get(), 1) || !move_fd(err_w.get(), 2)) ::_exit(126);
    // Descriptors the caller left inheritable stay ours.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execve(path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // either side may win the race; both ask the same
  in_r.reset();
  out_w.reset();
  err_w.reset();
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  if (input.empty()) in_w.reset();

  PluginOutput r;
  size_t written = 0;
  char buf[16384];
  while (in_w || out_r || err_r) {
    struct pollfd pf[3];
    nfds_t n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in_w) idx_in = static_cast<int>(n), pf[n++] = {in_w.get(), POLLOUT, 0};
    if (out_r) idx_out = static_cast<int>(n), pf[n++] = {out_r.get(), POLLIN, 0};
    if (err_r) idx_err = static_cast<int>(n), pf[n++] = {err_r.get(), POLLIN, 0};
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      kill_and_reap(pid);
      return Error::plain(ETIMEDOUT, "killed after the time limit of " + std::to_string(timeout_ms) + " ms");
    }
    int pr = ::poll(pf, n, static_cast<int>(left));
    if (pr < 0) {
      if (errno == EINTR) continue;
      Error e = Error::from_errno("poll");
      kill_and_reap(pid);
      return e;
    }
    if (idx_in >= 0 && pf[idx_in].revents != 0) {
      ssize_t w = ::send(in_w.get(), input.data() + written, input.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) written += static_cast<size_t>(w);
      // EPIPE and the like: the plugin stopped reading; its output says why.
      if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) in_w.reset();
    }
    for (int idx : {idx_out, idx_err}) {
      if (idx < 0 || pf[idx].revents == 0) continue;
      bool is_out = idx == idx_out;
      UniqueFd& fd = is_out ? out_r : err_r;
      ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        fd.reset();
        continue;
      }
      if (is_out) {
        size_t room = kMaxStdout - std::min(kMaxStdout, r.out.size());
        r.out.append(buf, std::min(room, static_cast<size_t>(got)));
        if (static_cast<size_t>(got) > room) r.out_truncated = true;
      } else {
        r.err.append(buf, static_cast<size_t>(got));
        if (r.err.size() > 2 * kStderrKeep) r.err.erase(0, r.err.size() - kStderrKeep);
      }
    }
  }
  // Both pipes closed: the plugin is exiting. Wait, still within the limit.
  for (;;) {
    int st = 0;
    pid_t w = ::waitpid(pid, &st, WNOHANG);
    if (w == pid) {
      r.status = exit_code(st);
      break;
    }
    if (w < 0 && errno != EINTR) return Error::from_errno("wait for the plugin");
    if (now_ms() >= deadline) {
      kill_and_reap(pid);
      return Error::plain(ETIMEDOUT, "killed after the time limit of " + std::to_string(timeout_ms) + " ms");
    }
    struct timespec ts = {0, 2 * 1000 * 1000};
    ::nanosleep(&ts, nullptr);
  }
  if (r.err.size() > kStderrKeep) r.err.erase(0, r.err.size() - kStderrKeep);
  return r;
}

// The last few lines of what a plugin wrote to stderr, on one line.
std::string stderr_tail(const std::string& err) {
  std::string t(trim(err));
  if (t.size() > 400) t = "..." + t.substr(t.size() - 400);
  for (char& c : t)
    if (c == '\n' || c == '\r') c = ' ';
  return t;
}

// The error for a plugin that exited non-zero: its error result
// {"code","msg","details"} when it printed one (SPEC.md "Error"), else
// its exit status and output.
Error plugin_failure(const PluginOutput& o) {
  std::string text;
  int code = EIO;
  auto j = json::parse(o.out);
  if (j.ok() && json_is_object(j->get())) {
    text = json::string_of(j->get(), "msg");
    std::string details = json::string_of(j->get(), "details");
    if (!details.empty()) text += (text.empty() ? "" : ": ") + details;
    // 11: "try again later" (SPEC.md "Well-known Error Codes").
    if (json_integer_value(json_object_get(j->get(), "code")) == 11) code = EAGAIN;
  }
  if (text.empty()) {
    text = o.status > 128 ? "killed by signal " + std::to_string(o.status - 128)
                          : "exited with status " + std::to_string(o.status);
    std::string out = stderr_tail(o.out);
    if (!out.empty()) text += ": " + out;
  }
  std::string err = stderr_tail(o.err);
  if (!err.empty()) text += " (stderr: " + err + ")";
  return Error::plain(code, text);
}

// ---- one plugin of a list --------------------------------------------------

Result<std::string> find_plugin(const std::string& type, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    std::string p = d + "/" + type;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  std::string where = dirs.empty() ? "no plugin directory" : join(dirs, ":");
  return Error::plain(ENOENT, "CNI plugin " + quoted(type) + " not found in " + where +
                                  " (install containernetworking-plugins, or set CNI_PATH)");
}

std::vector<std::string> plugin_env(const char* command, const Invocation& inv) {
  std::vector<std::string> env{kPath, std::string("CNI_COMMAND=") + command, "CNI_CONTAINERID=" + inv.container_id,
                               "CNI_IFNAME=" + inv.ifname, "CNI_PATH=" + join(inv.plugin_dirs, ":")};
  if (!inv.netns.empty()) env.push_back("CNI_NETNS=" + inv.netns);
  if (!inv.args.empty()) {
    std::string a;
    for (const auto& [k, v] : inv.args) a += (a.empty() ? "" : ";") + k + "=" + v;
    env.push_back("CNI_ARGS=" + a);
  }
  return env;
}

// Runs `command` on plugin `i`; its stdout on success. Errors name the
// network and the plugin. `*started` tells whether the plugin ran at all.
Result<std::string> invoke(const ConfList& list, size_t i, const char* command, const Invocation& inv,
                           const std::string& prev, bool* started = nullptr) {
  const std::string& type = list.types[i];
  if (started) *started = false;
  auto path = find_plugin(type, inv.plugin_dirs);
  if (!path.ok()) return std::move(path).error().context("network " + quoted(list.name));
  auto conf = plugin_config(list, i, inv.runtime_config, prev);
  if (!conf.ok())
    return std::move(conf).error().context("plugin " + quoted(type)).context("network " + quoted(list.name));
  if (started) *started = true;
  log::debug("network", std::string(command) + " " + quoted(list.name) + " plugin " + quoted(type) + " container " +
                            inv.container_id);
  auto out = run_plugin(*path, plugin_env(command, inv), *conf, inv.timeout_ms);
  if (!out.ok())
    return std::move(out).error().context("plugin " + quoted(type)).context("network " + quoted(list.name));
  if (out->status != 0 || out->out_truncated) {
    Error e = out->status != 0 ? plugin_failure(*out) : Error::plain(EIO, "output larger than 1 MiB");
    return std::move(e).with_context("plugin " + quoted(type)).with_context("network " + quoted(list.name));
  }
  return std::move(out->out);
}

Status check_invocation(const Invocation& inv, bool need_netns) {
  if (inv.container_id.empty()) return Error::plain(EINVAL, "CNI: no container id");
  if (inv.ifname.empty()) return Error::plain(EINVAL, "CNI: no interface name");
  if (need_netns && inv.netns.empty()) return Error::plain(EINVAL, "CNI: no network namespace");
  return Ok{};
}

// Whether DEL gets the cached result: from spec 0.4.0 on (SPEC.md "DEL").
bool del_takes_prev_result(const ConfList& list) { return compare_versions(list.cni_version, "0.4.0") >= 0; }

// DEL on plugins `from`..0, best effort; the first error.
Status del_from(const ConfList& list, size_t from, const Invocation& inv, const std::string& prev) {
  std::string p = del_takes_prev_result(list) ? prev : "";
  Status first;
  for (size_t k = from + 1; k-- > 0;) {
    auto r = invoke(list, k, "DEL", inv, p);
    if (!r.ok() && first.ok()) first = std::move(r).error();
  }
  return first;
}

bool valid_version(const std::string& v) {
  auto parts = split(v, '.');
  if (parts.empty() || parts.size() > 3) return false;
  for (const auto& p : parts)
    if (!parse_uint(p)) return false;
  return true;
}

bool add_port_mappings(json_t* rc, const std::vector<PortMapping>& pms) {
  json_t* a = json_array();
  for (const auto& pm : pms) {
    json_t* o = json_object();
    json_object_set_new(o, "hostPort", json_integer(pm.host_port));
    json_object_set_new(o, "containerPort", json_integer(pm.container_port));
    json_object_set_new(o, "protocol", json::str(pm.protocol));
    if (!pm.host_ip.empty()) json_object_set_new(o, "hostIP", json::str(pm.host_ip));
    json_array_append_new(a, o);
  }
  return json_object_set_new(rc, "portMappings", a) == 0;
}

}  // namespace

int compare_versions(const std::string& a, const std::string& b) {
  auto pa = split(a, '.'), pb = split(b, '.');
  for (size_t i = 0; i < 3; ++i) {
    uint64_t x = i < pa.size() ? parse_uint(pa[i]).value_or(0) : 0;
    uint64_t y = i < pb.size() ? parse_uint(pb[i]).value_or(0) : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

Result<ConfList> parse_conflist(const std::string& text) {
  auto parsed = json::parse(text);
  if (!parsed.ok()) return std::move(parsed).error().context("network configuration");
  json_t* root = parsed->get();
  if (!json_is_object(root)) return invalid("network configuration", "not a JSON object");
  ConfList l;
  json_t* name = json_object_get(root, "name");
  if (!json_is_string(name) || json_string_length(name) == 0)
    return invalid("name", name ? "not a non-empty string" : "missing");
  l.name = json_string_value(name);
  json_t* ver = json_object_get(root, "cniVersion");
  if (!json_is_string(ver)) return invalid("cniVersion", ver ? "not a string" : "missing");
  l.cni_version = json_string_value(ver);
  if (!valid_version(l.cni_version)) return invalid("cniVersion", quoted(l.cni_version) + " is not a version (x.y.z)");
  if (json_t* dc = json_object_get(root, "disableCheck")) {
    if (!json_is_boolean(dc)) return invalid("disableCheck", "not a boolean");
    l.disable_check = json_is_true(dc);
  }
  json_t* plugins = json_object_get(root, "plugins");
  json::Ptr single;
  std::string prefix = "plugins";
  if (!plugins && json_object_get(root, "type")) {
    // A single plugin's .conf: a list of one, itself.
    single.reset(json_array());
    json_array_append(single.get(), root);
    plugins = single.get();
    prefix = "";
  }
  if (!plugins) return invalid("plugins", "missing");
  if (!json_is_array(plugins) || json_array_size(plugins) == 0) return invalid("plugins", "not a non-empty array");
  for (size_t i = 0; i < json_array_size(plugins); ++i) {
    json_t* p = json_array_get(plugins, i);
    std::string at = prefix.empty() ? "" : prefix + "[" + std::to_string(i) + "]";
    if (!json_is_object(p)) return invalid(at, "not an object");
    json_t* type = json_object_get(p, "type");
    std::string tpath = at.empty() ? "type" : at + ".type";
    if (!json_is_string(type)) return invalid(tpath, type ? "not a string" : "missing");
    std::string t = json_string_value(type);
    if (t.empty() || t == "." || t == ".." || t.find('/') != std::string::npos)
      return invalid(tpath, quoted(t) + " is not a plugin name");
    json_t* caps = json_object_get(p, "capabilities");
    if (caps && !json_is_object(caps))
      return invalid(at.empty() ? "capabilities" : at + ".capabilities", "not an object");
    l.types.push_back(t);
    l.plugin_json.push_back(json::dump(p));
  }
  return l;
}

Result<std::string> plugin_config(const ConfList& list, size_t index, const RuntimeConfig& rc,
                                  const std::string& prev_result) {
  if (index >= list.plugin_json.size()) return Error::plain(EINVAL, "no plugin " + std::to_string(index));
  ASSIGN_OR_RETURN(json::Ptr conf, json::parse(list.plugin_json[index]));
  json_t* o = conf.get();
  if (!json_is_object(o)) return Error::plain(EINVAL, "plugin configuration is not an object");
  json_object_set_new(o, "cniVersion", json::str(list.cni_version));
  json_object_set_new(o, "name", json::str(list.name));
  if (!prev_result.empty()) {
    auto prev = json::parse(prev_result);
    if (!prev.ok()) return std::move(prev).error().context("prevResult");
    if (!json_is_object(prev->get())) return Error::plain(EINVAL, "prevResult: not a JSON object");
    json_object_set(o, "prevResult", prev->get());
  }
  json::Ptr runtime(json_object());
  json_t* caps = json_object_get(o, "capabilities");
  auto enabled = [caps](const char* key) { return json_is_true(json_object_get(caps, key)); };
  if (enabled("portMappings") && !rc.port_mappings.empty()) add_port_mappings(runtime.get(), rc.port_mappings);
  if (enabled("ips") && !rc.ips.empty()) json_object_set_new(runtime.get(), "ips", json::string_array(rc.ips));
  if (enabled("mac") && !rc.mac.empty()) json_object_set_new(runtime.get(), "mac", json::str(rc.mac));
  if (enabled("aliases") && !rc.aliases.empty())
    json_object_set_new(runtime.get(), "aliases", json::string_array(rc.aliases));
  if (json_object_size(runtime.get()) > 0) json_object_set(o, "runtimeConfig", runtime.get());
  return json::dump(o);
}

Result<AddResult> parse_result(const std::string& text, const std::string& ifname) {
  auto parsed = json::parse(text);
  if (!parsed.ok()) return std::move(parsed).error().context("result");
  json_t* root = parsed->get();
  if (!json_is_object(root)) return Error::plain(EINVAL, "result: not a JSON object");
  AddResult r;
  r.raw = text;
  // Which of "interfaces" is `ifname` in the sandbox (-1: none).
  json_t* ifaces = json_object_get(root, "interfaces");
  long sandbox_iface = -1;
  if (json_is_array(ifaces)) {
    for (size_t i = 0; i < json_array_size(ifaces); ++i) {
      json_t* f = json_array_get(ifaces, i);
      if (json::string_of(f, "name") != ifname || json::string_of(f, "sandbox").empty()) continue;
      sandbox_iface = static_cast<long>(i);
      r.mac = json::string_of(f, "mac");
      break;
    }
  }
  auto ip_entry = [&](json_t* e, const std::string& at, const char* addr_key) -> Status {
    if (!json_is_object(e)) return invalid("result: " + at, "not an object");
    json_t* a = json_object_get(e, addr_key);
    if (!json_is_string(a)) return invalid("result: " + at + "." + addr_key, a ? "not a string" : "missing");
    json_t* g = json_object_get(e, "gateway");
    if (g && !json_is_string(g)) return invalid("result: " + at + ".gateway", "not a string");
    // An address of another interface (a host-side one) is not the container's.
    json_t* idx = json_object_get(e, "interface");
    if (sandbox_iface >= 0 && json_is_integer(idx) && json_integer_value(idx) != sandbox_iface) return Ok{};
    r.ips.push_back(IpConfig{json_string_value(a), g ? json_string_value(g) : ""});
    return Ok{};
  };
  if (json_t* ips = json_object_get(root, "ips")) {
    // 0.3.0 and later.
    if (!json_is_array(ips)) return invalid("result: ips", "not an array");
    for (size_t i = 0; i < json_array_size(ips); ++i)
      TRY(ip_entry(json_array_get(ips, i), "ips[" + std::to_string(i) + "]", "address"));
  } else {
    // 0.1.0 and 0.2.0: {"ip4": {"ip", "gateway"}, "ip6": {...}}.
    for (const char* k : {"ip4", "ip6"})
      if (json_t* e = json_object_get(root, k)) TRY(ip_entry(e, k, "ip"));
  }
  return r;
}

std::vector<std::string> default_plugin_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("CNI_PATH"); env && *env) {
    for (auto& d : split(env, ':'))
      if (!d.empty()) dirs.push_back(d);
    return dirs;
  }
  for (const char* d : {"/usr/lib/cni", "/usr/libexec/cni", "/opt/cni/bin"})
    if (::access(d, F_OK) == 0) dirs.push_back(d);
  return dirs;
}

Result<AddResult> add(const std::string& conflist_json, const Invocation& inv, const std::string& first_prev) {
  ASSIGN_OR_RETURN(ConfList list, parse_conflist(conflist_json));
  TRY(check_invocation(inv, true));
  std::string prev = first_prev;
  for (size_t i = 0; i < list.types.size(); ++i) {
    bool started = false;
    auto out = invoke(list, i, "ADD", inv, prev, &started);
    if (out.ok()) {
      // Each result must be one the next plugin (and we) can read.
      auto checked = parse_result(*out, inv.ifname);
      if (checked.ok()) {
        prev = std::move(*out);
        continue;
      }
      out = std::move(checked)
                .error()
                .with_context("plugin " + quoted(list.types[i]))
                .with_context("network " + quoted(list.name));
    }
    // Plugins k..0 in reverse; k too, which may have set up half.
    Status undone = started || i > 0 ? del_from(list, started ? i : i - 1, inv, prev) : Status();
    if (!undone.ok()) log::warn("network", "undo a failed ADD: " + undone.error().message());
    return std::move(out).error();
  }
  return parse_result(prev, inv.ifname);
}

Status del(const std::string& conflist_json, const Invocation& inv, const std::string& prev_result) {
  ASSIGN_OR_RETURN(ConfList list, parse_conflist(conflist_json));
  TRY(check_invocation(inv, false));
  return del_from(list, list.types.size() - 1, inv, prev_result);
}

Status check(const std::string& conflist_json, const Invocation& inv, const std::string& prev_result) {
  ASSIGN_OR_RETURN(ConfList list, parse_conflist(conflist_json));
  TRY(check_invocation(inv, true));
  if (compare_versions(list.cni_version, "0.4.0") < 0)
    return Error::plain(
        ENOTSUP, "network " + quoted(list.name) + ": CHECK needs cniVersion 0.4.0 or later, not " + list.cni_version);
  if (list.disable_check) return Ok{};
  if (prev_result.empty()) return Error::plain(EINVAL, "network " + quoted(list.name) + ": CHECK needs the ADD result");
  for (size_t i = 0; i < list.types.size(); ++i) TRY(invoke(list, i, "CHECK", inv, prev_result));
  return Ok{};
}

}  // namespace hutch::network
