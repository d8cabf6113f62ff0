#!/usr/bin/python3
"""hutch's container commands as a Docker user meets them, on a private
store made from busybox-static (`hutch import`, no network):

- run in the foreground: output, exit codes (the container's, 125, 126, 127),
  --rm leaves nothing;
- a day's work: run -d with a restart policy and a health check, logs,
  exec, stats, update a limit (checked in the cgroup), diff, cp both ways,
  commit (and run the result), kill the main process and watch it restart,
  pause, stop, start, rename, rm -f; attach and detach on a terminal;
- containers outlive a SIGKILLed `hutch`; 200 hutch commands at once on
  one store;
- bad input: clear errors, docker's exit codes, nothing left behind.

  HUTCH=build/hutch [HUTCH_RUNTIME=crun] /usr/bin/python3 tests/e2e/containers_test.py [-k Day]
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402

HUTCH = None
RUNTIME = os.environ.get("HUTCH_RUNTIME", "")  # "" = hutch's default (hutchrt)
MAKE_IMAGE = os.path.join(ht.REPO, "tests/fixtures/make-image.sh")


class Store:
    """A private hutch store (--root in a marked temp dir, --runroot under
    /run/hutch with the marker) holding the busybox image."""

    def __init__(self):
        self.tmp = ht.TempDir("ctr")
        self.root = self.tmp.join("root")
        self.runroot = "/run/hutch/%s" % ht.unique_id("run")
        tar = self.tmp.join("rootfs.tar")
        subprocess.run([MAKE_IMAGE, "rootfs-tar", tar], check=True, stdout=subprocess.DEVNULL)
        self.h("import", "--change", "CMD [\"/bin/sh\"]", tar, "busybox", check=True)

    def argv(self, *args):
        return [HUTCH, "--root", self.root, "--runroot", self.runroot] + list(args)

    def h(self, *args, check=False, input=None, timeout=60):
        env = dict(os.environ)
        if RUNTIME:
            env["HUTCH_RUNTIME"] = RUNTIME
        p = subprocess.run(self.argv(*args), input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout, env=env)
        if check and p.returncode != 0:
            raise AssertionError("%s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def inspect(self, name):
        return json.loads(self.h("inspect", name, check=True).stdout)[0]

    def ids(self):
        return self.h("ps", "-aq", "--no-trunc", check=True).stdout.split()

    def close(self):
        for cid in self.ids():
            self.h("rm", "-f", cid)
        leftovers = os.listdir(os.path.join(self.root, "containers")) if os.path.isdir(
            os.path.join(self.root, "containers")) else []
        mounts = ht.mount_points_under(self.root)
        self.tmp.close()
        subprocess.run(["rm", "-rf", self.runroot])
        return leftovers, mounts


def memory_limit(cid):
    """The memory limit the kernel holds for a container (v1 or v2)."""
    for path in ("/sys/fs/cgroup/memory/hutch/%s/memory.limit_in_bytes" % cid,
                 "/sys/fs/cgroup/hutch/%s/memory.max" % cid):
        if os.path.exists(path):
            return int(open(path).read())
    raise AssertionError("no memory cgroup found for %s" % cid)


def wait_for(fn, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


class ContainerCase(unittest.TestCase):
    def setUp(self):
        self.s = Store()

    def tearDown(self):
        leftovers, mounts = self.s.close()
        self.assertEqual(leftovers, [], "container dirs left behind")
        self.assertEqual(mounts, [], "mounts left behind")

    def status(self, name):
        return self.s.inspect(name)["State"]["Status"]


class Foreground(ContainerCase):
    def test_output_and_exit_code(self):
        p = self.s.h("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, "out\n")
        self.assertIn("err", p.stderr)
        self.assertEqual(self.s.ids(), [], "--rm left the container")

    def test_stdin_pipe(self):
        p = self.s.h("run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z", input="hello\n")
        self.assertEqual((p.returncode, p.stdout), (0, "HELLO\n"), p.stderr)

    def test_command_not_found_127_and_not_executable_126(self):
        p = self.s.h("run", "--rm", "busybox", "/no/such/binary")
        self.assertEqual(p.returncode, 127, p.stderr)
        self.assertIn("/no/such/binary", p.stderr)
        p = self.s.h("run", "--rm", "busybox", "/etc/passwd")
        self.assertEqual(p.returncode, 126, p.stderr)
        self.assertEqual(self.s.ids(), [])

    def test_image_config_and_flags_merge(self):
        p = self.s.h("run", "--rm", "-e", "A=1", "-w", "/tmp", "-u", "1000:1000", "--hostname", "box",
                     "busybox", "sh", "-c", "echo $A $(pwd) $(id -u):$(id -g) $(hostname)")
        self.assertEqual(p.stdout.strip(), "1 /tmp 1000:1000 box", p.stderr)
        # The image's Cmd (/bin/sh) runs when no command is given.
        p = self.s.h("run", "--rm", "-i", "busybox", input="echo from-sh\n")
        self.assertEqual(p.stdout.strip(), "from-sh", p.stderr)

    def test_loopback_is_up(self):
        # As docker's --network none: a private namespace with a working lo.
        p = self.s.h("run", "--rm", "busybox", "sh", "-c",
                     "nc -l -p 8080 > /tmp/got & sleep 0.3; echo ping | nc 127.0.0.1 8080; sleep 0.2; cat /tmp/got")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "ping"), p.stderr)

    def test_monitor_binary_cannot_be_written_through_proc_exe(self):
        # The monitor creates containers itself, so a container's init runs
        # the monitor's code until it execs: the binary must never open for
        # writing through /proc/PID/exe (CVE-2019-5736). It runs from a
        # read-only clone of its directory.
        binary = os.path.join(os.path.dirname(HUTCH), "hutch-monitor")
        with open(binary, "rb") as f:
            before = f.read()
        cid = self.s.h("run", "-d", "busybox", "sleep", "60", check=True).stdout.strip()
        with open(os.path.join(self.s.runroot, cid[:12], "monitor.pid")) as f:
            pid = int(f.read())
        fd = os.open("/proc/%d/exe" % pid, os.O_PATH)
        try:
            self.s.h("rm", "-f", cid, check=True)
            deadline = time.monotonic() + 10
            while ht.pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            with self.assertRaises(OSError) as e:
                os.close(os.open("/proc/self/fd/%d" % fd, os.O_WRONLY))
            self.assertEqual(e.exception.errno, errno.EROFS)
        finally:
            os.close(fd)
        # A container whose entrypoint is /proc/self/exe runs the monitor's
        # binary inside itself: it fails, and the binary is unchanged.
        p = self.s.h("run", "--rm", "--entrypoint", "/proc/self/exe", "busybox", "x")
        self.assertNotEqual(p.returncode, 0)
        with open(binary, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_device_directory_expands(self):
        # docker's --device DIR[:DEST]: every device node below DIR.
        if not os.path.exists("/dev/net/tun"):
            self.skipTest("this host has no /dev/net/tun")
        p = self.s.h("run", "--rm", "--device", "/dev/net:/dev/x", "busybox", "sh", "-c",
                     "ls /dev/x; cat /sys/fs/cgroup/devices/devices.list 2>/dev/null | grep -c '10:200' || true")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split()[0], "tun")

    def test_container_namespace_follows_a_restart(self):
        # --network/--pid container:X join X's namespaces as they are at each
        # start (docker resolves X then too), not as they were at create.
        self.s.h("run", "-d", "--name", "host1", "--network", "none", "busybox", "sleep", "60", check=True)
        self.s.h("create", "--name", "joiner", "--network", "container:host1", "--pid", "container:host1", "busybox",
                 "sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/pid", check=True)
        self.s.h("stop", "-t", "0", "host1", check=True)
        p = self.s.h("start", "-a", "joiner")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # docker start's code
        self.assertIn("it is not running", p.stderr)
        self.s.h("start", "host1", check=True)
        p = self.s.h("start", "-a", "joiner")
        self.assertEqual(p.returncode, 0, p.stderr)
        want = self.s.h("exec", "host1", "sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/pid",
                        check=True).stdout
        self.assertEqual(p.stdout, want)
        self.s.h("rm", "-f", "joiner", "host1", check=True)

    def test_ipc_shareable_shares_dev_shm(self):
        # docker's --ipc shareable / container:NAME: one IPC namespace and
        # one /dev/shm (a tmpfs the donor's monitor mounts on the host).
        p = self.s.h("run", "-d", "busybox", "sleep", "60")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.s.h("run", "--rm", "--ipc", "container:" + p.stdout.strip(), "busybox", "true")
        self.assertEqual(p.returncode, 125)
        self.assertIn("non-shareable IPC", p.stderr)
        self.s.h("run", "-d", "--name", "donor", "--ipc", "shareable", "--shm-size", "8m", "busybox", "sh", "-c",
                 "echo from-donor > /dev/shm/a; sleep 60", check=True)
        wait_for(lambda: self.s.h("exec", "donor", "test", "-f", "/dev/shm/a").returncode == 0, what="donor ready")
        p = self.s.h("run", "--rm", "--ipc", "container:donor", "busybox", "sh", "-c",
                     "cat /dev/shm/a; echo from-joiner > /dev/shm/b; readlink /proc/self/ns/ipc")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0], "from-donor")
        donor_ns = self.s.h("exec", "donor", "readlink", "/proc/self/ns/ipc", check=True).stdout.strip()
        self.assertEqual(p.stdout.splitlines()[1], donor_ns)
        self.assertEqual(self.s.h("exec", "donor", "cat", "/dev/shm/b", check=True).stdout, "from-joiner\n")
        self.assertIn("8192", self.s.h("exec", "donor", "df", "-k", "/dev/shm", check=True).stdout)
        self.s.h("rm", "-f", "donor", check=True)
        self.assertEqual([m for m in ht.mount_points_under(self.s.runroot) if m.endswith("/shm")], [])

    def test_privileged_gets_the_hosts_bounding_set(self):
        # --privileged: every capability this host can grant (this machine's
        # bounding set lacks CAP_SYS_RESOURCE, which docker would ask for and
        # fail on); one outside it asked for by name is refused.
        with open("/proc/self/status") as f:
            bounding = [l.split()[1] for l in f if l.startswith("CapBnd:")][0]
        p = self.s.h("run", "--rm", "--privileged", "--network", "none", "busybox", "sh", "-c",
                     "grep CapEff /proc/self/status")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split()[1], bounding)
        if int(bounding, 16) & (1 << 24) == 0:  # CAP_SYS_RESOURCE
            p = self.s.h("run", "--rm", "--cap-add", "SYS_RESOURCE", "--network", "none", "busybox", "true")
            self.assertEqual(p.returncode, 125, p.stderr)
            self.assertIn("CAP_SYS_RESOURCE is not in this host's capability bounding set", p.stderr)

    def test_init_reaps_and_forwards(self):
        p = self.s.h("run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; exit 5")
        self.assertEqual(p.returncode, 5, p.stderr)
        self.assertIn("/.hutch-init", p.stdout)


class BadInput(ContainerCase):
    def assert_refused(self, args, code, text):
        before = self.s.ids()
        p = self.s.h(*args)
        self.assertEqual(p.returncode, code, "%s: %s%s" % (args, p.stdout, p.stderr))
        self.assertIn(text, p.stderr.lower())
        self.assertEqual(self.s.ids(), before, "%s left a container" % (args,))
        cdir = os.path.join(self.s.root, "containers")
        self.assertEqual(len(os.listdir(cdir)) if os.path.isdir(cdir) else 0, len(before))

    def test_refusals(self):
        self.assert_refused(["run", "--memory", "12x", "busybox", "true"], 125, "12x")
        self.assert_refused(["run", "--restart", "sometimes", "busybox", "true"], 125, "sometimes")
        self.assert_refused(["run", "--cpus", "-1", "busybox", "true"], 125, "cpus")
        self.assert_refused(["run", "--no-such-flag", "busybox", "true"], 125, "no-such-flag")
        self.assert_refused(["run", "--pull", "never", "nosuchimage", "true"], 125, "nosuchimage")
        self.assert_refused(["run", "--mount", "type=bind,source=/no/such/dir,target=/x", "busybox", "true"], 125,
                            "/no/such/dir")
        self.s.h("create", "--name", "taken", "busybox", check=True)
        self.assert_refused(["create", "--name", "taken", "busybox"], 125, "already in use")
        # run hands the monitor its bundle before the insert finds the name
        # taken (network none): the monitor undoes its create.
        self.assert_refused(["run", "--name", "taken", "--network", "none", "busybox", "true"], 125, "already in use")
        self.assert_refused(["run", "--rm", "-d", "--name", "taken", "--network", "none", "busybox", "true"], 125,
                            "already in use")
        self.assertEqual(ht.mount_points_under(self.s.root), [])
        rundirs = os.listdir(self.s.runroot) if os.path.isdir(self.s.runroot) else []
        self.assertEqual([d for d in rundirs if len(d) == 12], [], "a monitor's run dir was left")
        p = self.s.h("rmi", "busybox")
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("is using its referenced image", p.stderr)
        self.s.h("rm", "taken", check=True)
        p = self.s.h("stop", "nosuchcontainer")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no such container", p.stderr.lower())


class Day(ContainerCase):
    """A Docker user's day with one service container."""

    def test_day(self):
        s = self.s
        runtime = ["--runtime", RUNTIME] if RUNTIME else []
        p = s.h("run", "-d", "--name", "web", *runtime, "--restart", "always", "--health-cmd", "test -e /tmp/ready",
                "--health-interval", "1s", "--health-retries", "2", "busybox", "sh", "-c",
                "echo started; touch /tmp/ready; while true; do echo tick; sleep 0.3; done", check=True)
        cid = p.stdout.strip()
        self.assertEqual(len(cid), 64)
        self.assertEqual(s.inspect("web")["HostConfig"]["Runtime"], os.path.basename(RUNTIME or "hutchrt"))
        wait_for(lambda: self.status("web") == "running", what="running")
        # logs
        wait_for(lambda: "started" in s.h("logs", "web").stdout, what="logs")
        self.assertIn("tick", wait_for(lambda: s.h("logs", "--tail", "1", "web").stdout, what="tail"))
        # health
        wait_for(lambda: s.inspect("web")["State"].get("Health", {}).get("Status") == "healthy", what="healthy")
        self.assertIn("(healthy)", s.h("ps", check=True).stdout)
        # exec
        p = s.h("exec", "web", "sh", "-c", "echo in-$(hostname)")
        self.assertEqual(p.stdout.strip(), "in-" + cid[:12], p.stderr)
        self.assertEqual(s.h("exec", "web", "sh", "-c", "exit 7").returncode, 7)
        # stats, and a limit changed live
        p = s.h("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "web", check=True)
        self.assertTrue(p.stdout.startswith("web "), p.stdout)
        s.h("update", "--memory", "64m", "--memory-swap", "128m", "web", check=True)
        self.assertEqual(s.inspect("web")["HostConfig"]["Memory"], 64 << 20)
        self.assertEqual(memory_limit(cid), 64 << 20)
        # diff, cp both ways, commit
        s.h("exec", "web", "sh", "-c", "echo new > /newfile", check=True)
        self.assertIn("A /newfile", s.h("diff", "web", check=True).stdout.splitlines())
        host = os.path.join(s.tmp.path, "hostname-copy")
        s.h("cp", "web:/etc/hostname", host, check=True)
        self.assertEqual(open(host).read().strip(), cid[:12])
        with open(os.path.join(s.tmp.path, "in.txt"), "w") as f:
            f.write("copied in\n")
        s.h("cp", os.path.join(s.tmp.path, "in.txt"), "web:/tmp/in.txt", check=True)
        self.assertEqual(s.h("exec", "web", "cat", "/tmp/in.txt").stdout, "copied in\n")
        s.h("commit", "-m", "snapshot", "web", "snap:1", check=True)
        p = s.h("run", "--rm", "snap:1", "cat", "/newfile")
        self.assertEqual((p.returncode, p.stdout), (0, "new\n"), p.stderr)
        # kill the main process from the host: the restart policy brings it back
        pid = s.inspect("web")["State"]["Pid"]
        self.assertGreater(pid, 0)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: s.inspect("web")["RestartCount"] >= 1 and self.status("web") == "running", what="restart")
        self.assertNotEqual(s.inspect("web")["State"]["Pid"], pid)
        # pause / unpause
        s.h("pause", "web", check=True)
        self.assertEqual(self.status("web"), "paused")
        self.assertIn("Paused", s.h("ps", check=True).stdout)
        s.h("unpause", "web", check=True)
        self.assertEqual(self.status("web"), "running")
        # stop: the policy honours a manual stop
        s.h("stop", "-t", "1", "web", check=True)
        self.assertEqual(self.status("web"), "exited")
        time.sleep(0.5)
        self.assertEqual(self.status("web"), "exited")
        self.assertIn("Exited", s.h("ps", "-a", check=True).stdout)
        # start again, rename, rm -f
        s.h("start", "web", check=True)
        wait_for(lambda: self.status("web") == "running", what="running again")
        s.h("rename", "web", "web2", check=True)
        self.assertEqual(s.inspect("web2")["Id"], cid)
        self.assertEqual(s.h("inspect", "--format", "{{.State.Status}} {{.Name}}", "web2").stdout.strip(),
                         "running /web2")
        s.h("rm", "-f", "web2", check=True)
        self.assertEqual(s.ids(), [])

    def test_attach_detach_on_a_terminal(self):
        s = self.s
        rc, out = ht.run_in_pty(s.argv("run", "-it", "--name", "tty", "busybox", "sh"),
                                [("#", "echo hel''lo\r"), ("hello", "\x10\x11")], timeout=30)
        self.assertEqual(rc, 0, out)
        self.assertIn("hello", out)
        self.assertEqual(self.status("tty"), "running")
        rc, out = ht.run_in_pty(s.argv("attach", "tty"), [("", "\recho again\r"), ("again", "exit 4\r")],
                                timeout=30)
        self.assertEqual(rc, 4, out)
        wait_for(lambda: self.status("tty") == "exited", what="exited")


class Logs(ContainerCase):
    def test_follow_tail_since_new(self):
        s = self.s
        s.h("run", "-d", "--name", "talker", "busybox", "sh", "-c",
            "for i in 1 2 3; do echo line$i; done; echo oops >&2; sleep 1.5; echo late", check=True)
        p = subprocess.run(s.argv("logs", "-f", "talker"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
        self.assertEqual(p.stdout, "line1\nline2\nline3\nlate\n")
        self.assertEqual(p.stderr, "oops\n")
        # --tail counts both streams' lines, as docker's does.
        p = s.h("logs", "--tail", "2", "talker")
        self.assertEqual((p.stdout, p.stderr), ("late\n", "oops\n"))
        self.assertEqual(s.h("logs", "--since", "2099-01-01T00:00:00Z", "talker").stdout, "")
        stamped = s.h("logs", "-t", "--tail", "1", "talker").stdout
        self.assertRegex(stamped, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z late\n$")
        # --new: what nobody has seen yet, then nothing.
        self.assertIn("line1", s.h("logs", "--new", "talker").stdout)
        self.assertEqual(s.h("logs", "--new", "talker").stdout, "")
        s.h("start", "talker", check=True)
        wait_for(lambda: self.status("talker") == "exited", what="second run")
        self.assertEqual(s.h("logs", "--new", "talker").stdout, "line1\nline2\nline3\nlate\n")

    def test_size_cap_and_rate(self):
        s = self.s
        s.h("run", "--name", "big", "--log-opt", "max-size=4k", "--log-opt", "max-file=2", "busybox", "sh", "-c",
            "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done", check=True)
        log_path = s.inspect("big")["LogPath"]
        files = sorted(f for f in os.listdir(os.path.dirname(log_path)) if f.startswith("ctr.log"))
        self.assertEqual(files, ["ctr.log", "ctr.log.1"])
        self.assertLessEqual(sum(os.path.getsize(os.path.join(os.path.dirname(log_path), f)) for f in files),
                             2 * 4096)
        out = s.h("logs", "big").stdout.split()
        self.assertEqual(out[-1], "line-1999")
        self.assertEqual(out, ["line-%d" % i for i in range(2000 - len(out), 2000)])
        # rate: a burst far above 1 KiB/s loses lines and says how much.
        s.h("run", "--name", "noisy", "--log-opt", "rate=1k/s", "busybox", "sh", "-c",
            "i=0; while [ $i -lt 3000 ]; do echo noise-$i; i=$((i+1)); done; sleep 1.2; echo done", check=True)
        p = s.h("logs", "noisy")
        self.assertLess(p.stdout.count("noise-"), 3000)
        self.assertIn("dropped", p.stderr)
        self.assertTrue(p.stdout.endswith("done\n"), p.stdout[-200:])
        self.assertGreater(s.inspect("noisy")["State"]["LogDroppedBytes"], 0)
        # ... and while it runs, not only once it ended.
        s.h("run", "-d", "--name", "noisy2", "--log-opt", "rate=1k/s", "busybox", "sh", "-c",
            "i=0; while [ $i -lt 3000 ]; do echo noise-$i; i=$((i+1)); done; sleep 60", check=True)
        wait_for(lambda: s.inspect("noisy2")["State"]["LogDroppedBytes"] > 0, what="drops recorded")
        self.assertEqual(s.inspect("noisy2")["State"]["Status"], "running")

    def test_log_path_in_ram(self):
        s = self.s
        d = "/run/hutch/%s" % ht.unique_id("logs")
        os.makedirs(d)
        try:
            s.h("run", "--name", "ram", "--log-opt", "path=%s/" % d, "busybox", "echo", "in-ram", check=True)
            self.assertEqual(s.h("logs", "ram").stdout, "in-ram\n")
            self.assertTrue(any(f.endswith(".log") for f in os.listdir(d)))
        finally:
            s.h("rm", "-f", "ram")
            subprocess.run(["rm", "-rf", d])


class Boot(ContainerCase):
    """A host crash, simulated: every monitor and container process is
    SIGKILLed and the run dir (a tmpfs, empty after a reboot) is wiped;
    `hutch boot` cleans up and starts what the restart policies ask for."""

    def test_stop_signal_override(self):
        s = self.s
        s.h("run", "-d", "--name", "trap", "busybox", "sh", "-c",
            "trap 'echo got-usr1; exit 9' USR1; while true; do sleep 0.1; done", check=True)
        time.sleep(0.3)
        s.h("stop", "-s", "USR1", "-t", "5", "trap", check=True)
        self.assertEqual(s.inspect("trap")["State"]["ExitCode"], 9)
        self.assertEqual(s.h("logs", "trap").stdout, "got-usr1\n")

    def test_boot_after_crash(self):
        s = self.s
        s.h("run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "1000", check=True)
        s.h("run", "-d", "--name", "unless", "--restart", "unless-stopped", "busybox", "sleep", "1000", check=True)
        s.h("run", "-d", "--name", "stopped", "--restart", "unless-stopped", "busybox", "sleep", "1000", check=True)
        s.h("stop", "-t", "0", "stopped", check=True)
        s.h("run", "-d", "--name", "plain", "busybox", "sleep", "1000", check=True)
        for name in ("always", "unless", "plain"):
            info = s.inspect(name)
            monitor = int(open(os.path.join(s.runroot, info["Id"][:12], "monitor.pid")).read().split()[0])
            os.kill(monitor, signal.SIGKILL)
            os.kill(info["State"]["Pid"], signal.SIGKILL)
        time.sleep(0.3)
        # A reboot empties /run: the pinned network namespaces go with it.
        for m in ht.mount_points_under(s.runroot):
            subprocess.run(["umount", "-l", m], check=True)
        subprocess.run(["rm", "-rf", s.runroot], check=True)
        p = s.h("boot", check=True)
        started = set(p.stdout.split())
        ids = {n: s.inspect(n)["Id"] for n in ("always", "unless", "stopped", "plain")}
        self.assertEqual(started, {ids["always"], ids["unless"]}, p.stderr)
        self.assertEqual(self.status("always"), "running")
        self.assertEqual(self.status("unless"), "running")
        self.assertEqual(self.status("stopped"), "exited")
        self.assertEqual(self.status("plain"), "exited")
        self.assertEqual(s.h("exec", "always", "true").returncode, 0)
        # A second boot starts nothing more.
        self.assertEqual(s.h("boot", check=True).stdout.split(), [])
        # Removed, they leave no cgroup behind (the killed ones' runtime
        # state went with the wiped run dir).
        s.h("rm", "-f", *ids.values(), check=True)
        import glob
        left = [g for cid in ids.values() for g in glob.glob("/sys/fs/cgroup/*/hutch/%s" % cid)]
        self.assertEqual(left, [])


class Survival(ContainerCase):
    def test_outlives_sigkilled_hutch(self):
        s = self.s
        env = dict(os.environ)
        if RUNTIME:
            env["HUTCH_RUNTIME"] = RUNTIME
        proc = subprocess.Popen(s.argv("run", "--name", "fg", "--restart", "always", "busybox", "sh", "-c",
                                       "while true; do echo tick; sleep 0.2; done"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wait_for(lambda: s.h("ps", "-q").stdout.strip(), what="container up")
        wait_for(lambda: "tick" in s.h("logs", "fg").stdout, what="first tick")
        proc.kill()
        proc.wait()
        n1 = s.h("logs", "fg").stdout.count("tick")
        wait_for(lambda: s.h("logs", "fg").stdout.count("tick") > n1 + 2, what="logging after SIGKILL")
        self.assertEqual(self.status("fg"), "running")
        os.kill(s.inspect("fg")["State"]["Pid"], signal.SIGKILL)
        wait_for(lambda: s.inspect("fg")["RestartCount"] >= 1 and self.status("fg") == "running",
                 what="restart after SIGKILL of hutch")

    def test_200_parallel_commands(self):
        s = self.s
        for i in range(5):
            s.h("run", "-d", "--name", "p%d" % i, "busybox", "sleep", "60", check=True)

        def one(i):
            kind = i % 5
            if kind == 0:
                return s.h("ps", "-a")
            if kind == 1:
                return s.h("inspect", "p%d" % (i % 5))
            if kind == 2:
                return s.h("create", "--name", "c%d" % i, "busybox", "true")
            if kind == 3:
                return s.h("logs", "p%d" % (i % 5))
            return s.h("exec", "p%d" % (i % 5), "true")

        with ThreadPoolExecutor(max_workers=200) as pool:
            results = list(pool.map(one, range(200)))
        failed = [(r.args, r.returncode, r.stderr) for r in results if r.returncode != 0]
        self.assertEqual(failed, [])
        names = set(s.h("ps", "-a", "--format", "{{.Names}}", check=True).stdout.split())
        self.assertEqual(len(names), 5 + 40)
        self.assertTrue({"c%d" % i for i in range(2, 200, 5)} <= names)


if __name__ == "__main__":
    ht.require_root()
    HUTCH = os.environ.get("HUTCH") or os.path.join(ht.REPO, "build", "hutch")
    if not os.path.exists(HUTCH):
        ht.skip_all("hutch binary not found: %s" % HUTCH)
    kind = os.path.basename(RUNTIME) if RUNTIME else "hutchrt"
    ht.main(lambda: ht.hugetlb_v1_if_needed(kind))
