#!/usr/bin/python3
"""Leak check for every test that creates containers.

  leaks.py baseline FILE   record what already exists (ctest fixture setup)
  leaks.py check [FILE]    fail if anything marked exists that is not in FILE

Everything tests create carries the marker "hutch-test" (container ids, temp
dirs, cgroup paths, ctr namespaces, podman cgroup parents). Looked for:
  mount    a mountinfo entry whose mount point, root or source has the marker
  cgroup   a dir with the marker in its name under any cgroup hierarchy
  process  a process with the marker in its cmdline or its /proc/PID/cgroup
  state    a runtime state dir /run/*/hutch-test* (a runtime's default --root)
  tempdir  a dir $TMPDIR/hutch-test-* (every test removes its own)
The baseline exists so that garbage from an earlier, interrupted run is
reported as a warning once, not blamed on this run.
"""

import glob
import json
import os
import sys
import tempfile

MARKER = "hutch-test"


def mounts():
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            dash = fields.index("-")
            target, root, source = fields[4], fields[3], fields[dash + 2]
            if MARKER in target or MARKER in root or MARKER in source:
                found.append("mount %s (root %s, %s)" % (target, root, fields[dash + 1]))
    return found


def cgroup_roots():
    roots = set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            if fstype in ("cgroup", "cgroup2") and MARKER not in fields[4]:
                roots.add(fields[4])
    return roots


def cgroups():
    found = []
    for top in sorted(cgroup_roots()):
        for dirpath, dirnames, _ in os.walk(top):
            for d in list(dirnames):
                if MARKER in d:
                    found.append("cgroup %s" % os.path.join(dirpath, d))
                    dirnames.remove(d)  # report the topmost marked dir only
    return found


def ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
            pid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            break
    return pids


def processes():
    found, skip = [], ancestors()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in skip:
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open("/proc/%s/cgroup" % entry) as f:
                cg = f.read()
        except OSError:
            continue
        if MARKER in cmd or MARKER in cg:
            found.append("process %s: %s" % (entry, cmd[:200] or "[%s]" % cg.split(":")[-1].strip()))
    return found


def state_dirs():
    return ["state %s" % p for p in sorted(glob.glob("/run/*/%s*" % MARKER))]


def temp_dirs():
    base = os.environ.get("HUTCH_TEST_TMPDIR", tempfile.gettempdir())
    return ["tempdir %s" % p for p in sorted(glob.glob(os.path.join(base, MARKER + "-*")))]


def collect():
    return mounts() + cgroups() + processes() + state_dirs() + temp_dirs()


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("baseline", "check"):
        print("usage: leaks.py baseline FILE | check [FILE]", file=sys.stderr)
        return 2
    now = collect()
    if sys.argv[1] == "baseline":
        with open(sys.argv[2], "w") as f:
            json.dump(now, f, indent=1)
        for item in now:
            print("warning: left by an earlier run: %s" % item)
        print("baseline: %d marked objects already present" % len(now))
        return 0
    before = []
    if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
        with open(sys.argv[2]) as f:
            before = json.load(f)
    # Processes are matched by pid, so a reused pid could hide a leak only
    # if it again carries the marker.
    new = [item for item in now if item not in before]
    for item in before:
        if item in now:
            print("warning: still present from an earlier run: %s" % item)
    for item in new:
        print("LEAK: %s" % item)
    print("leaks: %d new marked objects" % len(new))
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
