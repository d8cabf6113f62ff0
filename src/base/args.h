// Args: a small runc-style option parser. Long options take "--name value"
// or "--name=value" (a single leading dash works too, as in urfave/cli);
// short aliases and boolean flags are declared per command; single-letter
// boolean aliases combine as in docker ("-it"). Parsing stops
// at the first positional argument. Thread-safety: plain values.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"

namespace hutch {

struct OptSpec {
  std::string name;   // "bundle"
  std::string alias;  // "b" or ""
  bool takes_value = false;
  bool repeatable = false;
  std::string help;
};

struct Parsed {
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
  bool has(const std::string& n) const { return values.count(n) > 0; }
  std::string get(const std::string& n, const std::string& def = "") const {
    auto it = values.find(n);
    return it == values.end() || it->second.empty() ? def : it->second.back();
  }
  const std::vector<std::string>& all(const std::string& n) const;
  // Boolean flags given as "--name=false" (has() is false for them): lets
  // flags that default to true (--sig-proxy, commit --pause) be turned off.
  std::set<std::string> set_false;
  bool is_false(const std::string& n) const { return set_false.count(n) > 0; }
};

// Parses argv[start..]; "--help"/"-h" sets the "help" value ("-h" only when
// no spec declares the alias "h").
Result<Parsed> parse_args(const std::vector<std::string>& argv, size_t start, const std::vector<OptSpec>& specs,
                          bool stop_at_positional = true);
std::string usage_options(const std::vector<OptSpec>& specs);

}  // namespace hutch
