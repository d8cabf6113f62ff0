#include "cli/progress.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace hutch::cli {
namespace {

int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string short_id(const std::string& digest) {
  auto colon = digest.find(':');
  std::string hex = colon == std::string::npos ? digest : digest.substr(colon + 1);
  return hex.substr(0, 12);
}

}  // namespace

std::string human_bytes(uint64_t b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
  return buf;
}

Progress::Mode Progress::detect(bool quiet) {
  if (quiet) return Mode::kQuiet;
  return ::isatty(1) ? Mode::kTerminal : Mode::kPlain;
}

Progress::Row& Progress::row(const std::string& digest) {
  std::string id = short_id(digest);
  for (auto& r : rows_)
    if (r.id == id) return r;
  rows_.push_back({id, ""});
  return rows_.back();
}

void Progress::status(const std::string& digest, const std::string& text) {
  if (mode_ == Mode::kQuiet) return;
  Row& r = row(digest);
  if (r.text == text) return;
  r.text = text;
  if (mode_ == Mode::kPlain) {
    std::printf("%s: %s\n", r.id.c_str(), text.c_str());
    std::fflush(stdout);
    return;
  }
  redraw(true);
}

void Progress::bytes(const std::string& digest, const std::string& verb, uint64_t current, uint64_t total) {
  if (mode_ != Mode::kTerminal) return;  // plain output shows states only, as docker does
  Row& r = row(digest);
  std::string bar;
  if (total > 0) {
    int width = 50;
    int filled = static_cast<int>(static_cast<double>(current) / static_cast<double>(total) * width);
    if (filled > width) filled = width;
    bar = "[" + std::string(filled > 0 ? filled - 1 : 0, '=') + (filled > 0 ? ">" : "") +
          std::string(width - filled, ' ') + "] ";
  }
  r.text = verb + " " + bar + human_bytes(current) + (total ? "/" + human_bytes(total) : "");
  redraw(false);
}

void Progress::line(const std::string& text) {
  if (mode_ == Mode::kQuiet) return;
  // Rows drawn so far are finished: show their last state, then leave them
  // above this line.
  if (mode_ == Mode::kTerminal && !rows_.empty()) redraw(true);
  rows_.clear();
  drawn_ = 0;
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

void Progress::redraw(bool force) {
  int64_t t = now_ms();
  if (!force && t - last_draw_ms_ < 100) return;
  last_draw_ms_ = t;
  std::string out;
  // Up to the first row, then rewrite every row, clearing each line.
  if (drawn_ > 0) out += "\033[" + std::to_string(drawn_) + "A";
  for (const auto& r : rows_) out += "\r\033[2K" + r.id + ": " + r.text + "\n";
  drawn_ = rows_.size();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace hutch::cli
