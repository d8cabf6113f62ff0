#!/usr/bin/python3
"""hutch's networking against podman's (bench/net.sh)."""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "testlib"))
import hutchtest as ht  # noqa: E402

PODMAN_LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
HOST_ADDR = "198.51.100.1"  # added to the loopback: what the client connects to


def timed(argv):
    t = time.perf_counter()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit("bench: %s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.decode()[-500:]))
    return dt


def send(port, mb):
    """Sends mb MiB to HOST_ADDR:port; MiB/s."""
    deadline = time.monotonic() + 15
    while True:
        try:
            s = socket.create_connection((HOST_ADDR, port), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    chunk = b"\0" * (1 << 20)
    t = time.perf_counter()
    for _ in range(mb):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(60)
    s.recv(1)  # the server closes once it has read everything
    dt = time.perf_counter() - t
    s.close()
    return mb / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--mb", type=int, default=1000)
    ap.add_argument("--hutch", default=os.path.join(REPO, "build", "hutch"))
    a = ap.parse_args()
    ht.require_root()
    if os.environ.get("HUTCH_TEST_NETNS") != "1":
        raise SystemExit("bench: run through bench/net.sh (a network namespace of its own)")
    hutch_bin = os.path.abspath(a.hutch)
    tmp = ht.TempDir("bench-net")
    runroot = "/run/hutch/%s" % ht.unique_id("bench")
    hutch = [hutch_bin, "--root", tmp.join("hroot"), "--runroot", runroot]
    pod = ["podman", "--root", tmp.join("proot"), "--runroot", tmp.join("prun"), "--tmpdir", tmp.join("ptmp"),
           "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
    tar = tmp.join("rootfs.tar")
    subprocess.run(["ip", "addr", "add", HOST_ADDR + "/32", "dev", "lo"], check=True)
    try:
        with ht.hugetlb_v1_if_needed("crun"):
            subprocess.run([os.path.join(REPO, "tests/fixtures/make-image.sh"), "rootfs-tar", tar], check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run(hutch + ["import", tar, "busybox"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(pod + ["import", tar, "localhost/busybox"], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            argv = {
                ("hutch", "none"): hutch + ["run", "--rm", "--network", "none", "busybox", "true"],
                ("hutch", "bridge"): hutch + ["run", "--rm", "--network", "bridge", "busybox", "true"],
                ("podman", "none"): pod + ["run", "--rm", "--network", "none"] + PODMAN_LIMITS +
                ["localhost/busybox", "true"],
                ("podman", "bridge"): pod + ["run", "--rm", "--network", "bridge"] + PODMAN_LIMITS +
                ["localhost/busybox", "true"],
            }
            runs = {k: [] for k in argv}
            for k in argv:  # warm caches, create the bridges
                timed(argv[k])
            for _ in range(a.n):
                for k in argv:
                    runs[k].append(timed(argv[k]))
            med = {k: statistics.median(v) * 1000 for k, v in runs.items()}
            added = {e: med[(e, "bridge")] - med[(e, "none")] for e in ("hutch", "podman")}
            print("run --rm busybox true, median of %d (ms):" % a.n)
            for e in ("hutch", "podman"):
                print("  %-7s none %7.1f  bridge %7.1f  added by bridge %7.1f" %
                      (e, med[(e, "none")], med[(e, "bridge")], added[e]))
            print("  bridge's added time, hutch/podman %.2f (goal <= 0.5)" % (added["hutch"] / added["podman"]))

            server = ["sh", "-c", "nc -l -p 80 >/dev/null"]
            rates = {}
            for e, cmd in (("hutch", hutch + ["run", "-d", "-p", "8201:80", "busybox"] + server),
                           ("podman", pod + ["run", "-d", "-p", "8202:80"] + PODMAN_LIMITS +
                            ["localhost/busybox"] + server)):
                cid = subprocess.check_output(cmd, text=True).strip()
                try:
                    rates[e] = send(8201 if e == "hutch" else 8202, a.mb)
                finally:
                    rm = (hutch + ["rm", "-f", cid]) if e == "hutch" else (pod + ["rm", "-f", "-t", "0", cid])
                    subprocess.run(rm, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print("TCP through a published port, %d MiB: hutch %.0f MiB/s, podman %.0f MiB/s, hutch/podman %.2f "
                  "(goal: ~1 or more)" % (a.mb, rates["hutch"], rates["podman"], rates["hutch"] / rates["podman"]))
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
