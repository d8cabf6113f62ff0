// Template: Go's text/template language, as docker's --format flags use it,
// over a jansson value tree.
//
// Supported: literal text; {{pipeline}} with fields (.A.B), variables
// ($, $x := ..., $x = ...), parentheses, literals (strings, raw strings,
// characters, numbers, true/false/nil) and "|" pipes; {{if}}, {{else if}},
// {{with}}, {{else with}}, {{range}} (arrays, objects by sorted key, integers,
// with $i, $e := and {{break}}/{{continue}}), {{else}}, {{end}}; comments
// {{/* */}}; "{{- " and " -}}" whitespace trimming. Functions: and or not len
// index slice eq ne lt le gt ge print printf println, and docker's json split
// join title lower upper pad truncate. {{define}}, {{template}} and {{block}}
// are refused.
//
// Values print as Go prints them: arrays "[a b]", objects "map[k:v]" with
// sorted keys, JSON null and missing values "<no value>". Errors carry Go's
// text ("template: :1: function \"foo\" not defined", "template: :1:2:
// executing \"\" at <.Foo>: map has no entry for key \"Foo\"").
//
// Hostile templates are bounded: nesting (blocks and parentheses) is limited
// at parse time, and execution stops with an error past a step budget or an
// output size limit, so no template recurses deeply or runs unbounded.
// Thread-safety: a parsed Template is immutable; execute() may run from
// several threads at once over data no thread changes (it only takes
// jansson references, which jansson counts atomically).
#pragma once

#include <jansson.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace hutch::tmpl {

struct Tree;

struct Options {
  // docker's table headers: the template runs over an object of column
  // names, and json split join title lower upper truncate return their
  // (string) argument unchanged.
  bool header = false;
  // A field missing from an object is an error (Go's missingkey=error, and
  // what a Go struct does); without it the value is missing ("<no value>").
  bool missing_key_error = true;
  size_t max_output = 64 << 20;
  uint64_t max_steps = 10'000'000;
  // When set, receives the text written before an execution error (Go
  // leaves it in the writer; docker keeps it for table headers).
  std::string* partial = nullptr;
};

// Nesting of blocks and parentheses accepted by parse().
inline constexpr int kMaxDepth = 100;

class Template {
 public:
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

  // Parses `text`; errors are EINVAL with Go's message.
  static Result<Template> parse(std::string_view text);
  // Runs the template with `data` as dot and $; `data` may be null.
  Result<std::string> execute(const json_t* data, const Options& options = {}) const;

 private:
  Template();
  std::unique_ptr<Tree> tree_;
};

// Go's fmt %v of a value ("<no value>" for a null pointer or JSON null).
std::string print_value(const json_t* v);

}  // namespace hutch::tmpl
