#!/usr/bin/python3
"""Where a container start spends its time: runs a hutch command with
$HUTCH_TRACE set and prints the merged timeline of the marks that hutch,
its monitor, hutchrt and the container's init wrote (base/trace.h), in ms
since the command was spawned.

  bench/trace.py [-n N] [--hutch PATH] [--root DIR] [--runroot DIR] -- ARGS...
  e.g. bench/trace.py --root /tmp/r -- run --rm --network none busybox true
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1, help="runs (each printed)")
    ap.add_argument("--hutch", default=os.path.join(os.path.dirname(HERE), "build", "hutch"))
    ap.add_argument("--root")
    ap.add_argument("--runroot")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    if not args:
        raise SystemExit("trace: nothing to run (give hutch's arguments after --)")
    cmd = [a.hutch]
    if a.root:
        cmd += ["--root", a.root]
    if a.runroot:
        cmd += ["--runroot", a.runroot]
    cmd += args
    fd, log = tempfile.mkstemp(prefix="hutch-trace-")
    os.close(fd)
    try:
        for _ in range(a.n):
            open(log, "w").close()
            env = dict(os.environ, HUTCH_TRACE=log)
            t0 = time.monotonic()
            p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
            t1 = time.monotonic()
            rows = []
            with open(log) as f:
                for line in f:
                    ts, pid, what = line.rstrip("\n").split(" ", 2)
                    rows.append((float(ts), int(pid), what))
            rows.sort()
            print("--- %s: exit %d, %.2f ms" % (" ".join(args), p.returncode, (t1 - t0) * 1000))
            for ts, pid, what in rows:
                print("%8.2f  %-7d %s" % ((ts - t0) * 1000, pid, what))
    finally:
        os.unlink(log)


if __name__ == "__main__":
    sys.exit(main())
