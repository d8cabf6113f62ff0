// docker's --format for hutch commands (docker/cli's formatter.Context):
// "table TEMPLATE" prints a header row (the template run over the column
// names) and aligns tab-separated columns like docker's tabwriter; "json"
// prints {{json .}} per row; any other value is a Go template run per row.
// In every form "\t" and "\n" written as two characters become a tab and a
// newline. Errors read "template parsing error: ..." as docker's do.
//
// Also docker's go-units and time formats, used by the rows: sizes
// ("4.26MB"), durations ("2 weeks"), Go's time.Time.String().
// Thread-safety: values; a Formatter is used by one thread.
#pragma once

#include <jansson.h>

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/template.h"

namespace hutch::cli {

class Formatter {
 public:
  // `format` as resolved by the command: "table" is already replaced by
  // the command's default table template.
  static Result<Formatter> parse(const std::string& format);
  bool is_table() const { return table_; }
  // Runs the template over one row and adds a newline.
  Status add(const json_t* row);
  // Runs the template over `data` alone: no newline, no header (docker's
  // system df -v with a custom format).
  Result<std::string> execute(const json_t* data) const;
  // The rows, below the header made from `header` (column names by field)
  // and aligned when a table.
  std::string finish(const json_t* header) const;

 private:
  Formatter(tmpl::Template t, bool table) : t_(std::move(t)), table_(table) {}
  tmpl::Template t_;
  bool table_;
  std::string body_;
};

// Aligns tab-terminated cells in columns, as Go's text/tabwriter with
// docker's settings: minimum width 10, padding 3, spaces.
std::string tabwrite(std::string_view text, size_t min_width = 10, size_t padding = 3);

// go-units: HumanSizeWithPrecision ("4.26MB" with 3), HumanSize (4).
std::string human_size(double bytes, int precision = 4);
// go-units HumanDuration: "Less than a second", "About a minute", "2 weeks".
std::string human_duration(int64_t seconds);
// Go's time.Unix(t, 0).String() in local time: "2024-01-02 03:04:05 +0000 UTC".
std::string go_time(int64_t unix_seconds);
// docker's stringid.TruncateID: "sha256:" dropped, 12 characters.
std::string truncate_id(const std::string& id);

}  // namespace hutch::cli
