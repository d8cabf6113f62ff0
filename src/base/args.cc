#include "base/args.h"

namespace hutch {

const std::vector<std::string>& Parsed::all(const std::string& n) const {
  static const std::vector<std::string> kEmpty;
  auto it = values.find(n);
  return it == values.end() ? kEmpty : it->second;
}

Result<Parsed> parse_args(const std::vector<std::string>& argv, size_t start, const std::vector<OptSpec>& specs,
                          bool stop_at_positional) {
  Parsed p;
  size_t i = start;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (stop_at_positional) break;
      p.positional.push_back(a);
      continue;
    }
    // "-h" is help unless the command declares it (docker run's -h is --hostname).
    bool h_declared = false;
    for (const auto& s : specs) h_declared = h_declared || s.alias == "h";
    if ((a == "-h" && !h_declared) || a == "--help" || a == "-help") {
      p.values["help"].push_back("true");
      continue;
    }
    std::string body = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (auto eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
      has_value = true;
    }
    const OptSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == body || (!s.alias.empty() && s.alias == body)) spec = &s;
    if (!spec && a[1] != '-' && body.size() > 1 && !has_value) {
      // docker's combined short booleans: "-it" is "-i -t".
      bool all = true;
      for (char c : body) {
        bool found = false;
        for (const auto& s : specs)
          if (s.alias.size() == 1 && s.alias[0] == c && !s.takes_value) found = true;
        all = all && found;
      }
      if (all) {
        for (char c : body)
          for (const auto& s : specs)
            if (s.alias.size() == 1 && s.alias[0] == c) p.values[s.name].push_back("true");
        continue;
      }
    }
    if (!spec) return Error::plain(EINVAL, "flag provided but not defined: -" + body);
    if (spec->takes_value) {
      if (!has_value) {
        if (i + 1 >= argv.size()) return Error::plain(EINVAL, "flag needs an argument: -" + body);
        value = argv[++i];
      }
      p.values[spec->name].push_back(value);
    } else {
      if (has_value && value != "true" && value != "false")
        return Error::plain(EINVAL, "invalid boolean value \"" + value + "\" for -" + body);
      if (!has_value || value == "true") {
        p.values[spec->name].push_back("true");
        p.set_false.erase(spec->name);
      } else {
        p.values.erase(spec->name);
        p.set_false.insert(spec->name);
      }
    }
  }
  for (; i < argv.size(); ++i) p.positional.push_back(argv[i]);
  return p;
}

std::string usage_options(const std::vector<OptSpec>& specs) {
  std::string out = "OPTIONS:\n";
  for (const auto& s : specs) {
    std::string line = "   --" + s.name;
    if (!s.alias.empty()) line += ", -" + s.alias;
    if (s.takes_value) line += " value";
    if (line.size() < 32) line.resize(32, ' ');
    out += line + " " + s.help + "\n";
  }
  return out;
}

}  // namespace hutch
