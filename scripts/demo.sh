#!/usr/bin/env bash
# scripts/demo.sh [BUILD_DIR]: runs one container the way a docker user would.
#
# Makes a busybox image from busybox-static (tests/fixtures/make-image.sh, no
# network), `hutch import`s it into a private store in a temp dir, then
# `hutch run --rm` prints what the container sees (through hutch's monitor
# and build/hutchrt), and `hutch ps -a` shows nothing left. Removes the temp
# dir at the end. Needs root. The container is on hutch's default bridge
# network, so the demo runs in a network namespace of its own
# (tests/testlib/in-netns.sh): the bridge and its NAT rule go with it and
# the host's network is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${HUTCH_TEST_NETNS:-}" != 1 ]; then
  exec tests/testlib/in-netns.sh bash "$0" "$@"
fi
build=$(realpath "${1:-build}")
if ! [ -x "$build/hutch" ] || ! [ -x "$build/hutch-monitor" ] || ! [ -x "$build/hutchrt" ]; then
  echo "demo: $build/hutch, hutch-monitor or hutchrt not found: run 'make build' first" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/hutch-demo-XXXXXX)
runroot=/run/hutch/hutch-demo-$$
hutch=("$build/hutch" --root "$dir/store" --runroot "$runroot")
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  "${hutch[@]}" ps -aq 2>/dev/null | xargs -r "${hutch[@]}" rm -f >/dev/null 2>&1 || true
  rm -rf "$dir" "$runroot"
}
trap cleanup EXIT

tests/fixtures/make-image.sh rootfs-tar "$dir/rootfs.tar" >/dev/null
echo "+ hutch import rootfs.tar busybox"
"${hutch[@]}" import --change 'CMD ["/bin/sh"]' "$dir/rootfs.tar" busybox
echo "+ hutch run --rm --hostname demo busybox sh -c '...'"
set +e
"${hutch[@]}" run --rm --hostname demo busybox sh -c \
  "echo 'hello from a hutch container'; echo \"hostname: \$(hostname)\"; echo \"id: \$(id)\"; \
   echo \"pid: \$\$\"; echo \"network: \$(ip -4 -o addr show eth0 | cut -d' ' -f2,7)\"; echo 'processes:'; ps; echo 'mounts:'; cut -d' ' -f2,3 /proc/mounts" </dev/null
rc=$?
set -e
echo "demo: container exited with status $rc"
echo "+ hutch ps -a"
"${hutch[@]}" ps -a
exit $rc
