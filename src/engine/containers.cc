#include "engine/containers.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/scope.h"
#include "base/strings.h"
#include "base/trace.h"
#include "engine/container_fs.h"
#include "engine/container_network.h"
#include "engine/container_spec.h"
#include "engine/host_devices.h"
#include "engine/images.h"
#include "engine/volumes.h"
#include "image/digest.h"
#include "image/store.h"
#include "monitor/launch.h"
#include "monitor/settings.h"
#include "network/attachments.h"
#include "network/ports.h"
#include "network/store.h"

namespace hutch::engine {

namespace {

int64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool valid_name(const std::string& n) {
  static const std::regex re("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  return std::regex_match(n, re);
}

json_t* str_map(const std::map<std::string, std::string>& m) {
  json_t* o = json_object();
  for (const auto& [k, v] : m) json_object_set_new(o, k.c_str(), json::str(v));
  return o;
}

// The host files every container gets: /etc/hosts, /etc/hostname and
// /etc/resolv.conf (bridge networks, with their DNS, are the next step).
Status write_etc_files(const std::string& dir, const std::string& hostname, const std::string& network) {
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
  if (network == "host") {
    auto h = fs::read_file("/etc/hosts");
    if (h.ok()) hosts = *h;
  } else {
    hosts += "127.0.1.1\t" + hostname + "\n";
  }
  TRY(fs::write_file(dir + "/hosts", hosts));
  TRY(fs::write_file(dir + "/hostname", hostname + "\n"));
  auto resolv = fs::read_file("/etc/resolv.conf");
  TRY(fs::write_file(dir + "/resolv.conf", resolv.ok() ? *resolv : ""));
  return {};
}

}  // namespace

std::string new_container_id() {
  unsigned char buf[32];
  size_t got = 0;
  while (got < sizeof buf) {
    ssize_t n = ::getrandom(buf + got, sizeof buf - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : buf) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string random_name() {
  static const char* left[] = {"admiring", "brave",   "clever", "dazzling", "eager",   "festive", "gentle",
                               "happy",    "jolly",   "keen",   "lucid",    "modest",  "nifty",   "optimistic",
                               "quirky",   "relaxed", "serene", "tender",   "upbeat",  "vibrant", "wizardly",
                               "youthful", "zealous", "bold",   "calm",     "dreamy",  "elastic", "focused"};
  static const char* right[] = {"lovelace", "hopper", "turing",  "ritchie", "thompson", "torvalds", "knuth",
                                "dijkstra", "liskov", "hamilton", "noether", "curie",    "babbage",  "shannon",
                                "wozniak",  "pike",   "kernighan", "lamport", "tanenbaum", "allen",   "backus"};
  unsigned char r[2];
  while (::getrandom(r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
  }
  return std::string(left[r[0] % (sizeof left / sizeof *left)]) + "_" + right[r[1] % (sizeof right / sizeof *right)];
}

Result<Containers> Containers::open(const std::string& root, const std::string& runroot) {
  ContainerPaths p{root, runroot.empty() ? ContainerPaths::default_runroot(root) : runroot};
  TRY(fs::mkdir_p(root, 0711));
  // Opened at its first use: `run` hands the monitor its bundle first
  // (create()), and the open overlaps the container's creation.
  state::Db db = state::Db::deferred(p.db());
  return Containers(std::move(p), std::move(db));
}

Result<std::pair<std::string, std::string>> Containers::resolve_runtime(const std::string& wanted_in) {
  std::string wanted = wanted_in;
  if (wanted.empty()) {
    const char* env = std::getenv("HUTCH_RUNTIME");
    wanted = env && *env ? env : "hutchrt";
  }
  std::string name = fs::basename(wanted);
  if (wanted.find('/') != std::string::npos) {
    if (::access(wanted.c_str(), X_OK) != 0) return Error::from_errno("runtime \"" + wanted + "\"");
    return std::make_pair(fs::absolute(wanted), name);
  }
  if (wanted == "hutchrt") {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
      self[n] = 0;
      std::string beside = fs::dirname(self) + "/hutchrt";
      if (::access(beside.c_str(), X_OK) == 0) return std::make_pair(beside, name);
    }
  }
  const char* path_env = std::getenv("PATH");
  std::string path = std::string(path_env ? path_env : "/usr/local/bin:/usr/bin:/bin") + ":/usr/sbin:/sbin";
  for (const auto& d : split(path, ':')) {
    if (d.empty()) continue;
    std::string c = d + "/" + wanted;
    if (::access(c.c_str(), X_OK) == 0) return std::make_pair(c, name);
  }
  return Error::plain(ENOENT, "unknown or invalid runtime name: " + wanted + " (no executable \"" + wanted +
                                  "\" in $PATH)");
}

Result<json::Ptr> Containers::config_of(const state::ContainerRow& row) { return json::parse(row.config); }

Result<std::string> Containers::create(const RunOptions& o) {
  Images images(paths_.root);
  ASSIGN_OR_RETURN(image::ImageRecord rec, images.find(o.image));
  image::ContentStore content(paths_.root);
  ASSIGN_OR_RETURN(image::Digest config_digest, image::Digest::parse(rec.config));
  ASSIGN_OR_RETURN(std::string config_text, content.read(config_digest));
  ASSIGN_OR_RETURN(json::Ptr image_doc, json::parse(config_text));
  const json_t* image_config = json_object_get(image_doc.get(), "config");
  trace::mark("hutch: create: image read");
  ASSIGN_OR_RETURN(auto runtime, resolve_runtime(o.runtime));
  // `run` with a monitor spawned ahead (use_monitor()): unless the network
  // mode needs a namespace pinned at start, the monitor gets the bundle as
  // soon as it is written and creates the container while we open the
  // database and insert the row (which then checks the name).
  bool hand_early = prespawned_ && prespawned_->waiting_for_bundle() &&
                    !uses_cni(o.network.empty() ? network::kDefaultNetwork : o.network);

  std::string id = new_container_id();
  std::string name = o.name;
  // A generated name that is taken is drawn again (docker does the same),
  // with a numeric suffix once the word pairs run short.
  for (int attempt = 0; name.empty() && attempt < 64; ++attempt) {
    std::string candidate = random_name();
    if (attempt >= 8) candidate += "_" + std::to_string(attempt);
    if (hand_early) {
      name = candidate;  // drawn again below if the insert finds it taken
      break;
    }
    auto taken = db_.find(candidate);
    if (!taken.ok() || taken->name != candidate) {
      name = candidate;
      break;
    }
  }
  if (name.empty()) name = "hutch_" + id.substr(0, 12);
  if (!valid_name(name))
    return Error::plain(EINVAL, "invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  if (name[0] == '/') name.erase(0, 1);
  if (o.auto_remove && o.restart != "no" && !o.restart.empty())
    return Error::plain(EINVAL, "conflicting options: cannot specify both --restart and --rm");
  // Fail on a taken name before any work (handing early, the insert does).
  if (!hand_early) {
    auto taken = db_.find(name);
    if (taken.ok() && taken->name == name)
      return Error::plain(EEXIST, "the container name \"/" + name + "\" is already in use by container \"" +
                                      taken->id + "\". You have to remove (or rename) that container to be able to "
                                      "reuse that name.");
  }
  // Bind sources: -v makes a missing one (docker does), --mount refuses it.
  for (const auto& m : o.mounts) {
    if (m.type != "bind" || ::access(m.source.c_str(), F_OK) == 0) continue;
    if (!m.create_host_dir)
      return Error::plain(ENOENT, "invalid mount config for type \"bind\": bind source path does not exist: " +
                                      m.source);
    TRY_CTX(fs::mkdir_p(m.source, 0755), "create the bind source \"" + m.source + "\"");
  }
  std::string dir = paths_.dir(id);
  ASSIGN_OR_RETURN(std::vector<std::string> lower, layer_dirs(paths_.root, rec));

  TRY(fs::mkdir_p(paths_.containers(), 0700));
  if (::mkdir(dir.c_str(), 0700) != 0) return Error::from_errno("create \"" + dir + "\"");
  Volumes volumes(paths_.root);
  std::vector<std::string> anon_created;
  ScopeGuard undo([&] {
    (void)fs::remove_all(dir);
    for (const auto& v : anon_created) (void)volumes.remove(v, true, [](const std::string&) { return false; });
  });
  for (const char* sub : {"rootfs", "upper", "work"})
    if (::mkdir((dir + "/" + sub).c_str(), 0755) != 0) return Error::from_errno(std::string("create ") + sub);

  SpecInputs in;
  in.image_config = image_config;
  in.opts = o;
  in.id = id;
  in.rootfs = "rootfs";
  in.read_image_file = [&lower](const std::string& p) { return read_layered_file(lower, p); };
  in.stat_device = stat_host_device;
  in.list_devices = [](const std::string& dir) { return host_devices(dir); };
  in.default_nofile = default_nofile();
  in.host_caps = bounding_capabilities();
  if (o.privileged) in.host_devices = host_devices();
  {
    char h[256] = {};
    ::gethostname(h, sizeof h - 1);
    in.host_hostname = h;
    struct utsname u;
    if (::uname(&u) == 0) std::sscanf(u.release, "%d.%d", &in.kernel.first, &in.kernel.second);
  }
  // Volumes: named ones are made on first use, as docker does.
  for (const auto& m : o.mounts) {
    if (m.type != "volume") continue;
    ASSIGN_OR_RETURN(state::VolumeRow v, volumes.create(m.source, {}, {}, m.source.empty()));
    if (m.source.empty()) anon_created.push_back(v.name);
    in.volume_sources.push_back(volumes.data_dir(v.name));
  }
  for (const auto& target : anonymous_volume_targets(image_config, o)) {
    (void)target;
    ASSIGN_OR_RETURN(state::VolumeRow v, volumes.create("", {}, {}, true));
    anon_created.push_back(v.name);
    in.anonymous_sources.push_back(volumes.data_dir(v.name));
  }
  // Networks: the default is docker's "bridge"; CNI ones get a namespace the
  // engine pins at start (container_network.h), named here for the spec.
  std::string network_mode = o.network.empty() ? network::kDefaultNetwork : o.network;
  std::string network_name;  // the definition's name, for CNI modes
  if (uses_cni(network_mode)) {
    ASSIGN_OR_RETURN(network::Store store, network::Store::open(paths_.networks_dir(), paths_.ipam_dir()));
    ASSIGN_OR_RETURN(network::Network net, store.find(network_mode));
    if (net.pseudo) network_mode = net.name;
    network_name = net.name;
    if (!o.network_aliases.empty() && !net.dns())
      return Error::plain(EINVAL, "network-scoped alias is supported only for containers in user defined networks");
    if (!o.ip.empty()) TRY(network::check_static_ip(net, o.ip));
  }
  if (uses_cni(network_mode)) {
    network_mode = network_name;
    in.joined_namespaces["network"] = network::netns_path(paths_.netns_dir(), id);
  }
  in.opts.network = network_mode;
  const network::PortBindings& publish = o.publish;
  std::set<std::string> image_exposed;
  if (image_config) {
    ASSIGN_OR_RETURN(image_exposed, network::exposed_ports_from_json(json_object_get(image_config, "ExposedPorts")));
  }
  // Exposed: the image's, --expose, and every published port (docker).
  std::set<std::string> exposed = exposed_ports_of(image_exposed, o);
  if (!publish.empty() && !uses_cni(network_mode))
    return Error::plain(EINVAL, "conflicting options: port publishing and the container type network mode");
  std::string hostname = o.hostname.empty() ? id.substr(0, 12) : o.hostname;
  if (o.network == "host" && o.hostname.empty()) {
    char h[256] = {};
    ::gethostname(h, sizeof h - 1);
    hostname = h;
  }
  TRY(write_etc_files(dir, hostname, o.network));
  in.hosts_file = dir + "/hosts";
  in.hostname_file = dir + "/hostname";
  in.resolv_file = dir + "/resolv.conf";
  for (const auto& [kind, value] :
       {std::pair<std::string, std::string>{"pid", o.pid_ns}, {"ipc", o.ipc_ns}, {"uts", o.uts_ns},
        {"network", o.network}}) {
    if (!starts_with(value, "container:")) continue;
    ASSIGN_OR_RETURN(state::ContainerRow other, find(value.substr(10)));
    if (other.status != state::Status::kRunning && other.status != state::Status::kPaused)
      return Error::plain(EINVAL, "cannot join the " + kind + " namespace of container \"" + other.name +
                                      "\": it is not running");
    static const std::map<std::string, std::string> ns_file = {
        {"pid", "pid"}, {"ipc", "ipc"}, {"uts", "uts"}, {"network", "net"}};
    in.joined_namespaces[kind] = "/proc/" + std::to_string(other.pid) + "/ns/" + ns_file.at(kind);
    if (kind == "ipc") {
      // Its /dev/shm comes along, which only a shareable one has outside
      // its mount namespace (docker's rule and hint).
      auto other_doc = config_of(other);
      json_t* hc = other_doc.ok() ? json_object_get(other_doc->get(), "HostConfig") : nullptr;
      if (json::string_of(hc, "IpcMode") != "shareable")
        return Error::plain(EINVAL, "cannot join the IPC namespace of container \"" + other.name +
                                        "\": non-shareable IPC (hint: run it with --ipc shareable)");
      in.shared_shm = paths_.rundir(other.id) + "/shm";
    }
  }
  if (o.ipc_ns == "shareable") in.shared_shm = paths_.rundir(id) + "/shm";
  if (o.init) {
    std::string init = monitor::monitor_binary();
    init = fs::dirname(init) + "/hutch-init";
    if (::access(init.c_str(), X_OK) != 0)
      return Error::plain(ENOENT, "--init: the init binary \"" + init + "\" is missing from this installation");
    in.init_binary = init;
  }
  ASSIGN_OR_RETURN(ContainerSpec cs, build_spec(in));
  trace::mark("hutch: create: spec built");
  json_t* linux_obj = json_object_get(cs.spec.get(), "linux");
  if (linux_obj) json_object_set_new(linux_obj, "cgroupsPath", json::str("/hutch/" + id));
  // --rm: the bundle lives no longer than the run, so its files skip the
  // fsyncs (temp + rename only); a crash leaves nothing to start again.
  auto write_bundle_file = [&](const std::string& path, const std::string& text) -> Status {
    return o.auto_remove ? fs::replace_file(path, text) : fs::write_file_atomic(path, text);
  };
  TRY(write_bundle_file(dir + "/config.json", json::dump(cs.spec.get(), 1)));

  // The monitor's settings.
  monitor::Settings ms;
  ms.id = id;
  ms.name = name;
  ms.image = o.image;
  ms.db = paths_.db();
  ms.bundle = dir;
  ms.rundir = paths_.rundir(id);
  ms.runtime = runtime.first;
  ms.runtime_root = paths_.runtime_root(runtime.second);
  ms.rootfs.lower = lower;
  ms.rootfs.upper = paths_.upper(id);
  ms.rootfs.work = paths_.work(id);
  ms.rootfs.target = paths_.rootfs(id);
  // --rm: nothing of the container outlives it, so its writes need not
  // reach the disk (unmounting a synced upper dir waits for a journal
  // commit, often ten milliseconds or more).
  ms.rootfs.volatile_upper = o.auto_remove;
  ms.terminal = o.tty;
  ms.stdin_open = o.interactive;
  auto lopt = [&](const char* k) {
    auto it = o.log_opts.find(k);
    return it == o.log_opts.end() ? std::string() : it->second;
  };
  ms.log_path = lopt("path").empty() ? paths_.log(id) : lopt("path");
  if (!lopt("path").empty()) {
    ms.log_path = lopt("path");
    if (ms.log_path.back() == '/') ms.log_path += id + ".log";
  }
  ms.log_max_size = 10 << 20;  // flash wear: capped by default (docker's json-file is not)
  ms.log_max_file = 1;
  if (!lopt("max-size").empty()) {
    ASSIGN_OR_RETURN(int64_t v, parse_size("--log-opt max-size", lopt("max-size")));
    ms.log_max_size = static_cast<uint64_t>(v);
  }
  if (!lopt("max-file").empty()) {
    auto v = parse_int(lopt("max-file"));
    if (!v || *v < 1) return Error::plain(EINVAL, "invalid value for --log-opt max-file: \"" + lopt("max-file") + "\"");
    ms.log_max_file = static_cast<int>(*v);
  }
  if (!lopt("rate").empty()) {
    std::string r = lopt("rate");
    if (r.size() > 2 && r.substr(r.size() - 2) == "/s") r.resize(r.size() - 2);
    ASSIGN_OR_RETURN(int64_t v, parse_size("--log-opt rate", r));
    ms.log_rate = static_cast<uint64_t>(v);
  }
  for (const auto& [k, v] : o.log_opts)
    if (k != "path" && k != "max-size" && k != "max-file" && k != "rate")
      return Error::plain(EINVAL, "unknown log opt '" + k + "' (hutch's log takes max-size, max-file, path, rate)");
  if (o.log_driver == "none") {  // nothing kept; never rotate /dev/null
    ms.log_path = "/dev/null";
    ms.log_max_size = 0;
    ms.log_rate = 0;
  }
  ms.restart = o.restart.empty() ? "no" : o.restart;
  ms.restart_max = o.restart_max;
  if (cs.health_test) {
    ms.has_healthcheck = true;
    const auto& t = *cs.health_test;
    if (!t.empty() && t[0] == "CMD-SHELL") ms.health.test = {"/bin/sh", "-c", t.size() > 1 ? t[1] : ""};
    else if (!t.empty() && t[0] == "CMD") ms.health.test.assign(t.begin() + 1, t.end());
    else ms.has_healthcheck = false;
    if (cs.health_interval) ms.health.interval_ns = cs.health_interval;
    if (cs.health_timeout) ms.health.timeout_ns = cs.health_timeout;
    ms.health.start_period_ns = cs.health_start_period;
    if (cs.health_retries) ms.health.retries = cs.health_retries;
    ms.health.on_failure = o.health_on_failure;
  }
  ms.auto_remove = o.auto_remove;
  ms.engine_records_pid = true;  // Containers::start
  ms.shm_shareable = o.ipc_ns == "shareable";
  ms.shm_size = static_cast<uint64_t>(o.shm_size);
  // A pinned namespace comes with "lo" up, and hutchrt, crun and runc set
  // it up in a namespace they create; other runtimes may not.
  std::string rt_name = fs::basename(runtime.first);
  ms.loopback_up = network_mode == "none" && rt_name != "hutchrt" && rt_name != "crun" && rt_name != "runc";
  if (uses_cni(network_mode)) ms.network_dir = paths_.netns_dir();
  for (const auto& v : anon_created) ms.remove_dirs.push_back(paths_.root + "/volumes/" + v);
  ms.stop_signal = cs.stop_signal.empty() ? "SIGTERM" : cs.stop_signal;
  ms.stop_timeout = o.stop_timeout.value_or(10);
  TRY(write_bundle_file(dir + "/monitor.json", monitor::to_json(ms)));
  trace::mark("hutch: create: files written");
  pid_t early_monitor = 0;
  const std::string name_in_bundle = name;
  if (hand_early) {
    if (prespawned_->send_bundle(dir).ok()) {
      early_monitor = prespawned_->monitor_pid();
      handed_id_ = id;
    } else {
      prespawned_.reset();  // start() launches another
    }
  }
  // Failing from here on, the monitor creating the container meanwhile is
  // told to undo it, and gone, before `undo` removes the bundle.
  auto abandon_monitor = [&] {
    if (handed_id_.empty()) return;
    prespawned_->abandon();
    prespawned_.reset();
    handed_id_.clear();
  };
  ScopeGuard abandon(abandon_monitor);

  // The row: docker's inspect shapes, so inspect is a projection.
  json::Ptr doc(json_object());
  json_object_set_new(doc.get(), "Path", json::str(cs.args.empty() ? "" : cs.args[0]));
  json_object_set_new(doc.get(), "Args",
                      json::string_array(cs.args.empty() ? std::vector<std::string>{}
                                                         : std::vector<std::string>(cs.args.begin() + 1, cs.args.end())));
  json_t* c = json_object();
  json_object_set_new(c, "Hostname", json::str(hostname));
  json_object_set_new(c, "Domainname", json::str(""));
  json_object_set_new(c, "User", json::str(cs.user));
  json_object_set_new(c, "AttachStdin", json_boolean(o.interactive && !o.detach));
  json_object_set_new(c, "AttachStdout", json_boolean(!o.detach));
  json_object_set_new(c, "AttachStderr", json_boolean(!o.detach));
  json_object_set_new(c, "Tty", json_boolean(o.tty));
  json_object_set_new(c, "OpenStdin", json_boolean(o.interactive));
  json_object_set_new(c, "StdinOnce", json_boolean(o.interactive && !o.detach));
  json_object_set_new(c, "Env", json::string_array(cs.env));
  json_t* image_cmd = image_config ? json_object_get(image_config, "Cmd") : nullptr;
  json_t* image_ep = image_config ? json_object_get(image_config, "Entrypoint") : nullptr;
  if (!o.command.empty()) json_object_set_new(c, "Cmd", json::string_array(o.command));
  else if (o.entrypoint) json_object_set_new(c, "Cmd", json_null());
  else json_object_set(c, "Cmd", image_cmd ? image_cmd : json_null());
  json_object_set_new(c, "Image", json::str(o.image));
  json_t* vols = json_object();
  for (const auto& t : anonymous_volume_targets(image_config, o)) json_object_set_new(vols, t.c_str(), json_object());
  json_object_set_new(c, "Volumes", vols);
  json_object_set_new(c, "WorkingDir", json::str(cs.workdir));
  if (o.entrypoint) json_object_set_new(c, "Entrypoint", o.entrypoint->empty() ? json_null()
                                                                                 : json::string_array(split(*o.entrypoint, ' ')));
  else json_object_set(c, "Entrypoint", image_ep ? image_ep : json_null());
  std::map<std::string, std::string> labels;
  if (image_config)
    if (json_t* l = json_object_get(image_config, "Labels"); json_is_object(l)) {
      const char* k;
      json_t* v;
      json_object_foreach(l, k, v) if (json_is_string(v)) labels[k] = json_string_value(v);
    }
  for (const auto& [k, v] : o.labels) labels[k] = v;
  json_object_set_new(c, "Labels", str_map(labels));
  json_object_set_new(c, "StopSignal", json::str(ms.stop_signal));
  if (o.stop_timeout) json_object_set_new(c, "StopTimeout", json_integer(*o.stop_timeout));
  if (cs.health_test) {
    json_t* h = json_object();
    json_object_set_new(h, "Test", json::string_array(*cs.health_test));
    json_object_set_new(h, "Interval", json_integer(cs.health_interval));
    json_object_set_new(h, "Timeout", json_integer(cs.health_timeout));
    json_object_set_new(h, "StartPeriod", json_integer(cs.health_start_period));
    json_object_set_new(h, "Retries", json_integer(cs.health_retries));
    json_object_set_new(c, "Healthcheck", h);
  }
  if (!exposed.empty()) json_object_set_new(c, "ExposedPorts", network::exposed_ports_json(exposed).release());
  json_object_set_new(doc.get(), "Config", c);

  json_t* hc = json_object();
  json_t* binds = json_array();
  for (const auto& m : o.mounts)
    if (m.type == "bind")
      json_array_append_new(binds, json::str(m.source + ":" + m.target + (m.readonly ? ":ro" : "")));
  json_object_set_new(hc, "Binds", binds);
  json_t* rp = json_object();
  json_object_set_new(rp, "Name", json::str(ms.restart));
  json_object_set_new(rp, "MaximumRetryCount", json_integer(o.restart_max));
  json_object_set_new(hc, "RestartPolicy", rp);
  json_object_set_new(hc, "AutoRemove", json_boolean(o.auto_remove));
  json_object_set_new(hc, "NetworkMode", json::str(network_mode));
  json_object_set_new(hc, "PortBindings", network::port_bindings_json(publish).release());
  json_object_set_new(hc, "PublishAllPorts", json_boolean(o.publish_all));
  json_object_set_new(hc, "Dns", json::string_array(o.dns));
  json_object_set_new(hc, "DnsSearch", json::string_array(o.dns_search));
  json_object_set_new(hc, "DnsOptions", json::string_array(o.dns_options));
  json_object_set_new(hc, "ExtraHosts", json::string_array(o.add_hosts));
  json_object_set_new(hc, "PidMode", json::str(o.pid_ns));
  json_object_set_new(hc, "IpcMode", json::str(o.ipc_ns.empty() ? "private" : o.ipc_ns));
  json_object_set_new(hc, "UTSMode", json::str(o.uts_ns));
  json_object_set_new(hc, "Privileged", json_boolean(o.privileged));
  json_object_set_new(hc, "ReadonlyRootfs", json_boolean(o.read_only));
  json_object_set_new(hc, "Init", json_boolean(o.init));
  json_object_set_new(hc, "CapAdd", json::string_array(o.cap_add));
  json_object_set_new(hc, "CapDrop", json::string_array(o.cap_drop));
  json_object_set_new(hc, "Memory", json_integer(o.memory));
  json_object_set_new(hc, "MemorySwap", json_integer(o.memory_swap));
  json_object_set_new(hc, "MemoryReservation", json_integer(o.memory_reservation));
  json_object_set_new(hc, "NanoCpus",
                      json_integer(o.cpu_period ? o.cpu_quota * 1'000'000'000 / o.cpu_period : 0));
  json_object_set_new(hc, "CpuShares", json_integer(static_cast<json_int_t>(o.cpu_shares)));
  json_object_set_new(hc, "CpusetCpus", json::str(o.cpuset_cpus));
  json_object_set_new(hc, "PidsLimit", json_integer(o.pids_limit));
  json_object_set_new(hc, "BlkioWeight", json_integer(o.blkio_weight));
  json_object_set_new(hc, "ShmSize", json_integer(static_cast<json_int_t>(o.shm_size)));
  json_object_set_new(hc, "Sysctls", str_map(o.sysctls));
  json_object_set_new(hc, "Runtime", json::str(runtime.second));
  json_t* lc = json_object();
  json_object_set_new(lc, "Type", json::str(o.log_driver.empty() ? "k8s-file" : o.log_driver));
  json_object_set_new(lc, "Config", str_map(o.log_opts));
  json_object_set_new(hc, "LogConfig", lc);
  json_object_set_new(doc.get(), "HostConfig", hc);
  json_t* mounts = json_array();
  size_t vi = 0;
  for (const auto& m : o.mounts) {
    json_t* mo = json_object();
    json_object_set_new(mo, "Type", json::str(m.type));
    if (m.type == "volume") {
      std::string src = in.volume_sources[vi++];
      json_object_set_new(mo, "Name", json::str(fs::basename(fs::dirname(src))));
      json_object_set_new(mo, "Source", json::str(src));
    } else {
      json_object_set_new(mo, "Source", json::str(m.source));
    }
    json_object_set_new(mo, "Destination", json::str(m.target));
    json_object_set_new(mo, "RW", json_boolean(!m.readonly));
    json_array_append_new(mounts, mo);
  }
  size_t ai = 0;
  for (const auto& t : anonymous_volume_targets(image_config, o)) {
    json_t* mo = json_object();
    std::string src = in.anonymous_sources[ai++];
    json_object_set_new(mo, "Type", json::str("volume"));
    json_object_set_new(mo, "Name", json::str(fs::basename(fs::dirname(src))));
    json_object_set_new(mo, "Source", json::str(src));
    json_object_set_new(mo, "Destination", json::str(t));
    json_object_set_new(mo, "RW", json_true());
    json_array_append_new(mounts, mo);
  }
  json_object_set_new(doc.get(), "Mounts", mounts);
  json_object_set_new(doc.get(), "AnonymousVolumes", json::string_array(anon_created));
  json_object_set_new(doc.get(), "LogPath", json::str(ms.log_path));
  json_object_set_new(doc.get(), "RuntimePath", json::str(runtime.first));
  json_object_set_new(doc.get(), "RuntimeRoot", json::str(ms.runtime_root));
  json_object_set_new(doc.get(), "DetachKeys", json::str(o.detach_keys));
  if (uses_cni(network_mode)) {
    // The networks to join at start, NetworkMode first (connect adds more).
    json_t* ep = json_object();
    json_object_set_new(ep, "Aliases", json::string_array(o.network_aliases));
    json_object_set_new(ep, "IPAMConfig", o.ip.empty() ? json_null() : json_pack("{s:s}", "IPv4Address", o.ip.c_str()));
    json_object_set_new(ep, "MacAddress", json::str(o.mac_address));
    json_t* nets = json_object();
    json_object_set_new(nets, network_mode.c_str(), ep);
    json_object_set_new(doc.get(), "Networks", nets);
  }

  state::ContainerRow row;
  row.id = id;
  row.name = name;
  row.image = o.image;
  row.image_id = rec.config;
  row.created = now_ns();
  row.config = json::dump(doc.get());
  row.status = state::Status::kCreated;
  // Handed early, the row names the monitor from the start (start() would
  // record it otherwise).
  row.monitor_pid = early_monitor;
  row.monitor_start = early_monitor ? process_start_time(early_monitor) : 0;
  for (int tries = 0;; ++tries) {
    // The row and its "create" event: one commit.
    auto inserted = db_.batch([&]() -> Status {
      TRY(db_.insert(row));
      state::EventRow ev;
      ev.type = "container";
      ev.action = "create";
      ev.id = id;
      ev.attributes = "{\"name\":\"" + json_escape(row.name) + "\",\"image\":\"" + json_escape(o.image) + "\"}";
      (void)db_.add_event(ev);
      return {};
    });
    trace::mark("hutch: create: inserted");
    if (inserted.ok()) break;
    // A generated name another create took meanwhile: draw again.
    if (!o.name.empty() || inserted.error().code() != EEXIST || tries >= 8) return std::move(inserted).error();
    name = row.name = random_name() + "_" + std::to_string(tries + 64);
    ms.name = name;
    TRY(fs::write_file_atomic(dir + "/monitor.json", monitor::to_json(ms)));
  }
  // A monitor handed the bundle read the name drawn first.
  if (!handed_id_.empty() && name != name_in_bundle)
    if (auto st = prespawned_->send_name(name); !st.ok()) return std::move(st).error();
  abandon.release();
  undo.release();
  return id;
}

}  // namespace hutch::engine
