#!/usr/bin/env bash
# Installs every Debian package hutch needs to build, test and benchmark.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config
  libseccomp-dev libjansson-dev libgtest-dev
  libc6-dev
  libarchive-dev libssl-dev zlib1g-dev libzstd-dev libcurl4-openssl-dev libsqlite3-dev
)
test_pkgs=(
  busybox-static crun runc podman containerd skopeo
  containernetworking-plugins iptables iproute2 procps util-linux
  uidmap fuse-overlayfs
  python3 conmon gzip tar
  zstd docker-registry apache2-utils openssl curl
)
bench_pkgs=(time hyperfine)

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: must run as root (apt-get)" >&2
  exit 1
fi

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
