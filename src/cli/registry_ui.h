// What the registry commands (pull, push, login, search, manifest push)
// share: process set-up for network use, and docker's per-layer progress
// lines for pulls and pushes drawn on a Progress.
// Thread-safety: the renderers are called as the engine calls progress
// callbacks (serialised).
#pragma once

#include "cli/progress.h"
#include "engine/pull.h"
#include "engine/push.h"

namespace hutch::cli {

// Ignores SIGPIPE (a registry closing a connection mid-write must not
// kill us) and initialises the HTTP library; call before any thread.
void prepare_network();

// docker's pull and push status lines, drawn on `prog`.
engine::PullProgress pull_progress(Progress& prog);
engine::PushProgress push_progress(Progress& prog);

}  // namespace hutch::cli
