#include "runtime/personality.h"

#include <sys/personality.h>

#include <cerrno>

namespace hutch::runtime {

Result<unsigned long> personality_value(const oci::Personality& p) {
  unsigned long value;
  if (p.domain == "LINUX") {
    value = PER_LINUX;
  } else if (p.domain == "LINUX32") {
    value = PER_LINUX32;
  } else {
    return Error(EINVAL, "unknown domain \"" + p.domain + "\" (LINUX or LINUX32)")
        .with_context("linux.personality.domain");
  }
  // runtime-spec 1.2: "Currently no flag values are supported."
  if (!p.flags.empty())
    return Error(EINVAL, "unsupported flag \"" + p.flags[0] + "\"")
        .with_context("linux.personality.flags[0]");
  return value;
}

Status apply_personality(const oci::Personality& p) {
  ASSIGN_OR_RETURN(unsigned long value, personality_value(p));
  // personality(2) returns the previous persona, or -1 with errno.
  if (::personality(value) == -1) return Error::from_errno("set personality " + p.domain);
  return Ok{};
}

}  // namespace hutch::runtime
