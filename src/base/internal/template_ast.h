// The parse tree of base/template.h, shared by its parser and executor.
// Positions are byte offsets into the template text, which the tree keeps
// to turn them into Go's "line:col" in errors.
// Thread-safety: built once by the parser, then read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hutch::tmpl {

struct Pipe;

struct Operand {
  enum class Kind { kDot, kField, kVariable, kString, kNumber, kBool, kNil, kFunc, kPipe };
  Kind kind = Kind::kDot;
  size_t pos = 0;
  std::string name;                 // variable ("$x"), function, or string value
  std::vector<std::string> fields;  // the field chain after the term
  bool is_int = false;              // kNumber
  int64_t i = 0;
  double f = 0;
  bool b = false;                   // kBool
  std::shared_ptr<Pipe> pipe;       // kPipe (parenthesised)
  std::string text;                 // as written, for errors ("<.A.B>")
};

struct Command {
  size_t pos = 0;
  std::vector<Operand> args;
};

struct Pipe {
  size_t pos = 0;
  bool is_assign = false;          // "=" rather than ":="
  std::vector<std::string> decl;   // "$x" or "$i", "$e"
  std::vector<Command> cmds;
  std::string text;
};

struct Node {
  enum class Kind { kText, kAction, kIf, kRange, kWith, kBreak, kContinue };
  Kind kind = Kind::kText;
  size_t pos = 0;
  std::string text;  // kText
  std::shared_ptr<Pipe> pipe;
  std::vector<Node> list, else_list;
};

struct Tree {
  std::string source;
  std::vector<Node> root;
  // "line:col" of a byte offset, as Go's ErrorContext prints it.
  std::string location(size_t pos) const;
};

// Functions the parser accepts (Go checks names at parse time).
bool is_known_function(const std::string& name);

}  // namespace hutch::tmpl
