#!/bin/sh
# in-netns.sh CMD ARGS...: runs CMD in a new network namespace with its
# loopback up. The container suites run through it, so the bridges, veths,
# NAT and port-mapping rules hutch sets up (CNI) live in a namespace the
# test made and vanish with it; the host's own network is never touched.
# The mount namespace stays the host's (mounts and cgroups as usual).
set -eu
export HUTCH_TEST_NETNS=1  # what the suites check before changing the namespace
exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' in-netns "$@"
