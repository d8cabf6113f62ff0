// What the container commands share: opening the store's containers and
// docker's usage errors. Thread-safety: single-threaded CLI.
#pragma once

#include <string>

#include "cli/commands.h"
#include "cli/attach.h"
#include "engine/containers.h"

namespace hutch::cli {

Result<engine::Containers> open_containers(const Global& g);
// `"hutch CMD" requires WHAT.` + the help hint; returns 125... docker uses 1
// for argument-count errors of container commands.
int usage_error(const char* cmd, const char* what);
// Runs attach + start (run, start -a): returns the container's exit code,
// -1 when the user detached.
Result<int> attach_and_start(engine::Containers& cs, const std::string& id, const AttachOptions& ao,
                             bool wait_removal, int* start_code);

}  // namespace hutch::cli
