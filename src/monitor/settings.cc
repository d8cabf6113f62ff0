#include "monitor/settings.h"

#include "base/json.h"

namespace hutch::monitor {

namespace {

// The document is flat: one member per Settings field, same names, with
// "rootfs" and "health" as objects of their structs' fields.

void set_str(json_t* o, const char* key, const std::string& v) { json_object_set_new(o, key, json::str(v)); }
void set_int(json_t* o, const char* key, int64_t v) { json_object_set_new(o, key, json_integer(v)); }
void set_bool(json_t* o, const char* key, bool v) { json_object_set_new(o, key, json_boolean(v)); }

// Typed readers: a missing member keeps the default; a member of the wrong
// type is an error naming it.
class Reader {
 public:
  explicit Reader(const json_t* o, std::string prefix = "") : o_(o), prefix_(std::move(prefix)) {}

  void str(const char* key, std::string* out) {
    json_t* v = json_object_get(o_, key);
    if (!v || json_is_null(v)) return;
    if (!json_is_string(v)) return fail(key, "a string");
    *out = json_string_value(v);
  }
  void strings(const char* key, std::vector<std::string>* out) {
    json_t* v = json_object_get(o_, key);
    if (!v || json_is_null(v)) return;
    if (!json_is_array(v)) return fail(key, "an array of strings");
    size_t i;
    json_t* e;
    json_array_foreach(v, i, e) {
      if (!json_is_string(e)) return fail(key, "an array of strings");
    }
    *out = json::strings_of(v);
  }
  template <typename T>
  void integer(const char* key, T* out) {
    json_t* v = json_object_get(o_, key);
    if (!v || json_is_null(v)) return;
    if (!json_is_integer(v)) return fail(key, "an integer");
    *out = static_cast<T>(json_integer_value(v));
  }
  void boolean(const char* key, bool* out) {
    json_t* v = json_object_get(o_, key);
    if (!v || json_is_null(v)) return;
    if (!json_is_boolean(v)) return fail(key, "a boolean");
    *out = json_is_true(v);
  }
  const std::string& error() const { return error_; }

 private:
  void fail(const char* key, const char* what) {
    if (error_.empty()) error_ = "\"" + prefix_ + key + "\" must be " + what;
  }
  const json_t* o_;
  std::string prefix_;
  std::string error_;
};

}  // namespace

std::string to_json(const Settings& s) {
  json::Ptr o(json_object());
  json_t* j = o.get();
  set_str(j, "id", s.id);
  set_str(j, "name", s.name);
  set_str(j, "image", s.image);
  set_str(j, "db", s.db);
  set_str(j, "bundle", s.bundle);
  set_str(j, "rundir", s.rundir);
  set_str(j, "runtime", s.runtime);
  set_str(j, "runtime_root", s.runtime_root);
  json_object_set_new(j, "runtime_args", json::string_array(s.runtime_args));
  json_t* r = json_object();
  json_object_set_new(r, "lower", json::string_array(s.rootfs.lower));
  set_str(r, "upper", s.rootfs.upper);
  set_str(r, "work", s.rootfs.work);
  set_str(r, "target", s.rootfs.target);
  if (s.rootfs.volatile_upper) json_object_set_new(r, "volatile", json_true());
  json_object_set_new(j, "rootfs", r);
  set_bool(j, "terminal", s.terminal);
  set_bool(j, "stdin_open", s.stdin_open);
  set_str(j, "log_path", s.log_path);
  set_int(j, "log_max_size", static_cast<int64_t>(s.log_max_size));
  set_int(j, "log_max_file", s.log_max_file);
  set_int(j, "log_rate", static_cast<int64_t>(s.log_rate));
  set_str(j, "restart", s.restart);
  set_int(j, "restart_max", s.restart_max);
  set_bool(j, "has_healthcheck", s.has_healthcheck);
  json_t* h = json_object();
  json_object_set_new(h, "test", json::string_array(s.health.test));
  set_int(h, "interval_ns", s.health.interval_ns);
  set_int(h, "timeout_ns", s.health.timeout_ns);
  set_int(h, "start_period_ns", s.health.start_period_ns);
  set_int(h, "retries", s.health.retries);
  set_str(h, "on_failure", s.health.on_failure);
  json_object_set_new(j, "health", h);
  set_bool(j, "auto_remove", s.auto_remove);
  set_bool(j, "loopback_up", s.loopback_up);
  set_bool(j, "engine_records_pid", s.engine_records_pid);
  if (s.shm_shareable) {
    set_bool(j, "shm_shareable", true);
    json_object_set_new(j, "shm_size", json_integer(static_cast<json_int_t>(s.shm_size)));
  }
  set_str(j, "network_dir", s.network_dir);
  json_object_set_new(j, "remove_dirs", json::string_array(s.remove_dirs));
  set_str(j, "stop_signal", s.stop_signal);
  set_int(j, "stop_timeout", s.stop_timeout);
  return json::dump(j, 1);
}

Result<Settings> parse_settings(const std::string& text) {
  ASSIGN_OR_RETURN(json::Ptr doc, json::parse(text));
  if (!json_is_object(doc.get())) return Error::plain(EINVAL, "monitor settings: not a JSON object");
  Settings s;
  Reader r(doc.get());
  r.str("id", &s.id);
  r.str("name", &s.name);
  r.str("image", &s.image);
  r.str("db", &s.db);
  r.str("bundle", &s.bundle);
  r.str("rundir", &s.rundir);
  r.str("runtime", &s.runtime);
  r.str("runtime_root", &s.runtime_root);
  r.strings("runtime_args", &s.runtime_args);
  r.boolean("terminal", &s.terminal);
  r.boolean("stdin_open", &s.stdin_open);
  r.str("log_path", &s.log_path);
  r.integer("log_max_size", &s.log_max_size);
  r.integer("log_max_file", &s.log_max_file);
  r.integer("log_rate", &s.log_rate);
  r.str("restart", &s.restart);
  r.integer("restart_max", &s.restart_max);
  r.boolean("has_healthcheck", &s.has_healthcheck);
  r.boolean("auto_remove", &s.auto_remove);
  r.boolean("loopback_up", &s.loopback_up);
  r.boolean("engine_records_pid", &s.engine_records_pid);
  r.boolean("shm_shareable", &s.shm_shareable);
  if (json_t* v = json_object_get(doc.get(), "shm_size"); json_is_integer(v) && json_integer_value(v) > 0)
    s.shm_size = static_cast<uint64_t>(json_integer_value(v));
  r.str("network_dir", &s.network_dir);
  r.strings("remove_dirs", &s.remove_dirs);
  r.str("stop_signal", &s.stop_signal);
  r.integer("stop_timeout", &s.stop_timeout);
  if (!r.error().empty()) return Error::plain(EINVAL, "monitor settings: " + r.error());

  if (json_t* ro = json_object_get(doc.get(), "rootfs"); ro && !json_is_null(ro)) {
    if (!json_is_object(ro)) return Error::plain(EINVAL, "monitor settings: \"rootfs\" must be an object");
    Reader rr(ro, "rootfs.");
    rr.strings("lower", &s.rootfs.lower);
    rr.str("upper", &s.rootfs.upper);
    rr.str("work", &s.rootfs.work);
    rr.str("target", &s.rootfs.target);
    rr.boolean("volatile", &s.rootfs.volatile_upper);
    if (!rr.error().empty()) return Error::plain(EINVAL, "monitor settings: " + rr.error());
  }
  if (json_t* ho = json_object_get(doc.get(), "health"); ho && !json_is_null(ho)) {
    if (!json_is_object(ho)) return Error::plain(EINVAL, "monitor settings: \"health\" must be an object");
    Reader hr(ho, "health.");
    hr.strings("test", &s.health.test);
    hr.integer("interval_ns", &s.health.interval_ns);
    hr.integer("timeout_ns", &s.health.timeout_ns);
    hr.integer("start_period_ns", &s.health.start_period_ns);
    hr.integer("retries", &s.health.retries);
    hr.str("on_failure", &s.health.on_failure);
    if (!hr.error().empty()) return Error::plain(EINVAL, "monitor settings: " + hr.error());
  }

  if (s.id.empty()) return Error::plain(EINVAL, "monitor settings: \"id\" is missing");
  if (s.bundle.empty() || s.rundir.empty() || s.runtime.empty())
    return Error::plain(EINVAL, "monitor settings: \"bundle\", \"rundir\" and \"runtime\" are required");
  if (s.restart != "no" && s.restart != "on-failure" && s.restart != "always" && s.restart != "unless-stopped")
    return Error::plain(EINVAL, "monitor settings: unknown restart policy \"" + s.restart + "\"");
  if (s.health.on_failure != "none" && s.health.on_failure != "kill" && s.health.on_failure != "restart")
    return Error::plain(EINVAL, "monitor settings: unknown health on_failure \"" + s.health.on_failure + "\"");
  if (s.has_healthcheck && s.health.test.empty())
    return Error::plain(EINVAL, "monitor settings: a health check needs \"health.test\"");
  if (s.has_healthcheck && (s.health.interval_ns <= 0 || s.health.timeout_ns <= 0))
    return Error::plain(EINVAL, "monitor settings: health interval and timeout must be positive");
  if (s.log_max_file < 1) s.log_max_file = 1;
  return s;
}

}  // namespace hutch::monitor
