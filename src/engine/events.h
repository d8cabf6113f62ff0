// docker events over the store's events table (state/db.h): the --since /
// --until time forms, --filter, docker's event object (for --format and
// the API) and its one-line default rendering.
// Thread-safety: pure functions; an EventFilter is a value.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "state/db.h"

namespace hutch::engine {

// docker's timetypes.GetTimestamp: a Go duration ("10m", "1h30m": that long
// before `now_ns`), an RFC 3339 time or a prefix of one ("2024-01-02",
// "2024-01-02T15:04:05.5+01:00"; local time without a zone), or unix
// seconds with an optional fraction ("1700000000.5"). Unix nanoseconds;
// EINVAL naming the value otherwise.
Result<int64_t> parse_timestamp(const std::string& value, int64_t now_ns);

// docker events --filter: the same key ORs, different keys AND. Keys:
// container (id, id prefix or name), event (action; "health_status"
// matches "health_status: healthy"), type, image, label (key or
// key=value, against the attributes), volume.
class EventFilter {
 public:
  // "key=value" terms; EINVAL for a malformed term or an unknown key.
  static Result<EventFilter> parse(const std::vector<std::string>& terms);
  bool matches(const state::EventRow& e) const;

 private:
  std::map<std::string, std::vector<std::string>> terms_;
};

// docker's events.Message: status, id, from (legacy, for container and
// image events), Type, Action, Actor{ID, Attributes}, scope, time,
// timeNano. New reference.
json_t* event_object(const state::EventRow& e);
// "2024-01-02T15:04:05.123456789+01:00 container start <id> (image=busybox,
// name=web)", in local time, without a newline.
std::string event_line(const state::EventRow& e);

}  // namespace hutch::engine
