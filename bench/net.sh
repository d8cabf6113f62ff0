#!/usr/bin/env bash
# bench/net.sh [-n N] [--mb MB] [--hutch PATH]
#
# What networking costs, hutch against podman, in one run (both through
# Debian's CNI plugins, alternating):
#   1. the time --network bridge adds to `run --rm busybox true` over
#      --network none, N runs each (default 20), medians; hutch's added time
#      over podman's (goal: <= 0.5);
#   2. TCP throughput through a published port (-p): a client in this
#      namespace sends MB megabytes (default 1000) to a container that
#      discards them; hutch's rate over podman's (goal: >= ~1).
# Runs in a network namespace of its own (tests/testlib/in-netns.sh), so
# the host's network is never touched. Needs root. See bench/net.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec tests/testlib/in-netns.sh /usr/bin/python3 bench/net.py "$@"
