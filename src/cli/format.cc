#include "cli/format.h"

#include <time.h>

#include <cstdio>
#include <ctime>
#include <vector>

namespace hutch::cli {

namespace {

// Terminal columns of one code point, as go-runewidth counts East Asian
// wide and fullwidth forms (2) and combining marks (0).
size_t rune_width(uint32_t r) {
  if (r == 0 || (r >= 0x300 && r <= 0x36F) || r == 0x200B) return 0;
  if ((r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0xA4CF && r != 0x303F) || (r >= 0xAC00 && r <= 0xD7A3) ||
      (r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
      (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) || (r >= 0x1F900 && r <= 0x1F9FF) ||
      (r >= 0x20000 && r <= 0x3FFFD))
    return 2;
  return 1;
}

size_t display_width(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t r = c;
    size_t n = 1;
    if (c >= 0xF0) n = 4, r = c & 0x07;
    else if (c >= 0xE0) n = 3, r = c & 0x0F;
    else if (c >= 0xC0) n = 2, r = c & 0x1F;
    for (size_t k = 1; k < n && i + k < s.size(); ++k) r = (r << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    w += rune_width(r);
    i += n;
  }
  return w;
}

Error template_error(const Error& e) { return Error::plain(EINVAL, "template parsing error: " + e.innermost()); }

}  // namespace

Result<Formatter> Formatter::parse(const std::string& format) {
  std::string f = format;
  bool table = f.rfind("table", 0) == 0;
  if (table) f = f.substr(5);
  else if (f == "json") f = "{{json .}}";
  size_t b = f.find_first_not_of(' ');
  size_t e = f.find_last_not_of(' ');
  f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 1 < f.size() && (f[i + 1] == 't' || f[i + 1] == 'n')) {
      out += f[++i] == 't' ? '\t' : '\n';
      continue;
    }
    out += f[i];
  }
  auto t = tmpl::Template::parse(out);
  if (!t.ok()) return template_error(t.error());
  return Formatter(std::move(t).value(), table);
}

Status Formatter::add(const json_t* row) {
  auto r = t_.execute(row);
  if (!r.ok()) return template_error(r.error());
  body_ += *r;
  body_ += '\n';
  return {};
}

Result<std::string> Formatter::execute(const json_t* data) const {
  auto r = t_.execute(data);
  if (!r.ok()) return template_error(r.error());
  return r;
}

std::string Formatter::finish(const json_t* header) const {
  if (!table_) return body_;
  tmpl::Options o;
  o.header = true;
  o.missing_key_error = false;
  std::string head;
  o.partial = &head;
  auto r = t_.execute(header, o);
  if (r.ok()) head = *r;
  return tabwrite(head + "\n" + body_);
}

std::string tabwrite(std::string_view text, size_t min_width, size_t padding) {
  struct Cell {
    size_t start, size, width;
    size_t run;
  };
  std::vector<std::vector<Cell>> lines(1);
  size_t start = 0;
  auto end_cell = [&](size_t at) {
    std::string_view c = text.substr(start, at - start);
    lines.back().push_back({start, c.size(), display_width(c), 0});
    start = at + 1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\t' || c == '\v') {
      end_cell(i);
    } else if (c == '\n' || c == '\f') {
      end_cell(i);
      lines.emplace_back();
    }
  }
  if (start < text.size()) end_cell(text.size());
  // A column block is a run of adjacent lines that all have a
  // tab-terminated cell in that column; its width fits the widest cell.
  // Runs of column j nest inside runs of column j-1, so one pass with a
  // stack of open runs finds them all.
  std::vector<size_t> widths;  // per run
  std::vector<size_t> open;    // run of each open column
  for (auto& line : lines) {
    size_t cols = line.empty() ? 0 : line.size() - 1;
    if (open.size() > cols) open.resize(cols);
    for (size_t j = 0; j < cols; ++j) {
      size_t w = line[j].width + padding;
      if (j == open.size()) {
        open.push_back(widths.size());
        widths.push_back(min_width);
      }
      size_t run = open[j];
      if (w > widths[run]) widths[run] = w;
      line[j].run = run;
    }
  }
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    for (size_t j = 0; j < line.size(); ++j) {
      out.append(text.substr(line[j].start, line[j].size));
      if (j + 1 < line.size()) out.append(widths[line[j].run] - line[j].width, ' ');
    }
    if (i + 1 < lines.size()) out += '\n';
  }
  return out;
}

std::string human_size(double bytes, int precision) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  int u = 0;
  while (bytes >= 1000 && u < 8) {
    bytes /= 1000;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g%s", precision, bytes, kUnits[u]);
  return buf;
}

std::string human_duration(int64_t s) {
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return std::to_string(s) + " seconds";
  int64_t minutes = s / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  int64_t hours = (s + 1800) / 3600;  // Go rounds to the nearest hour here
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(s / 3600 / 24 / 365) + " years";
}

std::string go_time(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  if (!::localtime_r(&t, &tm)) return std::to_string(unix_seconds);
  char buf[96];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return buf;
}

std::string truncate_id(const std::string& id) {
  std::string s = id.substr(id.find(':') == std::string::npos ? 0 : id.find(':') + 1);
  return s.substr(0, 12);
}

}  // namespace hutch::cli
