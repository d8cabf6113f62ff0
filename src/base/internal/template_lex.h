// The lexer of base/template.h (Go's text/template/parse/lex.go) and the
// literal helpers the parser shares with it.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hutch::tmpl {

enum class Tok {
  kError, kEOF, kText, kLeftDelim, kRightDelim, kSpace, kPipe, kLeftParen, kRightParen, kDeclare, kAssign,
  kChar, kString, kRawString, kCharConstant, kNumber, kBool, kNil, kDot, kField, kVariable, kIdentifier,
  // Keywords: printed as "<name>" in errors.
  kKeyword, kBlock, kBreak, kContinue, kDefine, kElse, kEnd, kIf, kRange, kTemplate, kWith,
};

struct Token {
  Tok t = Tok::kEOF;
  size_t pos = 0;
  std::string val;
};


// The tokens of `text`, ending with kEOF or with a kError token whose
// value is Go's message.
std::vector<Token> lex(std::string_view text);
bool is_space(char c);
// Go's strconv.Unquote for "..." and '...' literals; false on a bad escape.
bool unquote(std::string_view q, std::string* out);
// The first code point of a UTF-8 string (for character constants).
int64_t first_rune(const std::string& s);
// Go's %q, for the printable text of tokens.
std::string quote(std::string_view v);
// Go's item.String() in "unexpected ..." errors.
std::string tok_string(const Token& t);

}  // namespace hutch::tmpl
