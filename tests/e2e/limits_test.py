#!/usr/bin/python3
"""Container limits and the commands that watch and change them, on a
private store made from busybox-static (as containers_test.py):

- every limit `run` takes, checked from the container's cgroup on the host
  or from inside the container;
- `update` changing them live (cgroup files, inspect, config.json, and a
  restart keeping them), on stopped containers, the restart policy the
  monitor follows, docker's refusals;
- `stats`, `top`, `events`, `port`, `info`, `container prune`, `system prune`.

  HUTCH=build/hutch [HUTCH_RUNTIME=crun] /usr/bin/python3 tests/e2e/limits_test.py [-k Update]
"""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hutchtest as ht  # noqa: E402
import containers_test as ct  # noqa: E402

MiB = 1024 * 1024
V2 = ht.cgroup_v2_only()


def read(path):
    with open(path) as f:
        return f.read().strip()


class LimitCase(unittest.TestCase):
    def setUp(self):
        self.s = ct.Store()

    def tearDown(self):
        leftovers, mounts = self.s.close()
        self.assertEqual(leftovers, [], "container dirs left behind")
        self.assertEqual(mounts, [], "mounts left behind")

    def pid(self, name):
        return self.s.inspect(name)["State"]["Pid"]

    def cg(self, name, controller, v1_file, v2_file=None):
        """A cgroup file of the container's init, v1 or v2 name."""
        path, text = ht.read_cgroup_file(self.pid(name), controller, v1_file, v2_file)
        self.assertIsNotNone(path, "no %s cgroup for %s" % (controller, name))
        return text

    def sh(self, name, script):
        p = self.s.h("exec", name, "sh", "-c", script)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.strip()

    def memory_limits(self, name):
        """(memory, memory+swap or None, reservation) in bytes."""
        if V2:
            mem = self.cg(name, "memory", None, "memory.max")
            swap = self.cg(name, "memory", None, "memory.swap.max")
            low = self.cg(name, "memory", None, "memory.low")
            m = int(mem)
            return m, (None if swap == "max" else m + int(swap)), int(low)
        mem = int(self.cg(name, "memory", "memory.limit_in_bytes"))
        d = ht.cgroup_dir(self.pid(name), "memory")
        memsw = os.path.join(d, "memory.memsw.limit_in_bytes")
        swap = int(read(memsw)) if os.path.exists(memsw) else None
        if swap is not None and swap >= 1 << 62:
            swap = -1
        return mem, swap, int(self.cg(name, "memory", "memory.soft_limit_in_bytes"))

    def cpu_quota(self, name):
        """(quota, period) in µs; quota -1 when unlimited."""
        if V2:
            q, p = self.cg(name, "cpu", None, "cpu.max").split()
            return (-1 if q == "max" else int(q)), int(p)
        return int(self.cg(name, "cpu", "cpu.cfs_quota_us")), int(self.cg(name, "cpu", "cpu.cfs_period_us"))

    def cpu_shares(self, name):
        if V2:
            # runc's conversion of shares to weight (crun and hutchrt agree).
            return int(self.cg(name, "cpu", None, "cpu.weight"))
        return int(self.cg(name, "cpu", "cpu.shares"))

    def pids_max(self, name):
        return self.cg(name, "pids", "pids.max", "pids.max")

    def cpuset(self, name):
        return self.cg(name, "cpuset", "cpuset.cpus", "cpuset.cpus")


def shares_as_seen(shares):
    if not V2:
        return shares
    return 1 + ((shares - 2) * 9999) // 262142


def block_device():
    """A whole-disk block device of this host (not loop, ram or zram)."""
    for name in sorted(os.listdir("/sys/block")):
        if name.startswith(("loop", "ram", "zram", "dm-", "md")):
            continue
        if os.path.exists("/dev/" + name):
            major, minor = read("/sys/block/%s/dev" % name).split(":")
            return "/dev/" + name, "%s:%s" % (major, minor)
    return None, None


class RunLimits(LimitCase):
    def test_each_limit_from_the_cgroup_and_inside(self):
        dev, majmin = block_device()
        args = ["run", "-d", "--name", "lim", "--memory", "64m", "--memory-swap", "128m",
                "--memory-reservation", "32m", "--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0",
                "--pids-limit", "50", "--ulimit", "nofile=1024:2048", "--shm-size", "32m",
                "--sysctl", "kernel.msgmax=65536", "--oom-score-adj", "500"]
        if dev:
            args += ["--device-read-bps", dev + ":1mb", "--device-write-iops", dev + ":100"]
        self.s.h(*(args + ["busybox", "sleep", "300"]), check=True)
        mem, swap, low = self.memory_limits("lim")
        self.assertEqual(mem, 64 * MiB)
        if swap is not None:
            self.assertEqual(swap, 128 * MiB)
        self.assertEqual(low, 32 * MiB)
        self.assertEqual(self.cpu_quota("lim"), (50000, 100000))
        self.assertEqual(self.cpu_shares("lim"), shares_as_seen(512))
        self.assertEqual(self.cpuset("lim"), "0")
        self.assertEqual(self.pids_max("lim"), "50")
        if dev:
            if V2:
                io = self.cg("lim", "io", None, "io.max")
                self.assertIn("%s rbps=1048576" % majmin, io)
                self.assertIn("wiops=100", io)
            else:
                self.assertIn("%s 1048576" % majmin, self.cg("lim", "blkio", "blkio.throttle.read_bps_device"))
                self.assertIn("%s 100" % majmin, self.cg("lim", "blkio", "blkio.throttle.write_iops_device"))
        # The container's own process (pid 1): what exec starts may differ.
        inside = self.sh("lim", "grep 'open files' /proc/1/limits | tr -s ' ' | cut -d' ' -f4,5 | tr ' ' '\\n'; "
                                "df -k /dev/shm | tail -1; cat /proc/sys/kernel/msgmax; cat /proc/1/oom_score_adj")
        lines = inside.splitlines()
        self.assertEqual(lines[0:2], ["1024", "2048"], inside)
        self.assertEqual(lines[2].split()[1], "32768", inside)
        self.assertEqual(lines[3:5], ["65536", "500"])

    def test_pids_limit_is_enforced(self):
        self.s.h("run", "-d", "--name", "few", "--pids-limit", "8", "busybox", "sleep", "300", check=True)
        p = self.s.h("exec", "few", "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 & done; wait")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("fork", p.stderr.lower() + p.stdout.lower())

    def test_memory_limit_kills(self):
        # dd's 100 MiB buffer in a 32 MiB group without swap: OOM-killed.
        p = self.s.h("run", "--name", "oom", "--memory", "32m", "--memory-swap", "32m", "busybox",
                     "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1", timeout=60)
        self.assertEqual(p.returncode, 137, p.stderr)
        self.assertTrue(self.s.inspect("oom")["State"]["OOMKilled"])

    def test_blkio_weight(self):
        d = ht.cgroup_mounts().get("blkio")
        if V2 or not d or not (os.path.exists(os.path.join(d, "blkio.weight")) or
                               os.path.exists(os.path.join(d, "blkio.bfq.weight"))):
            self.skipTest("this host has no blkio weights (needs CFQ or BFQ)")
        self.s.h("run", "-d", "--name", "ww", "--blkio-weight", "300", "busybox", "sleep", "300", check=True)
        self.s.h("update", "--blkio-weight", "400", "ww", check=True)
        wd = ht.cgroup_dir(self.pid("ww"), "blkio")
        f = "blkio.weight" if os.path.exists(os.path.join(wd, "blkio.weight")) else "blkio.bfq.weight"
        self.assertIn("400", read(os.path.join(wd, f)))


class Update(LimitCase):
    def test_live_update_and_restart_keeps_it(self):
        s = self.s
        s.h("run", "-d", "--name", "up", "--memory", "64m", "busybox", "sleep", "300", check=True)
        self.assertEqual(self.memory_limits("up")[0], 64 * MiB)
        ncpu = os.cpu_count() or 1
        cpuset = "0-1" if ncpu > 1 else "0"
        p = s.h("update", "--memory", "128m", "--memory-swap", "256m", "--memory-reservation", "16m",
                "--cpus", "1", "--cpu-shares", "256", "--cpuset-cpus", cpuset, "--pids-limit", "20", "up")
        self.assertEqual((p.returncode, p.stdout), (0, "up\n"), p.stderr)

        def check():
            mem, swap, low = self.memory_limits("up")
            self.assertEqual(mem, 128 * MiB)
            if swap is not None:
                self.assertEqual(swap, 256 * MiB)
            self.assertEqual(low, 16 * MiB)
            self.assertEqual(self.cpu_quota("up"), (100000, 100000))
            self.assertEqual(self.cpu_shares("up"), shares_as_seen(256))
            self.assertEqual(self.cpuset("up"), cpuset)
            self.assertEqual(self.pids_max("up"), "20")
        check()
        hc = s.inspect("up")["HostConfig"]
        self.assertEqual((hc["Memory"], hc["MemorySwap"], hc["MemoryReservation"]), (128 * MiB, 256 * MiB, 16 * MiB))
        self.assertEqual((hc["NanoCpus"], hc["CpuShares"], hc["CpusetCpus"], hc["PidsLimit"]),
                         (1000000000, 256, cpuset, 20))
        cid = s.inspect("up")["Id"]
        with open(os.path.join(s.root, "containers", cid, "config.json")) as f:
            res = json.load(f)["linux"]["resources"]
        self.assertEqual(res["memory"], {"limit": 128 * MiB, "swap": 256 * MiB, "reservation": 16 * MiB})
        self.assertEqual(res["pids"], {"limit": 20})
        # A restart makes a new cgroup from config.json: the same values.
        s.h("restart", "-t", "1", "up", check=True)
        check()
        # Limits lifted: unlimited pids and CPU.
        s.h("update", "--pids-limit", "-1", "--cpus", "0", "up", check=True)
        # crun 1.8 cannot write "max" / -1: hutch gives it the highest
        # pids.max and a quota of every CPU instead.
        self.assertIn(self.pids_max("up"), ("max", "4194304"))
        quota, period = self.cpu_quota("up")
        self.assertTrue(quota == -1 or quota >= ncpu * period, (quota, period))
        self.assertEqual(s.inspect("up")["HostConfig"]["NanoCpus"], 0)

    def test_memory_update_seen_from_outside(self):
        s = self.s
        s.h("run", "-d", "--name", "mm", "--memory", "64m", "busybox", "sleep", "300", check=True)
        s.h("update", "--memory", "128m", "mm", check=True)
        self.assertEqual(self.memory_limits("mm")[0], 128 * MiB)
        # docker: memory above the memory+swap already set needs a new --memory-swap.
        p = s.h("update", "--memory", "512m", "mm")
        self.assertEqual(p.returncode, 1)
        self.assertIn("update the memoryswap at the same time", p.stderr)
        self.assertEqual(self.memory_limits("mm")[0], 128 * MiB)
        s.h("update", "--memory", "512m", "--memory-swap", "-1", "mm", check=True)
        mem, swap, _ = self.memory_limits("mm")
        self.assertEqual(mem, 512 * MiB)
        self.assertIn(swap, (None, -1))

    def test_stopped_container_gets_it_at_start(self):
        s = self.s
        s.h("create", "--name", "cc", "busybox", "sleep", "300", check=True)
        p = s.h("update", "--memory", "48m", "--pids-limit", "30", "--restart", "always", "cc")
        self.assertEqual(p.returncode, 0, p.stderr)
        s.h("start", "cc", check=True)
        self.assertEqual(self.memory_limits("cc")[0], 48 * MiB)
        self.assertEqual(self.pids_max("cc"), "30")
        hc = s.inspect("cc")["HostConfig"]
        self.assertEqual(hc["RestartPolicy"], {"Name": "always", "MaximumRetryCount": 0})
        with open(os.path.join(s.root, "containers", s.inspect("cc")["Id"], "monitor.json")) as f:
            self.assertEqual(json.load(f)["restart"], "always")

    def test_restart_policy_followed_by_the_monitor(self):
        s = self.s
        s.h("run", "-d", "--name", "rp", "busybox", "sh", "-c", "sleep 2; exit 3", check=True)
        s.h("update", "--restart", "on-failure:2", "rp", check=True)
        ct.wait_for(lambda: s.inspect("rp")["RestartCount"] >= 2 and s.inspect("rp")["State"]["Status"] == "exited",
                    timeout=40, what="two restarts, then exited")
        self.assertEqual(s.inspect("rp")["State"]["ExitCode"], 3)

    def test_refusals(self):
        s = self.s
        s.h("run", "-d", "--name", "xx", "busybox", "sleep", "300", check=True)
        for args, code, text in [
            (["update", "xx"], 1, "you must provide one or more flags"),
            (["update", "--memory", "1k", "xx"], 1, "minimum memory limit allowed is 6mb"),
            (["update", "--memory", "12x", "xx"], 125, "invalid"),
            (["update", "--cpus", "abc", "xx"], 125, "invalid"),
            (["update", "--restart", "sometimes", "xx"], 125, "unknown policy"),
            (["update", "--memory", "64m", "nosuch"], 1, "no such container"),
            (["update", "--cpuset-cpus", "999", "xx"], 1, "cannot update container"),
        ]:
            p = s.h(*args)
            self.assertEqual(p.returncode, code, "%s: %s" % (args, p.stderr))
            self.assertIn(text, p.stderr.lower(), args)
        # Nothing stored by the refused updates.
        hc = s.inspect("xx")["HostConfig"]
        self.assertEqual((hc["Memory"], hc["CpusetCpus"]), (0, ""))
        s.h("run", "-d", "--rm", "--name", "gone", "busybox", "sleep", "300", check=True)
        p = s.h("update", "--restart", "always", "gone")
        self.assertIn("AutoRemove", p.stderr)


class Watch(LimitCase):
    def test_stats(self):
        s = self.s
        s.h("run", "-d", "--name", "busy", "--memory", "64m", "busybox", "sh", "-c", "while :; do :; done", check=True)
        s.h("create", "--name", "idle", "busybox", "true", check=True)
        p = s.h("stats", "--no-stream", "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual([r["Name"] for r in rows], ["busy"])
        r = rows[0]
        self.assertEqual(sorted(r), ["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO",
                                     "PIDs"])
        self.assertTrue(r["MemUsage"].endswith(" / 64MiB"), r)
        self.assertGreater(float(r["CPUPerc"].rstrip("%")), 5.0, r)
        self.assertEqual(r["PIDs"], "1")
        self.assertEqual(len(r["ID"]), 12)
        p = s.h("stats", "--no-stream", "-a")
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT", "MEM",
                                            "%", "NET", "I/O", "BLOCK", "I/O", "PIDS"])
        idle = [l for l in lines if " idle " in l]
        self.assertEqual(len(idle), 1, p.stdout)
        self.assertIn("0.00%", idle[0])
        p = s.h("stats", "--no-stream", "--no-trunc", "--format", "{{.Container}} {{.ID}}", "busy")
        cid = s.inspect("busy")["Id"]
        self.assertEqual(p.stdout, "busy %s\n" % cid)
        p = s.h("stats", "--no-stream", "nosuch")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no such container", p.stderr.lower())
        # Live mode redraws until interrupted.
        proc = subprocess.Popen(s.argv("stats", "busy"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, HUTCH_RUNTIME=ct.RUNTIME) if ct.RUNTIME else None)
        time.sleep(2.8)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0)
        self.assertGreaterEqual(out.count(b"\x1b[2J\x1b[H"), 2)
        self.assertGreaterEqual(out.count(b"busy"), 2)

    def test_top(self):
        s = self.s
        s.h("run", "-d", "--name", "tp", "busybox", "sh", "-c", "sleep 1000 & sleep 2000; exit 0", check=True)
        ct.wait_for(lambda: "sleep 1000" in s.h("top", "tp").stdout, what="both sleeps")
        p = s.h("top", "tp")
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        cmds = sorted(l.split(None, 7)[7] for l in lines[1:])
        self.assertEqual(cmds, ["sh -c sleep 1000 & sleep 2000; exit 0", "sleep 1000", "sleep 2000"])
        pid = self.pid("tp")
        self.assertIn(str(pid), [l.split()[1] for l in lines[1:]])
        p = s.h("top", "tp", "-o", "pid,comm")
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["PID", "COMMAND"])
        self.assertEqual(sorted(l.split()[1] for l in lines[1:]), ["sh", "sleep", "sleep"])
        p = s.h("top", "tp", "-o", "comm")
        self.assertEqual(p.returncode, 1)
        self.assertIn("PID field", p.stderr)
        s.h("stop", "-t", "0", "tp", check=True)
        p = s.h("top", "tp")
        self.assertEqual(p.returncode, 1)
        self.assertIn("is not running", p.stderr)

    def test_events(self):
        s = self.s
        t0 = time.time()
        follow = subprocess.Popen(s.argv("events", "--filter", "container=ev", "--format",
                                         "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        s.h("run", "-d", "--name", "ev", "busybox", "true", check=True)
        s.h("run", "-d", "--name", "other", "busybox", "true", check=True)
        ct.wait_for(lambda: s.inspect("ev")["State"]["Status"] == "exited", what="ev to exit")
        time.sleep(0.6)
        follow.send_signal(signal.SIGINT)
        out, err = follow.communicate(timeout=10)
        self.assertEqual(follow.returncode, 0, err)
        lines = out.splitlines()
        self.assertIn("container create ev", lines)
        self.assertIn("container start ev", lines)
        self.assertFalse(any("other" in l for l in lines), out)
        # History between two times, default format and json.
        until = "%.3f" % (time.time() + 0.5)
        p = s.h("events", "--since", "%.3f" % (t0 - 1), "--until", until, "--filter", "event=start")
        self.assertEqual(p.returncode, 0, p.stderr)
        starts = p.stdout.splitlines()
        self.assertEqual(len(starts), 2, p.stdout)
        cid = s.inspect("ev")["Id"]
        self.assertRegex(starts[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container start %s "
                                    r"\(image=busybox, name=ev\)$" % cid)
        p = s.h("events", "--since", "1m", "--until", until, "--format", "json", "--filter", "container=" + cid[:12])
        objs = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(objs[0]["Action"], "create")
        self.assertEqual((objs[0]["status"], objs[0]["id"], objs[0]["from"]), ("create", cid, "busybox"))
        self.assertEqual(objs[0]["Actor"]["Attributes"]["name"], "ev")
        self.assertIsInstance(objs[0]["timeNano"], int)
        p = s.h("events", "--since", "yesterday")
        self.assertEqual(p.returncode, 1)
        p = s.h("events", "--filter", "bogus=1", "--until", "0")
        self.assertEqual(p.returncode, 1)

    def test_port_and_info(self):
        s = self.s
        s.h("run", "-d", "--name", "pp", "busybox", "sleep", "300", check=True)
        p = s.h("port", "pp")
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
        p = s.h("port", "pp", "80")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no public port '80/tcp' published for p", p.stderr)
        s.h("create", "--name", "qq", "busybox", "true", check=True)
        p = s.h("info", "--format", "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}}")
        self.assertEqual(p.stdout, "2 1 1 1\n", p.stderr)
        p = s.h("info")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(" Containers: 2\n  Running: 1\n  Paused: 0\n  Stopped: 1\n Images: 1\n", p.stdout)
        self.assertIn(" Cgroup Version: %d\n" % (2 if V2 else 1), p.stdout)
        self.assertIn(" Docker Root Dir: %s\n" % os.path.abspath(s.root), p.stdout)
        self.assertIn(" Default Runtime: %s\n" % (os.path.basename(ct.RUNTIME) if ct.RUNTIME else "hutchrt"), p.stdout)


class Prune(LimitCase):
    def test_container_and_system_prune(self):
        s = self.s
        s.h("run", "-d", "--name", "keep", "busybox", "sleep", "300", check=True)
        s.h("create", "--name", "old1", "--label", "tier=a", "busybox", "true", check=True)
        s.h("run", "--name", "old2", "busybox", "sh", "-c", "echo x > /file", check=True)
        ids = {n: s.inspect(n)["Id"] for n in ("old1", "old2")}
        # No terminal and no -f: refused, nothing removed.
        p = s.h("container", "prune")
        self.assertEqual(p.returncode, 1)
        self.assertIn("-f", p.stderr)
        self.assertEqual(len(s.ids()), 3)
        p = s.h("container", "prune", "-f", "--filter", "label=tier=a")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "Deleted Containers:\n%s\n\nTotal reclaimed space: 0B\n" % ids["old1"])
        p = s.h("container", "prune", "-f", "--filter", "until=1h")
        self.assertNotIn("Deleted", p.stdout)
        p = s.h("container", "prune", "-f")
        self.assertTrue(p.stdout.startswith("Deleted Containers:\n%s\n\n" % ids["old2"]), p.stdout)
        self.assertRegex(p.stdout, r"Total reclaimed space: [1-9]\d*(\.\d+)?[kM]?B\n$")
        self.assertEqual(s.ids(), [s.inspect("keep")["Id"]])
        # The running container's image stays even with -a.
        p = s.h("system", "prune", "-a", "-f", "--volumes")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(s.h("images", "-q").stdout.split()), 1)
        s.h("rm", "-f", "keep", check=True)
        p = s.h("system", "prune", "-a", "-f")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Deleted Images:\nuntagged: busybox:latest\ndeleted: sha256:", p.stdout)
        self.assertEqual(s.h("images", "-q").stdout.split(), [])


if __name__ == "__main__":
    ht.require_root()
    ct.HUTCH = os.environ.get("HUTCH") or os.path.join(ht.REPO, "build", "hutch")
    if not os.path.exists(ct.HUTCH):
        ht.skip_all("hutch binary not found: %s" % ct.HUTCH)
    kind = os.path.basename(ct.RUNTIME) if ct.RUNTIME else "hutchrt"
    ht.main(lambda: ht.hugetlb_v1_if_needed(kind))
