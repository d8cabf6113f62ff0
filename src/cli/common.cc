#include <cstdio>

#include "cli/commands.h"

namespace hutch::cli {

Result<Parsed> parse_command(const Args& a, size_t start, const std::vector<OptSpec>& specs, const char* usage,
                             const char* summary, int* exit_code) {
  auto p = parse_args(a, start, specs, false);
  if (!p.ok()) {
    std::fprintf(stderr, "%s\nSee 'hutch %s --help'.\n", p.error().message().c_str(), a[start - 1].c_str());
    *exit_code = 125;
    return std::move(p).error();
  }
  if (p->has("help")) {
    std::string out = std::string("\nUsage:  hutch ") + usage + "\n\n" + summary + "\n";
    if (!specs.empty()) out += "\n" + usage_options(specs);
    print(out);
    *exit_code = 0;
    return Error::plain(0, "help");
  }
  return p;
}

int fail(const Error& e, int code) {
  std::fprintf(stderr, "Error: %s\n", e.message().c_str());
  return code;
}

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

}  // namespace hutch::cli
