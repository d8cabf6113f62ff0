#!/usr/bin/env bash
# bench/concurrent.sh [-n N] [RUNTIME...]
#
# Creates and starts N containers (default 100) at once per runtime, then
# deletes them all at once, and prints mounts, cgroup dirs, open files and
# processes before, at peak and after. Exits 1 if any count differs after
# (or a container failed). hutchrt is skipped until build/hutchrt exists.
# Needs root. See bench/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/bench.py concurrent "$@"
