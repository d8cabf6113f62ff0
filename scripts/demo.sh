#!/usr/bin/env bash
# scripts/demo.sh [BUILD_DIR]: runs one container the way a docker user would.
#
# Makes a busybox image from busybox-static (tests/fixtures/make-image.sh, no
# network), `hutch import`s it into a private store in a temp dir, then
# `hutch run --rm` prints what the container sees (through hutch's monitor
# and build/hutchrt), and `hutch ps -a` shows nothing left. Removes the temp
# dir at the end. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
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
   echo \"pid: \$\$\"; echo 'processes:'; ps; echo 'mounts:'; cut -d' ' -f2,3 /proc/mounts" </dev/null
rc=$?
set -e
echo "demo: container exited with status $rc"
echo "+ hutch ps -a"
"${hutch[@]}" ps -a
exit $rc
