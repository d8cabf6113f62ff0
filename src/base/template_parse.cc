// Lexer and parser of base/template.h, following Go's text/template/parse
// (lex.go, parse.go) closely enough that error messages match.
#include <cstdio>
#include <cstdlib>

#include "base/internal/template_ast.h"
#include "base/template.h"

namespace hutch::tmpl {

namespace {

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

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
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

// Go's strconv.Unquote for "..." and '...' literals; false on a bad escape.
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

// The first code point of a UTF-8 string (for character constants).
int64_t first_rune(const std::string& s) {
  if (s.empty()) return 0;
  auto u = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (u(0) < 0x80) return u(0);
  if ((u(0) & 0xE0) == 0xC0 && s.size() >= 2) return ((u(0) & 0x1F) << 6) | (u(1) & 0x3F);
  if ((u(0) & 0xF0) == 0xE0 && s.size() >= 3) return ((u(0) & 0x0F) << 12) | ((u(1) & 0x3F) << 6) | (u(2) & 0x3F);
  if (s.size() >= 4) return ((u(0) & 0x07) << 18) | ((u(1) & 0x3F) << 12) | ((u(2) & 0x3F) << 6) | (u(3) & 0x3F);
  return u(0);
}

// Go's %q, for the printable text of tokens.
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

// Go's item.String() in "unexpected ..." errors.
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

class Parser {
 public:
  Parser(Tree* tree, std::vector<Token> toks) : tree_(tree), toks_(std::move(toks)) {}

  Status parse() {
    vars_ = {"$"};
    while (peek().t != Tok::kEOF) {
      Node n;
      bool is_end = false, is_else = false;
      TRY(text_or_action(&n, &is_end, &is_else));
      if (is_end) return fail_at(last_, "unexpected {{end}}");
      if (is_else) return fail_at(last_, "unexpected {{else}}");
      tree_->root.push_back(std::move(n));
    }
    return {};
  }

 private:
  const Token& peek() const { return toks_[std::min(i_, toks_.size() - 1)]; }
  const Token& next() {
    last_ = std::min(i_, toks_.size() - 1);
    if (i_ < toks_.size()) ++i_;
    return toks_[last_];
  }
  const Token& peek_non_space() {
    while (peek().t == Tok::kSpace) next();
    return peek();
  }
  const Token& next_non_space() {
    while (peek().t == Tok::kSpace) next();
    return next();
  }
  void backup() { i_ = last_; }

  Error fail_at(size_t tok, const std::string& msg) const {
    size_t pos = toks_[tok].pos;
    int line = 1;
    for (size_t k = 0; k < pos && k < tree_->source.size(); ++k)
      if (tree_->source[k] == '\n') ++line;
    return Error::plain(EINVAL, "template: :" + std::to_string(line) + ": " + msg);
  }
  Error fail(const std::string& msg) const { return fail_at(last_, msg); }
  Error unexpected(const Token& t, const std::string& context) const {
    if (t.t == Tok::kError) return fail(t.val);
    return fail("unexpected " + tok_string(t) + " in " + context);
  }

  Status enter() {
    if (++depth_ > kMaxDepth) return fail("max expression depth exceeded");
    return {};
  }

  Status text_or_action(Node* n, bool* is_end, bool* is_else) {
    const Token& t = next_non_space();
    if (t.t == Tok::kText) {
      n->kind = Node::Kind::kText;
      n->pos = t.pos;
      n->text = t.val;
      return {};
    }
    if (t.t == Tok::kLeftDelim) return action(n, is_end, is_else);
    return unexpected(t, "input");
  }

  Status action(Node* n, bool* is_end, bool* is_else) {
    const Token& t = next_non_space();
    n->pos = t.pos;
    switch (t.t) {
      case Tok::kBlock:
      case Tok::kDefine:
      case Tok::kTemplate:
        return fail("{{" + t.val + "}} is not supported in --format templates");
      case Tok::kBreak:
      case Tok::kContinue: {
        std::string word = t.val;
        if (range_depth_ == 0) return fail("{{" + word + "}} outside {{range}}");
        const Token& e = next_non_space();
        if (e.t != Tok::kRightDelim) return unexpected(e, "{{" + word + "}}");
        n->kind = word == "break" ? Node::Kind::kBreak : Node::Kind::kContinue;
        return {};
      }
      case Tok::kElse: {
        // "{{else if" and "{{else with": the caller parses the nested block.
        const Token& p = peek_non_space();
        if (p.t != Tok::kIf && p.t != Tok::kWith) {
          const Token& e = next_non_space();
          if (e.t != Tok::kRightDelim) return unexpected(e, "else");
        }
        *is_else = true;
        return {};
      }
      case Tok::kEnd: {
        const Token& e = next_non_space();
        if (e.t != Tok::kRightDelim) return unexpected(e, "end");
        *is_end = true;
        return {};
      }
      case Tok::kIf:
        return control(n, Node::Kind::kIf, "if");
      case Tok::kRange:
        return control(n, Node::Kind::kRange, "range");
      case Tok::kWith:
        return control(n, Node::Kind::kWith, "with");
      default:
        break;
    }
    backup();
    n->kind = Node::Kind::kAction;
    n->pos = peek().pos;
    ASSIGN_OR_RETURN(n->pipe, pipeline("command", Tok::kRightDelim));
    return {};
  }

  // Parses items up to {{end}} or {{else}}.
  Status item_list(std::vector<Node>* list, bool* ended_by_else) {
    while (peek_non_space().t != Tok::kEOF) {
      Node n;
      bool is_end = false, is_else = false;
      TRY(text_or_action(&n, &is_end, &is_else));
      if (is_end || is_else) {
        *ended_by_else = is_else;
        return {};
      }
      list->push_back(std::move(n));
    }
    return fail("unexpected EOF");
  }

  Status control(Node* n, Node::Kind kind, const std::string& context) {
    TRY(enter());
    size_t mark = vars_.size();
    n->kind = kind;
    ASSIGN_OR_RETURN(n->pipe, pipeline(context, Tok::kRightDelim));
    if (kind == Node::Kind::kRange) ++range_depth_;
    bool has_else = false;
    Status st = item_list(&n->list, &has_else);
    if (kind == Node::Kind::kRange) --range_depth_;
    TRY(st);
    if (has_else) {
      Tok same = kind == Node::Kind::kIf ? Tok::kIf : kind == Node::Kind::kWith ? Tok::kWith : Tok::kEOF;
      if (same != Tok::kEOF && peek_non_space().t == same) {
        const Token& kw = next_non_space();
        Node nested;
        nested.pos = kw.pos;
        TRY(control(&nested, kind, context));
        n->else_list.push_back(std::move(nested));
      } else {
        bool again = false;
        TRY(item_list(&n->else_list, &again));
        if (again) return fail("expected end; found {{else}}");
      }
    }
    vars_.resize(mark);
    --depth_;
    return {};
  }

  bool has_var(const std::string& v) const {
    for (const auto& x : vars_)
      if (x == v) return true;
    return false;
  }

  Result<std::shared_ptr<Pipe>> pipeline(const std::string& context, Tok end) {
    auto pipe = std::make_shared<Pipe>();
    pipe->pos = peek_non_space().pos;
    size_t text_start = pipe->pos;
    // Declarations: "$x :=", "$x =", "$i, $e :=" (range).
    while (peek_non_space().t == Tok::kVariable) {
      size_t save = i_;
      const Token& v = next_non_space();
      std::string name = v.val;
      const Token& nx = peek_non_space();
      if (nx.t == Tok::kDeclare || nx.t == Tok::kAssign) {
        pipe->is_assign = nx.t == Tok::kAssign;
        next_non_space();
        if (pipe->is_assign && !has_var(name)) return fail("undefined variable \"" + name + "\"");
        pipe->decl.push_back(name);
        if (!pipe->is_assign) vars_.push_back(name);
        break;
      }
      if (nx.t == Tok::kChar && nx.val == ",") {
        next_non_space();
        pipe->decl.push_back(name);
        vars_.push_back(name);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok p = peek_non_space().t;
          if (p == Tok::kVariable || p == Tok::kRightDelim || p == Tok::kRightParen) continue;
          return fail("range can only initialize variables");
        }
        return fail("too many declarations in " + context);
      }
      i_ = save;
      break;
    }
    while (true) {
      const Token& t = next_non_space();
      if (t.t == end) {
        if (pipe->cmds.empty()) return fail("missing value for " + context);
        for (size_t k = 1; k < pipe->cmds.size(); ++k) {
          auto kind = pipe->cmds[k].args[0].kind;
          if (kind == Operand::Kind::kBool || kind == Operand::Kind::kDot || kind == Operand::Kind::kNil ||
              kind == Operand::Kind::kNumber || kind == Operand::Kind::kString)
            return fail("non executable command in pipeline stage " + std::to_string(k + 1));
        }
        pipe->text = tree_->source.substr(text_start, t.pos - text_start);
        while (!pipe->text.empty() && is_space(pipe->text.back())) pipe->text.pop_back();
        return pipe;
      }
      switch (t.t) {
        case Tok::kBool: case Tok::kCharConstant: case Tok::kDot: case Tok::kField: case Tok::kIdentifier:
        case Tok::kNumber: case Tok::kNil: case Tok::kRawString: case Tok::kString: case Tok::kVariable:
        case Tok::kLeftParen: {
          backup();
          Command c;
          TRY(command(&c));
          pipe->cmds.push_back(std::move(c));
          break;
        }
        default:
          return unexpected(t, context);
      }
    }
  }

  Status command(Command* c) {
    c->pos = peek_non_space().pos;
    while (true) {
      peek_non_space();
      Operand op;
      bool got = false;
      TRY(operand(&op, &got));
      if (got) c->args.push_back(std::move(op));
      const Token& t = next();
      if (t.t == Tok::kSpace) continue;
      if (t.t == Tok::kRightDelim || t.t == Tok::kRightParen) backup();
      else if (t.t != Tok::kPipe) return unexpected(t, "operand");
      break;
    }
    if (c->args.empty()) return fail("empty command");
    return {};
  }

  Status operand(Operand* op, bool* got) {
    TRY(term(op, got));
    if (!*got) return {};
    if (peek().t != Tok::kField) return {};
    if (op->kind == Operand::Kind::kBool || op->kind == Operand::Kind::kString || op->kind == Operand::Kind::kNumber ||
        op->kind == Operand::Kind::kNil || op->kind == Operand::Kind::kDot)
      return fail("unexpected . after term " + quote(op->text));
    while (peek().t == Tok::kField) {
      const Token& f = next();
      op->fields.push_back(f.val.substr(1));
      op->text += f.val;
    }
    return {};
  }

  Status term(Operand* op, bool* got) {
    const Token& t = next_non_space();
    *got = true;
    op->pos = t.pos;
    op->text = t.val;
    switch (t.t) {
      case Tok::kIdentifier:
        if (!is_known_function(t.val)) return fail("function \"" + t.val + "\" not defined");
        op->kind = Operand::Kind::kFunc;
        op->name = t.val;
        return {};
      case Tok::kDot:
        op->kind = Operand::Kind::kDot;
        return {};
      case Tok::kNil:
        op->kind = Operand::Kind::kNil;
        return {};
      case Tok::kVariable:
        if (!has_var(t.val)) return fail("undefined variable \"" + t.val + "\"");
        op->kind = Operand::Kind::kVariable;
        op->name = t.val;
        return {};
      case Tok::kField:
        op->kind = Operand::Kind::kField;
        op->fields.push_back(t.val.substr(1));
        return {};
      case Tok::kBool:
        op->kind = Operand::Kind::kBool;
        op->b = t.val == "true";
        return {};
      case Tok::kCharConstant: {
        std::string s;
        if (!unquote(t.val, &s) || s.empty()) return fail("malformed character constant: " + t.val);
        op->kind = Operand::Kind::kNumber;
        op->is_int = true;
        op->i = first_rune(s);
        op->f = static_cast<double>(op->i);
        return {};
      }
      case Tok::kNumber:
        return number(t, op);
      case Tok::kLeftParen: {
        TRY(enter());
        op->kind = Operand::Kind::kPipe;
        ASSIGN_OR_RETURN(op->pipe, pipeline("parenthesized pipeline", Tok::kRightParen));
        op->text = "(" + op->pipe->text + ")";
        --depth_;
        return {};
      }
      case Tok::kString:
        op->kind = Operand::Kind::kString;
        if (!unquote(t.val, &op->name)) return fail("invalid syntax: " + t.val);
        return {};
      case Tok::kRawString:
        op->kind = Operand::Kind::kString;
        for (char c : std::string_view(t.val).substr(1, t.val.size() - 2))
          if (c != '\r') op->name += c;
        return {};
      default:
        backup();
        *got = false;
        return {};
    }
  }

  Status number(const Token& t, Operand* op) {
    std::string s;
    for (char c : t.val)
      if (c != '_') s += c;
    op->kind = Operand::Kind::kNumber;
    errno = 0;
    char* end = nullptr;
    bool hex = s.find("0x") != std::string::npos || s.find("0X") != std::string::npos;
    long long v = std::strtoll(s.c_str(), &end, hex ? 16 : 10);
    if (errno == 0 && end && *end == '\0' && !s.empty()) {
      op->is_int = true;
      op->i = v;
      op->f = static_cast<double>(v);
      return {};
    }
    errno = 0;
    double d = std::strtod(s.c_str(), &end);
    if (hex || errno != 0 || !end || *end != '\0' || s.empty()) return fail("illegal number syntax: \"" + t.val + "\"");
    op->f = d;
    // Go: a float constant with an integral value is also an int.
    if (d == static_cast<double>(static_cast<int64_t>(d)) && d > -9.2e18 && d < 9.2e18) {
      op->is_int = true;
      op->i = static_cast<int64_t>(d);
    }
    return {};
  }

  Tree* tree_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  size_t last_ = 0;
  int depth_ = 0;
  int range_depth_ = 0;
  std::vector<std::string> vars_;
};

}  // namespace

std::string Tree::location(size_t pos) const {
  int line = 1;
  size_t line_start = 0;
  for (size_t k = 0; k < pos && k < source.size(); ++k)
    if (source[k] == '\n') {
      ++line;
      line_start = k + 1;
    }
  return std::to_string(line) + ":" + std::to_string(pos - line_start);
}

Template::Template() : tree_(std::make_unique<Tree>()) {}
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::parse(std::string_view text) {
  Template t;
  t.tree_->source = std::string(text);
  std::vector<Token> toks = Lexer(text).run();
  Parser p(t.tree_.get(), std::move(toks));
  TRY(p.parse());
  return t;
}

}  // namespace hutch::tmpl
