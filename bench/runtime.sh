#!/usr/bin/env bash
# bench/runtime.sh [-n N] [RUNTIME...]
#
# Times a container's whole life running /bin/true -- create, start, wait
# for exit, delete -- for build/hutchrt, crun and runc in one run, alternating
# runtimes each iteration (N, default 50). Prints per-phase medians, the
# ratios hutchrt/crun and hutchrt/runc, peak RSS of `RUNTIME run` and
# `RUNTIME create`, and stripped binary sizes. hutchrt is skipped with a
# note until build/hutchrt exists. Needs root. See bench/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/bench.py lifecycle "$@"
