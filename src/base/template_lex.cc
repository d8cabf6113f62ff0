// The lexer of base/template.h, following Go's text/template/parse/lex.go
// closely enough that error messages match.
#include <cstdio>

#include "base/internal/template_lex.h"

namespace hutch::tmpl {

namespace {

bool is_alnum(char c) {
  auto u = static_cast<unsigned char>(c);
  // Bytes of multi-byte UTF-8 sequences count as letters, as Go's
  // unicode.IsLetter does for most of what they encode.
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || u >= 0x80;
}

// Go's "%#U" for an unexpected character.
std::string describe_char(unsigned char c) {
  char buf[32];
  if (c >= 0x20 && c < 0x7f) std::snprintf(buf, sizeof buf, "U+%04X '%c'", c, c);
  else std::snprintf(buf, sizeof buf, "U+%04X", c);
  return buf;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> run() {
    while (!done_) {
      if (in_action_) lex_inside_action();
      else lex_text();
    }
    return std::move(out_);
  }

 private:
  bool at(size_t p, std::string_view s) const { return in_.substr(p, s.size()) == s; }
  void emit(Tok t, size_t start, size_t end) { out_.push_back({t, start, std::string(in_.substr(start, end - start))}); }
  void error(std::string msg) {
    out_.push_back({Tok::kError, pos_, std::move(msg)});
    done_ = true;
  }
  // " -}}" at p: a trim marker and the right delimiter.
  bool at_trim_right(size_t p) const { return p + 1 < in_.size() && is_space(in_[p]) && in_[p + 1] == '-' && at(p + 2, "}}"); }

  void lex_text() {
    size_t x = in_.find("{{", pos_);
    if (x == std::string_view::npos) {
      if (pos_ < in_.size()) emit(Tok::kText, pos_, in_.size());
      out_.push_back({Tok::kEOF, in_.size(), ""});
      done_ = true;
      return;
    }
    bool trim = x + 3 < in_.size() && in_[x + 2] == '-' && is_space(in_[x + 3]);
    size_t end = x;
    if (trim)
      while (end > pos_ && is_space(in_[end - 1])) --end;
    if (end > pos_) emit(Tok::kText, pos_, end);
    pos_ = x + 2 + (trim ? 2 : 0);
    if (at(pos_, "/*")) {
      lex_comment(x);
      return;
    }
    emit(Tok::kLeftDelim, x, x + 2);
    in_action_ = true;
    paren_depth_ = 0;
  }

  void lex_comment(size_t start) {
    size_t e = in_.find("*/", pos_ + 2);
    if (e == std::string_view::npos) {
      pos_ = start;
      return error("unclosed comment");
    }
    pos_ = e + 2;
    if (at_trim_right(pos_)) {
      pos_ += 4;
      while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
    } else if (at(pos_, "}}")) {
      pos_ += 2;
    } else {
      return error("comment ends before closing delimiter");
    }
  }

  // After the right delimiter: back to text, trimming when marked.
  void right_delim(bool trim) {
    size_t start = pos_ + (trim ? 2 : 0);
    emit(Tok::kRightDelim, start, start + 2);
    pos_ = start + 2;
    if (trim)
      while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
    in_action_ = false;
  }

  bool at_terminator(size_t p) const {
    if (p >= in_.size()) return true;
    char c = in_[p];
    if (is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(') return true;
    return at(p, "}}");
  }

  void lex_inside_action() {
    bool trim = at_trim_right(pos_);
    if (trim || at(pos_, "}}")) {
      if (paren_depth_ > 0) return error("unclosed left paren");
      return right_delim(trim);
    }
    if (pos_ >= in_.size()) return error("unclosed action");
    size_t start = pos_;
    char c = in_[pos_];
    if (is_space(c)) {
      size_t p = pos_;
      while (p < in_.size() && is_space(in_[p])) ++p;
      // A space before "-}}" belongs to the delimiter.
      if (at_trim_right(p - 1)) {
        pos_ = p - 1;
        if (p - 1 > start) emit(Tok::kSpace, start, p - 1);
        return;
      }
      pos_ = p;
      return emit(Tok::kSpace, start, p);
    }
    ++pos_;
    switch (c) {
      case '=':
        return emit(Tok::kAssign, start, pos_);
      case ':':
        if (pos_ >= in_.size() || in_[pos_] != '=') return error("expected :=");
        ++pos_;
        return emit(Tok::kDeclare, start, pos_);
      case '|':
        return emit(Tok::kPipe, start, pos_);
      case '"':
        return lex_quote(start);
      case '`':
        return lex_raw(start);
      case '\'':
        return lex_char(start);
      case '$':
        return lex_field_or_variable(start, Tok::kVariable);
      case '.':
        if (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
          pos_ = start;
          return lex_number(start);
        }
        return lex_field_or_variable(start, Tok::kField);
      case '(':
        ++paren_depth_;
        return emit(Tok::kLeftParen, start, pos_);
      case ')':
        if (--paren_depth_ < 0) return error("unexpected right paren");
        return emit(Tok::kRightParen, start, pos_);
      default:
        break;
    }
    if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
      pos_ = start;
      return lex_number(start);
    }
    if (is_alnum(c)) {
      while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
      if (!at_terminator(pos_)) return error("bad character " + describe_char(static_cast<unsigned char>(in_[pos_])));
      std::string_view w = in_.substr(start, pos_ - start);
      static const std::pair<std::string_view, Tok> kWords[] = {
          {"block", Tok::kBlock}, {"break", Tok::kBreak},   {"continue", Tok::kContinue}, {"define", Tok::kDefine},
          {"else", Tok::kElse},   {"end", Tok::kEnd},       {"if", Tok::kIf},             {"range", Tok::kRange},
          {"nil", Tok::kNil},     {"template", Tok::kTemplate}, {"with", Tok::kWith},     {"true", Tok::kBool},
          {"false", Tok::kBool}};
      for (const auto& [k, t] : kWords)
        if (w == k) return emit(t, start, pos_);
      return emit(Tok::kIdentifier, start, pos_);
    }
    if (static_cast<unsigned char>(c) < 0x7f && static_cast<unsigned char>(c) > 0x20) return emit(Tok::kChar, start, pos_);
    pos_ = start;
    return error("unrecognized character in action: " + describe_char(static_cast<unsigned char>(c)));
  }

  void lex_field_or_variable(size_t start, Tok t) {
    if (at_terminator(pos_)) return emit(t == Tok::kVariable ? Tok::kVariable : Tok::kDot, start, pos_);
    while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
    if (!at_terminator(pos_)) return error("bad character " + describe_char(static_cast<unsigned char>(in_[pos_])));
    emit(t, start, pos_);
  }

  void lex_quote(size_t start) {
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return error("unterminated quoted string");
      char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return error("unterminated quoted string");
        ++pos_;
      } else if (c == '"') {
        return emit(Tok::kString, start, pos_);
      }
    }
  }

  void lex_raw(size_t start) {
    size_t e = in_.find('`', pos_);
    if (e == std::string_view::npos) return error("unterminated raw quoted string");
    pos_ = e + 1;
    emit(Tok::kRawString, start, pos_);
  }

  void lex_char(size_t start) {
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return error("unterminated character constant");
      char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return error("unterminated character constant");
        ++pos_;
      } else if (c == '\'') {
        return emit(Tok::kCharConstant, start, pos_);
      }
    }
  }

  void lex_number(size_t start) {
    size_t p = pos_;
    if (p < in_.size() && (in_[p] == '+' || in_[p] == '-')) ++p;
    bool hex = at(p, "0x") || at(p, "0X");
    std::string_view digits = hex ? "0123456789abcdefABCDEF_" : "0123456789_";
    if (hex) p += 2;
    while (p < in_.size() && digits.find(in_[p]) != std::string_view::npos) ++p;
    if (p < in_.size() && in_[p] == '.') {
      ++p;
      while (p < in_.size() && digits.find(in_[p]) != std::string_view::npos) ++p;
    }
    if (!hex && p < in_.size() && (in_[p] == 'e' || in_[p] == 'E')) {
      ++p;
      if (p < in_.size() && (in_[p] == '+' || in_[p] == '-')) ++p;
      while (p < in_.size() && in_[p] >= '0' && in_[p] <= '9') ++p;
    }
    if (p < in_.size() && is_alnum(in_[p])) {
      ++p;
      pos_ = p;
      return error("bad number syntax: \"" + std::string(in_.substr(start, p - start)) + "\"");
    }
    pos_ = p;
    emit(Tok::kNumber, start, p);
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool in_action_ = false;
  bool done_ = false;
  int paren_depth_ = 0;
  std::vector<Token> out_;
};


// Appends code point `cp` as UTF-8; false for surrogates and past U+10FFFF.
bool put_utf8(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return true;
}

}  // namespace

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::vector<Token> lex(std::string_view text) { return Lexer(text).run(); }

bool unquote(std::string_view q, std::string* out) {
  out->clear();
  if (q.size() < 2) return false;
  char quote = q[0];
  std::string_view in = q.substr(1, q.size() - 2);
  size_t i = 0;
  auto digits = [&](size_t n, int base, uint32_t* v) {
    *v = 0;
    for (size_t k = 0; k < n; ++k, ++i) {
      if (i >= in.size()) return false;
      char h = in[i];
      int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99;
      if (d >= base) return false;
      *v = *v * static_cast<uint32_t>(base) + static_cast<uint32_t>(d);
    }
    return true;
  };
  while (i < in.size()) {
    char c = in[i++];
    if (c != '\\') {
      *out += c;
      continue;
    }
    if (i >= in.size()) return false;
    char e = in[i++];
    uint32_t v = 0;
    switch (e) {
      case 'a': *out += '\a'; break;
      case 'b': *out += '\b'; break;
      case 'f': *out += '\f'; break;
      case 'n': *out += '\n'; break;
      case 'r': *out += '\r'; break;
      case 't': *out += '\t'; break;
      case 'v': *out += '\v'; break;
      case '\\': *out += '\\'; break;
      case '"':
      case '\'':
        if (e != quote) return false;
        *out += e;
        break;
      case 'x':
        if (!digits(2, 16, &v)) return false;
        *out += static_cast<char>(v);
        break;
      case 'u':
        if (!digits(4, 16, &v) || !put_utf8(v, out)) return false;
        break;
      case 'U':
        if (!digits(8, 16, &v) || !put_utf8(v, out)) return false;
        break;
      default:
        if (e < '0' || e > '7') return false;
        --i;
        if (!digits(3, 8, &v) || v > 255) return false;
        *out += static_cast<char>(v);
        break;
    }
  }
  return true;
}

int64_t first_rune(const std::string& s) {
  if (s.empty()) return 0;
  auto u = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (u(0) < 0x80) return u(0);
  if ((u(0) & 0xE0) == 0xC0 && s.size() >= 2) return ((u(0) & 0x1F) << 6) | (u(1) & 0x3F);
  if ((u(0) & 0xF0) == 0xE0 && s.size() >= 3) return ((u(0) & 0x0F) << 12) | ((u(1) & 0x3F) << 6) | (u(2) & 0x3F);
  if (s.size() >= 4) return ((u(0) & 0x07) << 18) | ((u(1) & 0x3F) << 12) | ((u(2) & 0x3F) << 6) | (u(3) & 0x3F);
  return u(0);
}

std::string quote(std::string_view v) {
  std::string q = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') q += '\\', q += c;
    else if (c == '\n') q += "\\n";
    else if (c == '\t') q += "\\t";
    else if (c == '\r') q += "\\r";
    else q += c;
  }
  return q + "\"";
}

std::string tok_string(const Token& t) {
  if (t.t == Tok::kEOF) return "EOF";
  if (t.t == Tok::kError) return t.val;
  if (t.t > Tok::kKeyword) return "<" + t.val + ">";
  std::string v = t.val;
  bool cut = false;
  // %.10q: at most ten runes, then quoted.
  size_t runes = 0, i = 0;
  for (; i < v.size(); ++i)
    if ((static_cast<unsigned char>(v[i]) & 0xC0) != 0x80 && ++runes > 10) break;
  if (i < v.size()) {
    v.resize(i);
    cut = true;
  }
  return quote(v) + (cut ? "..." : "");
}

}  // namespace hutch::tmpl
