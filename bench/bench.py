#!/usr/bin/python3
"""Side-by-side runtime benchmarks: hutchrt against crun and runc.

  bench.py lifecycle [-n N] [RUNTIME...]   (bench/runtime.sh)
  bench.py concurrent [-n N] [RUNTIME...]  (bench/concurrent.sh)

RUNTIME defaults to build/hutchrt (skipped with a note when not built yet),
crun and runc. The driver is the containers' child subreaper, as
containerd's shim is, so it waits for the container's exit itself and leaves
no zombies. crun gets Debian's hybrid-cgroup workaround
(tests/testlib/crun-hugetlb.sh) for the whole run, so every runtime sees the
same cgroup layout.

lifecycle: each iteration times create, start, wait for exit and delete of a
container running /bin/true, for every runtime in turn (alternating, so drift
in machine load hits all alike); prints per-phase and total medians, the
ratios hutchrt/crun and hutchrt/runc, peak RSS of `RUNTIME run` and of
`RUNTIME create` (GNU time %M, median of 5) and stripped binary sizes.

concurrent: creates and starts N containers (default 100) at once, deletes
them all at once, and compares mounts, cgroup dirs, open files and processes
before and after; exits 1 if any count differs once things settle.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "testlib"))
import hutchtest as ht  # noqa: E402

MARKER = "hutch-test-bench"


def runtimes_from_args(names):
    found = []
    if not names:
        names = [os.path.join(REPO, "build", "hutchrt"), "crun", "runc"]
    for n in names:
        path = ht.find_binary(n)
        if not path:
            print("%-8s skipped: %s not found (not built yet?)" % (os.path.basename(n), n))
            continue
        found.append(path)
    if not found:
        print("no runtime to benchmark")
        sys.exit(77)
    return found


def make_bundle(tmp, args):
    b = ht.Bundle(os.path.join(tmp, "bundle"), probe=False)
    b.config["process"]["args"] = args
    b.save()
    return b


def ms(seconds):
    return seconds * 1000.0


class Driver:
    def __init__(self, binary, tmp):
        self.binary = binary
        self.kind = ht.runtime_kind(binary)
        self.root = os.path.join(tmp, "state-" + self.kind)
        self.err_path = os.path.join(tmp, "stderr-" + self.kind)
        os.makedirs(self.root, exist_ok=True)

    def argv(self, *args):
        return [self.binary, "--root", self.root] + list(args)

    def call(self, *args, check=True):
        # stderr goes to a file: the container inherits create's stdio, and a
        # pipe would not reach EOF until the container exits.
        with open(self.err_path, "wb") as err:
            r = subprocess.run(self.argv(*args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        if check and r.returncode != 0:
            with open(self.err_path, errors="replace") as f:
                raise RuntimeError("%s %s: %s" % (self.kind, " ".join(args), f.read()))


def lifecycle(args):
    runtimes = runtimes_from_args(args.runtimes)
    kinds = [ht.runtime_kind(r) for r in runtimes]
    tmp = ht.TempDir("bench")
    try:
        with ht.hugetlb_v1_if_needed("crun" if "crun" in kinds else ""):
            bundle = make_bundle(tmp.path, ["/bin/true"])
            drivers = [Driver(r, tmp.path) for r in runtimes]
            phases = {d.kind: {"create": [], "start": [], "wait": [], "delete": [], "total": []} for d in drivers}
            pid_file = tmp.join("pid")
            for i in range(args.n + 1):  # iteration 0 warms caches and is not counted
                for d in drivers:
                    cid = "%s-%d-%s-%d" % (MARKER, os.getpid(), d.kind, i)
                    t0 = time.perf_counter()
                    d.call("create", "--bundle", bundle.path, "--pid-file", pid_file, cid)
                    t1 = time.perf_counter()
                    with open(pid_file) as f:
                        pid = int(f.read())
                    d.call("start", cid)
                    t2 = time.perf_counter()
                    # Blocking waitpid (we are the subreaper): no polling delay.
                    _, status = os.waitpid(pid, 0)
                    code = os.waitstatus_to_exitcode(status)
                    t3 = time.perf_counter()
                    d.call("delete", cid)
                    t4 = time.perf_counter()
                    if code != 0:
                        raise RuntimeError("%s: /bin/true exited %s" % (d.kind, code))
                    if i == 0:
                        continue
                    p = phases[d.kind]
                    p["create"].append(t1 - t0)
                    p["start"].append(t2 - t1)
                    p["wait"].append(t3 - t2)
                    p["delete"].append(t4 - t3)
                    p["total"].append(t4 - t0)
            ht.reap_all()

            print("container lifecycle running /bin/true: create, start, wait for exit, delete")
            print("%d iterations per runtime, alternating; medians in ms" % args.n)
            print("%-8s %8s %8s %8s %8s %8s" % ("runtime", "create", "start", "wait", "delete", "total"))
            med = {}
            for d in drivers:
                p = phases[d.kind]
                m = {k: statistics.median(v) for k, v in p.items()}
                med[d.kind] = m["total"]
                print("%-8s %8.2f %8.2f %8.2f %8.2f %8.2f" % (d.kind, ms(m["create"]), ms(m["start"]),
                                                              ms(m["wait"]), ms(m["delete"]), ms(m["total"])))
            for other in ("crun", "runc"):
                if "hutchrt" in med and other in med:
                    print("ratio hutchrt/%s: %.2f" % (other, med["hutchrt"] / med[other]))
            if "hutchrt" not in med and "crun" in med and "runc" in med:
                print("ratio crun/runc: %.2f (hutchrt not built)" % (med["crun"] / med["runc"]))

            print("peak RSS, KiB (GNU time %M, median of 5)")
            print("%-8s %10s %10s" % ("runtime", "run", "create"))
            for d in drivers:
                print("%-8s %10d %10d" % (d.kind, peak_rss(d, bundle, "run", tmp), peak_rss(d, bundle, "create", tmp)))

            print("binary size, bytes (stripped copy)")
            for d in drivers:
                print("%-8s %10d  %s" % (d.kind, stripped_size(d.binary, tmp), d.binary))
    finally:
        tmp.close()


def peak_rss(d, bundle, how, tmp):
    samples = []
    for i in range(5):
        cid = "%s-%d-rss-%s-%s-%d" % (MARKER, os.getpid(), d.kind, how, i)
        out = tmp.join("rss")
        if how == "run":
            cmd = d.argv("run", "--bundle", bundle.path, cid)
        else:
            cmd = d.argv("create", "--bundle", bundle.path, "--pid-file", tmp.join("pid"), cid)
        subprocess.run(["/usr/bin/time", "-o", out, "-f", "%M"] + cmd, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
        if how == "create":
            with open(tmp.join("pid")) as f:
                pid = int(f.read())
            d.call("start", cid)
            os.waitpid(pid, 0)
        # `run` deletes the container itself on exit (runc, crun); others may not.
        d.call("delete", cid, check=False)
        with open(out) as f:
            samples.append(int(f.read().split()[-1]))
    return int(statistics.median(samples))


def stripped_size(binary, tmp):
    out = tmp.join("stripped")
    subprocess.run(["strip", "-o", out, binary], check=True)
    size = os.path.getsize(out)
    os.unlink(out)
    return size


# --- concurrent -------------------------------------------------------------------


def descendants():
    """Processes below the driver; as subreaper it inherits every orphan a
    runtime leaves, so this is where a leaked process shows up."""
    parent = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                stat = f.read()
        except OSError:
            continue
        parent[int(p)] = int(stat[stat.rindex(")") + 2:].split()[1])
    me, found = os.getpid(), 0
    for pid in parent:
        q = parent.get(pid)
        while q and q != me:
            q = parent.get(q)
        found += q == me
    return found


# Counts judged before/after; the "(info)" ones are system-wide and move
# with anything else running on the machine, so they are shown, not judged.
JUDGED = ("mounts", "cgroup dirs", "processes", "driver fds", "marked objects")


def counts():
    with open("/proc/self/mountinfo") as f:
        mounts = sum(1 for _ in f)
    cgroups = 0
    for top in set(ht.cgroup_mounts().values()):
        for _, dirnames, _ in os.walk(top):
            cgroups += len(dirnames)
    with open("/proc/sys/fs/file-nr") as f:
        files = int(f.read().split()[0])
    marked = len([l for l in ht.mount_points_under("/") if MARKER in l]) + len(ht.marked_cgroup_dirs(MARKER))
    return {"mounts": mounts, "cgroup dirs": cgroups, "processes": descendants(),
            "driver fds": len(os.listdir("/proc/self/fd")), "marked objects": marked,
            "open files (info)": files,
            "all processes (info)": sum(1 for p in os.listdir("/proc") if p.isdigit())}


def same(a, b):
    return all(a[k] == b[k] for k in JUDGED)


def concurrent(args):
    runtimes = runtimes_from_args(args.runtimes)
    kinds = [ht.runtime_kind(r) for r in runtimes]
    failed = False
    tmp = ht.TempDir("bench")
    try:
        with ht.hugetlb_v1_if_needed("crun" if "crun" in kinds else ""):
            bundle = make_bundle(tmp.path, ["/bin/sleep", "1000"])
            for r in runtimes:
                d = Driver(r, tmp.path)
                failed |= not concurrent_one(d, bundle, tmp, args.n)
    finally:
        tmp.close()
    sys.exit(1 if failed else 0)


def wait_all(procs, what):
    bad = []
    for cid, (p, err_path) in procs:
        p.wait()
        if p.returncode != 0:
            with open(err_path, errors="replace") as f:
                bad.append("%s %s: %s" % (what, cid, f.read().strip()))
    return bad


def concurrent_one(d, bundle, tmp, n):
    # One container first, so parents a runtime keeps by design (hutchrt's
    # /hutch cgroup, say) exist before counting; only per-container leftovers count.
    warm = "%s-%d-%s-warm" % (MARKER, os.getpid(), d.kind)
    d.call("create", "--bundle", bundle.path, "--pid-file", tmp.join("warm.pid"), warm)
    d.call("delete", "--force", warm)
    ht.reap_all()
    before = counts()
    ids = ["%s-%d-%s-c%d" % (MARKER, os.getpid(), d.kind, i) for i in range(n)]
    piddir = tmp.join("pids-" + d.kind)
    os.makedirs(piddir, exist_ok=True)

    def spawn(*args):
        # Per-call stderr file, not a pipe: containers inherit create's stdio.
        err_path = os.path.join(piddir, "err-%s-%s" % (args[0], args[-1]))
        with open(err_path, "wb") as err:
            p = subprocess.Popen(d.argv(*args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        return p, err_path

    t0 = time.perf_counter()
    errors = wait_all([(c, spawn("create", "--bundle", bundle.path, "--pid-file", os.path.join(piddir, c), c))
                       for c in ids], "create")
    t1 = time.perf_counter()
    errors += wait_all([(c, spawn("start", c)) for c in ids], "start")
    t2 = time.perf_counter()
    running = sum(1 for c in ids if os.path.exists(os.path.join(piddir, c)) and
                  ht.pid_alive(int(open(os.path.join(piddir, c)).read())))
    peak = counts()
    t3 = time.perf_counter()
    errors += wait_all([(c, spawn("delete", "--force", c)) for c in ids], "delete --force")
    t4 = time.perf_counter()
    # Reap the killed inits (we are their subreaper); let async cleanup settle.
    after = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ht.reap_all()
        after = counts()
        if same(after, before):
            break
        time.sleep(0.2)
    leftover = ht.marked_cgroup_dirs("%s-%d-%s-" % (MARKER, os.getpid(), d.kind))
    for path in leftover:
        ht.remove_cgroup_tree(path)

    print("%s: %d containers: create %.0f ms, start %.0f ms, delete --force %.0f ms; %d running at peak" %
          (d.kind, n, ms(t1 - t0), ms(t2 - t1), ms(t4 - t3), running))
    print("  %-20s %8s %8s %8s" % ("", "before", "peak", "after"))
    for k in before:
        flag = "" if before[k] == after[k] or k not in JUDGED else "   <-- differs"
        print("  %-20s %8d %8d %8d%s" % (k, before[k], peak[k], after[k], flag))
    for e in errors[:5]:
        print("  error: %s" % e)
    ok = not errors and running == n and same(before, after)
    print("  %s" % ("ok" if ok else "FAILED"))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("lifecycle")
    p.add_argument("-n", type=int, default=50, help="iterations per runtime (default 50)")
    p.add_argument("runtimes", nargs="*")
    p = sub.add_parser("concurrent")
    p.add_argument("-n", type=int, default=100, help="containers (default 100)")
    p.add_argument("runtimes", nargs="*")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench: must run as root")
        return 77
    ht.become_subreaper()
    if args.cmd == "lifecycle":
        lifecycle(args)
    else:
        concurrent(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
