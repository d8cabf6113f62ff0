#!/usr/bin/env bash
# crun-hugetlb.sh setup|teardown
#
# Debian's crun 1.8.1 refuses a hybrid cgroup layout whose cgroup2 mount
# holds a controller ("cgroups in hybrid mode not supported"). On machines
# where only hugetlb sits on /sys/fs/cgroup/unified, binding hugetlb to a v1
# hierarchy for the duration of a crun test satisfies it. hutchrt and runc
# need none of this.
#
# setup    prints "mounted" after mounting /sys/fs/cgroup/hugetlb, or
#          "not-needed" (not hybrid, or already mounted by someone else).
# teardown unmounts it and removes the dir. A v1 hierarchy unmounted while a
#          child cgroup is still dying lingers unmounted, keeping hugetlb
#          away from cgroup2 until released; so teardown waits for hugetlb to
#          come back to cgroup2, remounting and unmounting (which releases a
#          hierarchy without children) until it does.
set -euo pipefail

mnt=/sys/fs/cgroup/hugetlb
unified=/sys/fs/cgroup/unified

on_unified() { grep -qw hugetlb "$unified/cgroup.controllers" 2>/dev/null; }

case ${1:-} in
  setup)
    if ! [ -e "$unified/cgroup.controllers" ] || [ -e /sys/fs/cgroup/cgroup.controllers ] ||
       mountpoint -q "$mnt"; then
      echo not-needed
      exit 0
    fi
    if ! grep -qw hugetlb /proc/cgroups; then
      echo not-needed
      exit 0
    fi
    mkdir -p "$mnt"
    mount -t cgroup -o hugetlb cgroup "$mnt"
    if on_unified; then
      echo "crun-hugetlb: hugetlb still on cgroup2 after mounting it on v1" >&2
      umount "$mnt"; rmdir "$mnt" 2>/dev/null || true
      exit 1
    fi
    echo mounted
    ;;
  teardown)
    leaked=0
    for try in 1 2 3 4 5 6 7 8 9 10; do
      if mountpoint -q "$mnt"; then
        # A test's leftover cgroup would keep the hierarchy alive and be
        # invisible once unmounted: report it, remove it, fail at the end.
        # Other users' cgroups are left alone.
        left=$(find "$mnt" -mindepth 1 -depth -type d -name '*hutch-test*' 2>/dev/null || true)
        if [ -n "$left" ]; then
          echo "crun-hugetlb: LEAK: cgroups left in $mnt:" "$left" >&2
          leaked=1
          for d in $left; do rmdir "$d" 2>/dev/null || true; done
        fi
        # Empty parents made during the window (hutchrt's /hutch, a ctr
        # namespace) would keep the hierarchy alive too; rmdir refuses any
        # cgroup still in use.
        find "$mnt" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
        umount "$mnt"
      fi
      for _ in 1 2 3 4 5; do
        on_unified && break 2
        sleep 0.1
      done
      # Still bound to the unmounted v1 hierarchy: remount it (the kernel
      # reuses the lingering one) and unmount again once its children are gone.
      [ "$try" = 10 ] && break
      mkdir -p "$mnt"
      mount -t cgroup -o hugetlb cgroup "$mnt"
      sleep 0.2
    done
    rmdir "$mnt" 2>/dev/null || true
    if ! on_unified; then
      # Someone else's cgroup keeps the hierarchy alive; not our failure.
      echo "crun-hugetlb: warning: hugetlb did not return to cgroup2 yet" >&2
    fi
    exit $leaked
    ;;
  *)
    echo "usage: crun-hugetlb.sh setup|teardown" >&2
    exit 2
    ;;
esac
