#include "base/error.h"

#include <cstring>

namespace hutch {

std::string Error::message() const {
  std::string out;
  for (auto it = chain_.rbegin(); it != chain_.rend(); ++it) {
    if (it->empty()) continue;
    if (!out.empty()) out += ": ";
    out += *it;
  }
  if (code_ != 0 && show_errno_) {
    if (!out.empty()) out += ": ";
    out += std::strerror(code_);
  }
  return out;
}

}  // namespace hutch
