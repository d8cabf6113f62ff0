// monitor_db_tool: a test helper that reads and writes container rows of
// the engine's database through state::Db, so end-to-end suites need not
// know the schema. Not installed.
//   monitor_db_tool insert DB ID NAME
//   monitor_db_tool get DB ID            (the row as JSON)
//   monitor_db_tool set-stopped DB ID 0|1
#include <cstdio>
#include <cstring>

#include "base/json.h"
#include "state/db.h"

using namespace hutch;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fputs("usage: monitor_db_tool insert|get|set-stopped DB ID [ARG]\n", stderr);
    return 2;
  }
  auto db = state::Db::open(argv[2]);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.error().message().c_str());
    return 1;
  }
  std::string cmd = argv[1], id = argv[3];
  Status st;
  if (cmd == "insert" && argc == 5) {
    state::ContainerRow r;
    r.id = id;
    r.name = argv[4];
    r.image = "busybox";
    r.image_id = "sha256:0";
    r.config = "{}";
    st = db->insert(r);
  } else if (cmd == "set-stopped" && argc == 5) {
    bool v = std::strcmp(argv[4], "1") == 0;
    st = db->update(id, [&](state::ContainerRow& r) -> Status {
      r.stopped_by_user = v;
      return {};
    });
  } else if (cmd == "get") {
    auto r = db->get(id);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.error().message().c_str());
      return 3;
    }
    json::Ptr o(json_object());
    json_t* j = o.get();
    json_object_set_new(j, "id", json::str(r->id));
    json_object_set_new(j, "name", json::str(r->name));
    json_object_set_new(j, "status", json::str(state::status_name(r->status)));
    json_object_set_new(j, "pid", json_integer(r->pid));
    json_object_set_new(j, "monitor_pid", json_integer(r->monitor_pid));
    json_object_set_new(j, "monitor_start", json_integer(static_cast<json_int_t>(r->monitor_start)));
    json_object_set_new(j, "exit_code", json_integer(r->exit_code));
    json_object_set_new(j, "started_at", json_integer(r->started_at));
    json_object_set_new(j, "finished_at", json_integer(r->finished_at));
    json_object_set_new(j, "restart_count", json_integer(r->restart_count));
    json_object_set_new(j, "stopped_by_user", json_boolean(r->stopped_by_user));
    json_object_set_new(j, "oom_killed", json_boolean(r->oom_killed));
    json_object_set_new(j, "error", json::str(r->error));
    json_object_set_new(j, "health", json::str(r->health));
    json_object_set_new(j, "health_failing_streak", json_integer(r->health_failing_streak));
    json_object_set_new(j, "health_log", json::str(r->health_log));
    json_object_set_new(j, "log_dropped", json_integer(static_cast<json_int_t>(r->log_dropped)));
    std::printf("%s\n", json::dump(j).c_str());
    return 0;
  } else {
    std::fputs("monitor_db_tool: bad arguments\n", stderr);
    return 2;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.error().message().c_str());
    return 1;
  }
  return 0;
}
