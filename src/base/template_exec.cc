// The executor of base/template.h, following Go's text/template/exec.go.
#include <algorithm>

#include "base/internal/template_ast.h"
#include "base/internal/template_value.h"
#include "base/template.h"

namespace hutch::tmpl {

namespace {

enum class Flow { kNormal, kBreak, kContinue };

class Exec {
 public:
  Exec(const Tree& tree, const Options& o) : tree_(tree), opt_(o) { ctx_.header = o.header; }

  Result<std::string> run(const json_t* data) {
    V dot = V::ref(data);
    vars_.push_back({"$", dot});
    auto r = walk(dot, tree_.root);
    if (!r.ok()) {
      if (opt_.partial) *opt_.partial = std::move(out_);
      return std::move(r).error();
    }
    return std::move(out_);
  }

 private:
  struct Var {
    std::string name;
    V value;
  };

  Error fail(size_t pos, const std::string& at, const std::string& msg) const {
    return Error::plain(EINVAL, "template: :" + tree_.location(pos) + ": executing \"\" at <" + at + ">: " + msg);
  }
  Status step(size_t pos) {
    if (++steps_ > opt_.max_steps) return fail(pos, "", "template ran too long (more than " + std::to_string(opt_.max_steps) + " steps)");
    return {};
  }
  Status write(size_t pos, std::string_view s) {
    if (out_.size() + s.size() > opt_.max_output)
      return fail(pos, "", "output larger than " + std::to_string(opt_.max_output) + " bytes");
    out_ += s;
    return {};
  }

  V* find_var(const std::string& name) {
    for (size_t k = vars_.size(); k-- > 0;)
      if (vars_[k].name == name) return &vars_[k].value;
    return nullptr;
  }

  Result<Flow> walk(const V& dot, const std::vector<Node>& list) {
    for (const auto& n : list) {
      ASSIGN_OR_RETURN(Flow f, walk_node(dot, n));
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  Result<Flow> walk_node(const V& dot, const Node& n) {
    TRY(step(n.pos));
    switch (n.kind) {
      case Node::Kind::kText:
        TRY(write(n.pos, n.text));
        return Flow::kNormal;
      case Node::Kind::kAction: {
        ASSIGN_OR_RETURN(V v, pipeline(dot, *n.pipe));
        if (n.pipe->decl.empty()) TRY(write(n.pos, format_v(v.get(), true)));
        return Flow::kNormal;
      }
      case Node::Kind::kIf:
      case Node::Kind::kWith: {
        size_t mark = vars_.size();
        ASSIGN_OR_RETURN(V v, pipeline(dot, *n.pipe));
        Result<Flow> r = Flow::kNormal;
        if (truth(v)) r = walk(n.kind == Node::Kind::kWith ? v : dot, n.list);
        else r = walk(dot, n.else_list);
        vars_.resize(mark);
        return r;
      }
      case Node::Kind::kRange: {
        size_t mark = vars_.size();
        Result<Flow> r = range(dot, n);
        vars_.resize(mark);
        if (!r.ok()) return r;
        return Flow::kNormal;
      }
      case Node::Kind::kBreak:
        return Flow::kBreak;
      case Node::Kind::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  Result<Flow> range(const V& dot, const Node& n) {
    const Pipe& p = *n.pipe;
    ASSIGN_OR_RETURN(V v, commands(dot, p));
    // The declared variables, set on each iteration.
    for (const auto& d : p.decl)
      if (!p.is_assign) vars_.push_back({d, V()});
    auto one = [&](const V& key, const V& elem) -> Result<Flow> {
      TRY(step(n.pos));
      if (p.decl.size() == 1) *find_var(p.decl[0]) = elem;
      if (p.decl.size() == 2) {
        *find_var(p.decl[0]) = key;
        *find_var(p.decl[1]) = elem;
      }
      size_t mark = vars_.size();
      auto r = walk(elem, n.list);
      vars_.resize(mark);
      return r;
    };
    json_t* j = v.get();
    size_t count = 0;
    if (json_is_array(j)) {
      count = json_array_size(j);
      for (size_t k = 0; k < count; ++k) {
        ASSIGN_OR_RETURN(Flow f, one(V::integer(static_cast<int64_t>(k)), V::ref(json_array_get(j, k))));
        if (f == Flow::kBreak) break;
      }
    } else if (json_is_object(j)) {
      std::vector<std::string> keys;
      const char* k;
      json_t* e;
      json_object_foreach(j, k, e) keys.emplace_back(k);
      std::sort(keys.begin(), keys.end());
      count = keys.size();
      for (const auto& key : keys) {
        ASSIGN_OR_RETURN(Flow f, one(V::str(key), V::ref(json_object_get(j, key.c_str()))));
        if (f == Flow::kBreak) break;
      }
    } else if (json_is_integer(j)) {
      if (p.decl.size() > 1)
        return fail(n.pos, p.text, "can't use " + format_v(j, false) + " to iterate over more than one variable");
      int64_t lim = json_integer_value(j);
      for (int64_t k = 0; k < lim; ++k) {
        ++count;
        ASSIGN_OR_RETURN(Flow f, one(V(), V::integer(k)));
        if (f == Flow::kBreak) break;
      }
    } else if (j && !json_is_null(j)) {
      return fail(n.pos, p.text, "range can't iterate over " + format_v(j, false));
    }
    if (count == 0) return walk(dot, n.else_list);
    return Flow::kNormal;
  }

  // The pipeline's value, declaring or assigning its variables.
  Result<V> pipeline(const V& dot, const Pipe& p) {
    ASSIGN_OR_RETURN(V v, commands(dot, p));
    for (const auto& d : p.decl) {
      if (p.is_assign) {
        V* slot = find_var(d);
        if (!slot) return fail(p.pos, p.text, "undefined variable: " + d);
        *slot = v;
      } else {
        vars_.push_back({d, v});
      }
    }
    return v;
  }

  Result<V> commands(const V& dot, const Pipe& p) {
    V v;
    for (size_t k = 0; k < p.cmds.size(); ++k) {
      TRY(step(p.cmds[k].pos));
      ASSIGN_OR_RETURN(v, command(dot, p.cmds[k], k == 0 ? nullptr : &v));
    }
    return v;
  }

  Error not_a_function(const Operand& op) const {
    return fail(op.pos, op.text, "can't give argument to non-function " + op.text);
  }

  Result<V> command(const V& dot, const Command& c, const V* final) {
    const Operand& first = c.args[0];
    bool has_args = c.args.size() > 1 || final;
    switch (first.kind) {
      case Operand::Kind::kFunc:
        if (!first.fields.empty()) {
          ASSIGN_OR_RETURN(V base, call(dot, first, {}, nullptr));
          return fields(base, first, has_args);
        }
        return call(dot, first, std::vector<Operand>(c.args.begin() + 1, c.args.end()), final);
      case Operand::Kind::kField:
        return fields(dot, first, has_args);
      case Operand::Kind::kVariable: {
        if (first.fields.empty() && has_args) return not_a_function(first);
        V* v = find_var(first.name);
        if (!v) return fail(first.pos, first.text, "undefined variable: " + first.name);
        return fields(*v, first, has_args);
      }
      case Operand::Kind::kPipe: {
        if (first.fields.empty() && has_args) return not_a_function(first);
        ASSIGN_OR_RETURN(V v, pipe_operand(dot, first));
        return fields(v, first, has_args);
      }
      case Operand::Kind::kNil:
        if (has_args) return not_a_function(first);
        return fail(first.pos, first.text, "nil is not a command");
      default:
        if (has_args) return not_a_function(first);
        return literal(dot, first);
    }
  }

  // A parenthesised pipeline; variables it declares stay visible, as in Go.
  Result<V> pipe_operand(const V& dot, const Operand& op) { return pipeline(dot, *op.pipe); }

  Result<V> literal(const V& dot, const Operand& op) {
    switch (op.kind) {
      case Operand::Kind::kDot: return dot;
      case Operand::Kind::kString: return V::str(op.name);
      case Operand::Kind::kBool: return V::boolean(op.b);
      case Operand::Kind::kNumber: return op.is_int ? V::integer(op.i) : V::own(json_real(op.f));
      default: return V();
    }
  }

  // Walks the operand's field chain from `v`; `has_args` is an error on the
  // last field (fields are not methods).
  Result<V> fields(V v, const Operand& op, bool has_args) {
    for (size_t k = 0; k < op.fields.size(); ++k) {
      const std::string& f = op.fields[k];
      if (k + 1 == op.fields.size() && has_args) return fail(op.pos, op.text, f + " is not a method but has arguments");
      json_t* j = v.get();
      if (!j) {
        if (opt_.missing_key_error) return fail(op.pos, op.text, "nil data; no entry for key \"" + f + "\"");
        return V();
      }
      if (json_is_object(j)) {
        json_t* e = json_object_get(j, f.c_str());
        if (!e && opt_.missing_key_error) return fail(op.pos, op.text, "map has no entry for key \"" + f + "\"");
        v = e ? V::ref(e) : V();
      } else if (json_is_null(j)) {
        return fail(op.pos, op.text, "nil pointer evaluating interface {}." + f);
      } else {
        return fail(op.pos, op.text, "can't evaluate field " + f + " in type " + type_name(v));
      }
    }
    return v;
  }

  Result<V> arg(const V& dot, const Operand& op) {
    switch (op.kind) {
      case Operand::Kind::kField:
        return fields(dot, op, false);
      case Operand::Kind::kVariable: {
        V* v = find_var(op.name);
        if (!v) return fail(op.pos, op.text, "undefined variable: " + op.name);
        return fields(*v, op, false);
      }
      case Operand::Kind::kPipe: {
        ASSIGN_OR_RETURN(V v, pipe_operand(dot, op));
        return fields(v, op, false);
      }
      case Operand::Kind::kFunc: {
        ASSIGN_OR_RETURN(V v, call(dot, op, {}, nullptr));
        return fields(v, op, false);
      }
      case Operand::Kind::kNil:
        return V::own(json_null());
      default:
        return literal(dot, op);
    }
  }

  Result<V> call(const V& dot, const Operand& fn, const std::vector<Operand>& args, const V* final) {
    const std::string& name = fn.name;
    int min = 0, max = 0;
    function_arity(name, &min, &max);
    int got = static_cast<int>(args.size()) + (final ? 1 : 0);
    if (got < min || (max >= 0 && got > max)) {
      std::string want = max < 0 ? "at least " + std::to_string(min) : std::to_string(min);
      return fail(fn.pos, fn.text, "wrong number of args for " + name + ": want " + want + " got " + std::to_string(got));
    }
    // and/or evaluate their arguments lazily and return the deciding one.
    if (name == "and" || name == "or") {
      V v;
      for (const auto& a : args) {
        ASSIGN_OR_RETURN(v, arg(dot, a));
        if (truth(v) == (name == "or")) return v;
      }
      if (final) v = *final;
      return v;
    }
    std::vector<V> values;
    for (const auto& a : args) {
      ASSIGN_OR_RETURN(V v, arg(dot, a));
      values.push_back(std::move(v));
    }
    if (final) values.push_back(*final);
    auto r = call_function(name, values, ctx_);
    if (!r.ok()) {
      std::string msg = r.error().innermost();
      if (r.error().code() == EDOM) msg = "error calling " + name + ": " + msg;
      return fail(fn.pos, fn.text, msg);
    }
    return r;
  }

  const Tree& tree_;
  Options opt_;
  CallContext ctx_;
  std::vector<Var> vars_;
  std::string out_;
  uint64_t steps_ = 0;
};

}  // namespace

Result<std::string> Template::execute(const json_t* data, const Options& options) const {
  Exec e(*tree_, options);
  return e.run(data);
}

}  // namespace hutch::tmpl
