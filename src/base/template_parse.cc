// The parser of base/template.h, following Go's text/template/parse
// (parse.go) closely enough that error messages match.
#include <algorithm>
#include <cstdlib>

#include "base/internal/template_ast.h"
#include "base/internal/template_lex.h"
#include "base/template.h"

namespace hutch::tmpl {

namespace {

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
  std::vector<Token> toks = lex(text);
  Parser p(t.tree_.get(), std::move(toks));
  TRY(p.parse());
  return t;
}

}  // namespace hutch::tmpl

