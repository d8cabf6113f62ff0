// Progress: docker's per-layer status lines for pull and push. On a
// terminal each layer keeps one line, redrawn in place with a bar; on
// anything else only changes of state are printed, one line each; quiet
// prints nothing. Thread-safety: called by one thread at a time (the
// engine serialises its progress callbacks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hutch::cli {

class Progress {
 public:
  enum class Mode { kQuiet, kPlain, kTerminal };
  // kTerminal when stdout is a terminal, else kPlain; kQuiet when `quiet`.
  static Mode detect(bool quiet);
  explicit Progress(Mode mode) : mode_(mode) {}

  // Sets a layer's status ("Pulling fs layer", "Pull complete").
  void status(const std::string& digest, const std::string& text);
  // Updates a layer's bar ("Downloading", bytes done of total).
  void bytes(const std::string& digest, const std::string& verb, uint64_t current, uint64_t total);
  // A line that is not about a layer.
  void line(const std::string& text);

 private:
  struct Row {
    std::string id;
    std::string text;
  };
  Row& row(const std::string& digest);
  void redraw(bool force);

  Mode mode_;
  std::vector<Row> rows_;
  size_t drawn_ = 0;       // rows on the screen below the cursor's start
  int64_t last_draw_ms_ = 0;
};

// "12.3MB" as docker writes sizes (decimal units).
std::string human_bytes(uint64_t b);

}  // namespace hutch::cli
