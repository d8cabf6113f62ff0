// The flags of `hutch run` and `hutch create`: docker's whole table (with
// its short aliases -d -i -t -e -v -w -u -l -h -c -m -a -p -P -q), and their
// translation into engine::RunOptions. Flags hutch does not support yet are
// in the table too, so that docker command lines parse, and
// run_options_from() refuses each with a clear error instead of ignoring it.
//
// Parse with parse_args(argv, start, run_flag_specs(), /*stop_at_positional=*/true):
// docker stops at the image name, so "run busybox ls -l" keeps "-l" for ls.
// Thread-safety: the table is built once, thread-safe; the rest is pure,
// except that -e KEY and --env-file read our environment and files.
#pragma once

#include <vector>

#include "base/args.h"
#include "base/error.h"
#include "engine/run_options.h"

namespace hutch::cli {

const std::vector<OptSpec>& run_flag_specs();

// positional[0] is the image, the rest the command. Errors are EINVAL with
// docker's texts (`invalid argument "12x" for "-m, --memory" flag: invalid
// size: '12x'`, "invalid containerPort: x" for -p, "conflicting options:
// port publishing and the container type network mode") or "hutch: --gpus
// is not supported yet". -p with --network host is dropped with a warning
// in RunOptions::warnings, as docker does.
Result<engine::RunOptions> run_options_from(const Parsed& p);

}  // namespace hutch::cli
