// docker's ContainerJSON shape, built from a row and its config document.
#include <time.h>

#include "base/json.h"
#include "base/strings.h"
#include "engine/containers.h"
#include "engine/container_network.h"

namespace hutch::engine {

namespace {

std::string rfc3339(int64_t ns) {
  if (ns == 0) return "0001-01-01T00:00:00Z";
  struct timespec ts = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  return format_rfc3339(ts);
}

json_t* copy_or(const json_t* doc, const char* key, json_t* fallback) {
  json_t* v = json_object_get(doc, key);
  if (!v) return fallback;
  json_decref(fallback);
  return json_deep_copy(v);
}

}  // namespace

json::Ptr inspect_container(const ContainerPaths& paths, const state::ContainerRow& r) {
  auto parsed = json::parse(r.config);
  json::Ptr doc = parsed.ok() ? std::move(parsed).value() : json::Ptr(json_object());
  json::Ptr o(json_object());
  json_t* j = o.get();
  json_object_set_new(j, "Id", json::str(r.id));
  json_object_set_new(j, "Created", json::str(rfc3339(r.created)));
  json_object_set_new(j, "Path", json::str(json::string_of(doc.get(), "Path")));
  json_object_set_new(j, "Args", copy_or(doc.get(), "Args", json_array()));
  json_t* st = json_object();
  json_object_set_new(st, "Status", json::str(state::status_name(r.status)));
  json_object_set_new(st, "Running", json_boolean(r.status == state::Status::kRunning ||
                                                   r.status == state::Status::kPaused ||
                                                   r.status == state::Status::kRestarting));
  json_object_set_new(st, "Paused", json_boolean(r.status == state::Status::kPaused));
  json_object_set_new(st, "Restarting", json_boolean(r.status == state::Status::kRestarting));
  json_object_set_new(st, "OOMKilled", json_boolean(r.oom_killed));
  json_object_set_new(st, "Dead", json_boolean(r.status == state::Status::kDead));
  json_object_set_new(st, "Pid", json_integer(r.status == state::Status::kRunning || r.status == state::Status::kPaused ? r.pid : 0));
  json_object_set_new(st, "ExitCode", json_integer(r.exit_code));
  json_object_set_new(st, "Error", json::str(r.error));
  json_object_set_new(st, "StartedAt", json::str(rfc3339(r.started_at)));
  json_object_set_new(st, "FinishedAt", json::str(rfc3339(r.finished_at)));
  // hutch's own: log bytes --log-opt rate dropped (recorded as it happens).
  json_object_set_new(st, "LogDroppedBytes", json_integer(static_cast<json_int_t>(r.log_dropped)));
  if (!r.health.empty()) {
    json_t* h = json_object();
    json_object_set_new(h, "Status", json::str(r.health));
    json_object_set_new(h, "FailingStreak", json_integer(r.health_failing_streak));
    auto log = json::parse(r.health_log);
    json_object_set_new(h, "Log", log.ok() ? json_incref(log->get()) : json_array());
    json_object_set_new(st, "Health", h);
  }
  json_object_set_new(j, "State", st);
  json_object_set_new(j, "Image", json::str(r.image_id));
  std::string dir = paths.dir(r.id);
  json_object_set_new(j, "ResolvConfPath", json::str(dir + "/resolv.conf"));
  json_object_set_new(j, "HostnamePath", json::str(dir + "/hostname"));
  json_object_set_new(j, "HostsPath", json::str(dir + "/hosts"));
  json_object_set_new(j, "LogPath", json::str(json::string_of(doc.get(), "LogPath")));
  json_object_set_new(j, "Name", json::str("/" + r.name));
  json_object_set_new(j, "RestartCount", json_integer(r.restart_count));
  json_object_set_new(j, "Driver", json::str("overlay"));
  json_object_set_new(j, "Platform", json::str("linux"));
  json_object_set_new(j, "MountLabel", json::str(""));
  json_object_set_new(j, "ProcessLabel", json::str(""));
  json_object_set_new(j, "AppArmorProfile", json::str(""));
  json_object_set_new(j, "ExecIDs", json_null());
  json_object_set_new(j, "HostConfig", copy_or(doc.get(), "HostConfig", json_object()));
  json_t* gd = json_object();
  json_object_set_new(gd, "Name", json::str("overlay"));
  json_t* gdd = json_object();
  json_object_set_new(gdd, "UpperDir", json::str(paths.upper(r.id)));
  json_object_set_new(gdd, "WorkDir", json::str(paths.work(r.id)));
  json_object_set_new(gdd, "MergedDir", json::str(paths.rootfs(r.id)));
  json_object_set_new(gd, "Data", gdd);
  json_object_set_new(j, "GraphDriver", gd);
  json_object_set_new(j, "Mounts", copy_or(doc.get(), "Mounts", json_array()));
  json_object_set_new(j, "Config", copy_or(doc.get(), "Config", json_object()));
  json_object_set_new(j, "NetworkSettings", network_settings(paths, r, doc.get()).release());
  return o;
}

}  // namespace hutch::engine
