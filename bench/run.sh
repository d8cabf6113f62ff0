#!/usr/bin/env bash
# bench/run.sh [-n N] [--ps N] [--hutch PATH]
#
# The engine's start-up and footprint against its peers, in one run:
#   1. `hutch run --rm --network none busybox true`, `podman run --rm
#      --network none` of the same image, and a bare `crun run` of a busybox
#      bundle (none of the three sets up a network), N times each
#      (default 20), alternating; medians and hutch's ratios to each
#      (goals: <= 0.1 of podman, <= 1.3 of bare crun).
#   2. resident memory (VmRSS and Pss) of one hutch monitor against one
#      podman conmon, each supervising `sleep` (goal: <= half).
#   3. `hutch ps` with --ps containers running (default 100), median of 10
#      (goal: under 50 ms), beside `podman ps` with as many.
# Everything runs in private stores under a marked temp dir; needs root.
# See bench/run.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/run.py "$@"
