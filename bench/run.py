#!/usr/bin/python3
"""hutch run against podman run and a bare crun run (bench/run.sh)."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "testlib"))
import hutchtest as ht  # noqa: E402

PODMAN_LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]


def timed(argv, **kw):
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit("bench: %s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.decode()[-500:]))
    return dt


def mem_kib(pid):
    rss = pss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--ps", type=int, default=100)
    ap.add_argument("--hutch", default=os.path.join(REPO, "build", "hutch"))
    a = ap.parse_args()
    ht.require_root()
    hutch_bin = os.path.abspath(a.hutch)
    if not os.path.exists(hutch_bin):
        raise SystemExit("bench: %s not found: build first" % hutch_bin)
    tmp = ht.TempDir("bench-run")
    runroot = "/run/hutch/%s" % ht.unique_id("bench")
    hutch = [hutch_bin, "--root", tmp.join("hroot"), "--runroot", runroot]
    pod = ["podman", "--root", tmp.join("proot"), "--runroot", tmp.join("prun"), "--tmpdir", tmp.join("ptmp"),
           "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
    tar = tmp.join("rootfs.tar")
    bundle = tmp.join("bundle")
    try:
        with ht.hugetlb_v1_if_needed("crun"):
            subprocess.run([os.path.join(REPO, "tests/fixtures/make-image.sh"), "rootfs-tar", tar], check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run(hutch + ["import", tar, "busybox"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(pod + ["import", tar, "localhost/busybox"], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            subprocess.run([os.path.join(REPO, "tests/fixtures/make-bundle.sh"), bundle], check=True,
                           stdout=subprocess.DEVNULL)
            cfg = json.load(open(os.path.join(bundle, "config.json")))
            cfg["process"]["args"] = ["/bin/true"]
            json.dump(cfg, open(os.path.join(bundle, "config.json"), "w"))
            runs = {"hutch": [], "podman": [], "crun": []}
            argv = {
                # Both without networking: hutch's default network is bridge.
                "hutch": lambda i: hutch + ["run", "--rm", "--network", "none", "busybox", "true"],
                "podman": lambda i: pod + ["run", "--rm", "--network", "none"] + PODMAN_LIMITS +
                ["localhost/busybox", "true"],
                "crun": lambda i: ["crun", "--root", tmp.join("crun-state"), "run", "--bundle", bundle,
                                   "%s-crun-%d" % (ht.MARKER, i)],
            }
            for k in argv:  # warm caches
                timed(argv[k](-1), stdin=subprocess.DEVNULL)
            for i in range(a.n):
                for k in argv:
                    runs[k].append(timed(argv[k](i), stdin=subprocess.DEVNULL))
            med = {k: statistics.median(v) * 1000 for k, v in runs.items()}
            print("run --rm busybox true, median of %d (ms):" % a.n)
            for k in ("hutch", "podman", "crun"):
                print("  %-7s %8.1f" % (k, med[k]))
            print("  hutch/podman %.3f (goal <= 0.1)   hutch/crun %.2f (goal <= 1.3)" %
                  (med["hutch"] / med["podman"], med["hutch"] / med["crun"]))

            # Monitor vs conmon.
            cid = subprocess.check_output(hutch + ["run", "-d", "--network", "none", "busybox", "sleep", "120"],
                                          text=True).strip()
            mon_pid = int(open(os.path.join(runroot, cid[:12], "monitor.pid")).read().split()[0])
            pcid = subprocess.check_output(pod + ["run", "-d", "--network", "none"] + PODMAN_LIMITS +
                                           ["localhost/busybox", "sleep", "120"], text=True).strip()
            conmon = int(subprocess.check_output(pod + ["inspect", "--format", "{{.State.ConmonPid}}", pcid],
                                                 text=True).strip())
            time.sleep(0.5)
            m, c = mem_kib(mon_pid), mem_kib(conmon)
            print("supervisor memory (KiB): hutch monitor RSS %d Pss %d; conmon RSS %d Pss %d; RSS ratio %.2f "
                  "(goal <= 0.5)" % (m[0], m[1], c[0], c[1], m[0] / c[0]))
            subprocess.run(hutch + ["rm", "-f", cid], stdout=subprocess.DEVNULL)
            subprocess.run(pod + ["rm", "-f", "-t", "0", pcid], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            # ps with many containers.
            if a.ps > 0:
                for i in range(a.ps):
                    subprocess.run(hutch + ["run", "-d", "--network", "none", "busybox", "sleep", "600"], check=True,
                                   stdout=subprocess.DEVNULL)
                n = len(subprocess.check_output(hutch + ["ps", "-q"], text=True).split())
                t = [timed(hutch + ["ps"]) * 1000 for _ in range(10)]
                print("hutch ps with %d running: median %.1f ms (goal < 50)" % (n, statistics.median(t)))
                subprocess.run(hutch + ["rm", "-f"] + subprocess.check_output(hutch + ["ps", "-aq"], text=True).split(),
                               stdout=subprocess.DEVNULL)
    finally:
        subprocess.run(hutch + ["rm", "-f"] + subprocess.run(hutch + ["ps", "-aq"], text=True,
                                                             stdout=subprocess.PIPE).stdout.split(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(pod + ["rm", "-af", "-t", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(pod + ["rmi", "-af"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", runroot])
        tmp.close()


if __name__ == "__main__":
    main()
