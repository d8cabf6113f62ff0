// Personality: the OCI linux.personality setting (personality(2)).
//
// The spec allows the execution domains LINUX and LINUX32 and no flags yet;
// LINUX32 makes uname(2) report a 32-bit machine ("i686" on x86_64).
// Thread-safety: personality_value() is pure; apply_personality() changes
// the calling process and is called in the container init before execve,
// which keeps the persona.
#pragma once

#include "base/error.h"
#include "oci/spec.h"

namespace hutch::runtime {

// The persona number (PER_LINUX, PER_LINUX32). Errors name the JSON path:
// `linux.personality.domain: unknown domain "FOO"`.
Result<unsigned long> personality_value(const oci::Personality& p);

// Sets the persona of the calling process.
Status apply_personality(const oci::Personality& p);

}  // namespace hutch::runtime
