#!/usr/bin/env bash
# bench/pull.sh [-n N] [--size MB] [--plain] [--hutch PATH]
#
# Cold pulls of a realistic two-layer image (busybox plus 150 MB of /usr,
# tests/fixtures/make-big-image.sh) from a private docker-registry on
# 127.0.0.1 (TLS from a test CA, no auth; --plain for http): build/hutch,
# podman, skopeo (copy to an OCI dir, no unpack) and a plain `curl | tar -xz`
# per layer, N times each (default 5), alternating. Prints median wall time,
# peak RSS and disk used after the pull, and hutch's ratios to each. hutch is
# skipped with a note until build/hutch has `pull`. Needs root. See
# bench/pull.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/pull.py "$@"
