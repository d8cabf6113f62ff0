#!/usr/bin/env bash
# scripts/demo.sh [HUTCHRT]: runs one container with hutchrt.
#
# Makes a bundle from busybox-static (tests/fixtures/make-bundle.sh) in a temp
# dir, runs `hutchrt run` on it with a private --root, prints what the
# container saw, deletes the container and the temp dir. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
hutchrt=$(realpath "${1:-build/hutchrt}")
if ! [ -x "$hutchrt" ]; then
  echo "demo: $hutchrt not found: run 'make build' first" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/hutch-demo-XXXXXX)
id=hutch-demo-$$
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  "$hutchrt" --root "$dir/state" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

tests/fixtures/make-bundle.sh "$dir/bundle"
python3 - "$dir/bundle/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
cfg = json.load(open(path))
cfg["process"]["args"] = ["/bin/sh", "-c",
    "echo 'hello from a hutch container'; echo \"hostname: $(hostname)\"; "
    "echo \"id: $(id)\"; echo \"pid: $$\"; echo 'processes:'; ps; echo 'mounts:'; "
    "cut -d' ' -f2,3 /proc/mounts"]
json.dump(cfg, open(path, "w"), indent=1)
EOF

echo "+ hutchrt --root $dir/state run --bundle $dir/bundle $id"
set +e
"$hutchrt" --root "$dir/state" run --bundle "$dir/bundle" "$id" </dev/null
rc=$?
set -e
echo "demo: container exited with status $rc"
exit $rc
