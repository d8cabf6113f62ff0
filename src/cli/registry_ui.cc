#include "cli/registry_ui.h"

#include <signal.h>

#include "registry/http.h"

namespace hutch::cli {

void prepare_network() {
  ::signal(SIGPIPE, SIG_IGN);
  registry::http_global_init();
}

engine::PullProgress pull_progress(Progress& prog) {
  return [&prog](const engine::PullEvent& e) {
    using K = engine::PullEvent::Kind;
    switch (e.kind) {
      case K::kResolved:
        break;
      case K::kLayerQueued:
        prog.status(e.layer, "Pulling fs layer");
        break;
      case K::kLayerExists:
        prog.status(e.layer, "Already exists");
        break;
      case K::kLayerBytes:
        prog.bytes(e.layer, "Downloading", e.current, e.total);
        break;
      case K::kLayerDone:
        prog.status(e.layer, "Pull complete");
        break;
    }
  };
}

engine::PushProgress push_progress(Progress& prog) {
  return [&prog](const engine::PushEvent& e) {
    using K = engine::PushEvent::Kind;
    switch (e.kind) {
      case K::kPreparing:
        prog.status(e.layer, "Preparing");
        break;
      case K::kExists:
        prog.status(e.layer, "Layer already exists");
        break;
      case K::kMounted:
        prog.status(e.layer, "Mounted from " + e.text);
        break;
      case K::kBytes:
        prog.bytes(e.layer, e.text.empty() ? "Pushing" : e.text, e.current, e.total);
        break;
      case K::kPushed:
        prog.status(e.layer, "Pushed");
        break;
    }
  };
}

}  // namespace hutch::cli
