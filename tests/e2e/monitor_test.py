#!/usr/bin/python3
"""hutch-monitor end to end: a real monitor supervising real containers
made by $RUNTIME (hutchrt by default), driven as the engine drives it: a
bundle with monitor.json, a container row in a state database (written
through monitor_db_tool, so this suite does not know the schema), the
monitor started with a SOCK_SEQPACKET socket on fd 3.

Checked: output reaches the log file and attach clients; stdin through
attach (pipes and a pty, with resize); the exit code and times recorded;
on-failure:2 restarts twice; a stop by the user is honoured; the monitor
outlives its parent and ignores SIGTERM; start errors (127/126) reported
on the sync socket; the engine going away before "start"; --rm; health
checks (healthy, unhealthy, timeout, on-failure kill); an overlay rootfs,
also with more layers than one page of mount options holds; the monitor's
resident memory; and that nothing is left behind.

Environment: RUNTIME (the OCI runtime), MONITOR (hutch-monitor) and DBTOOL
(monitor_db_tool); the latter two default to the build dir of RUNTIME.
"""

import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402

RUNTIME = None
MONITOR = None
DBTOOL = None

K_STDIN, K_STDOUT, K_STDERR, K_EXIT, K_STDIN_CLOSE, K_RESIZE, K_HELLO = range(7)
SEC = 1_000_000_000
RSS_SEEN = []


def frame(kind, payload=b""):
    if isinstance(payload, str):
        payload = payload.encode()
    return struct.pack(">BI", kind, len(payload)) + payload


class Attach:
    """An attach client (protocol.h): frames in, frames out."""

    def __init__(self, rundir, stdin=True, stdout=True, stderr=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(os.path.join(rundir, "attach"))
        self.sock.sendall(frame(K_HELLO, "stdin=%d,stdout=%d,stderr=%d" % (stdin, stdout, stderr)))
        self.buf = bytearray()
        self.out = {K_STDOUT: bytearray(), K_STDERR: bytearray()}
        self.exit = None
        self.closed = False

    def send(self, kind, payload=b""):
        self.sock.sendall(frame(kind, payload))

    def pump(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return
        data = self.sock.recv(1 << 20)
        if not data:
            self.closed = True
            return
        self.buf += data
        pos = 0
        while len(self.buf) - pos >= 5:
            kind, n = struct.unpack_from(">BI", self.buf, pos)
            if len(self.buf) - pos < 5 + n:
                break
            payload = bytes(self.buf[pos + 5:pos + 5 + n])
            pos += 5 + n
            if kind == K_EXIT:
                self.exit = int(payload)
            else:
                self.out.setdefault(kind, bytearray()).extend(payload)
        del self.buf[:pos]

    def wait_for(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not pred() and not self.closed and time.monotonic() < deadline:
            self.pump(max(0.0, min(0.2, deadline - time.monotonic())))
        return pred()

    def stdout(self):
        return bytes(self.out[K_STDOUT]).decode(errors="replace")

    def stderr(self):
        return bytes(self.out[K_STDERR]).decode(errors="replace")

    def close(self):
        self.sock.close()


class Mon:
    """One container under a monitor: its paths, settings and sync socket."""

    def __init__(self, case, args, **settings):
        self.case = case
        self.id = ht.unique_id("mon")
        base = case.tmp.join(self.id)
        self.bundle = os.path.join(base, "bundle")
        self.rundir = os.path.join(base, "run")
        self.log_path = os.path.join(base, "ctr.log")
        self.err_path = os.path.join(base, "monitor.err")
        self.db = case.tmp.join("state.db")
        b = ht.Bundle(self.bundle, probe=False)
        b.config["process"]["args"] = args
        if settings.get("terminal"):
            b.config["process"]["terminal"] = True
        self.config = b.config
        self.bundle_obj = b
        self.settings = {
            "id": self.id, "name": self.id, "db": self.db, "bundle": self.bundle, "rundir": self.rundir,
            "runtime": RUNTIME, "runtime_root": case.runtime_root, "runtime_args": [],
            "rootfs": {"lower": [], "upper": "", "work": "", "target": os.path.join(self.bundle, "rootfs")},
            "terminal": False, "stdin_open": False,
            "log_path": self.log_path, "log_max_size": 0, "log_max_file": 1, "log_rate": 0,
            "restart": "no", "restart_max": 0, "has_healthcheck": False,
            "health": {"test": [], "interval_ns": 30 * SEC, "timeout_ns": 30 * SEC, "start_period_ns": 0,
                       "retries": 3, "on_failure": "none"},
            "auto_remove": False, "remove_dirs": [], "stop_signal": "SIGTERM", "stop_timeout": 10,
        }
        self.settings.update(settings)
        self.sock = None
        self.pid = None  # the monitor's
        self.container_pid = None
        case.mons.append(self)

    def write(self):
        self.bundle_obj.save()
        with open(os.path.join(self.bundle, "monitor.json"), "w") as f:
            json.dump(self.settings, f, indent=1)
        r = subprocess.run([DBTOOL, "insert", self.db, self.id, self.id], capture_output=True, text=True)
        self.case.assertEqual(r.returncode, 0, r.stderr)

    def launch(self, wrapper=None):
        """Starts the monitor with our socket on fd 3; returns the first
        sync message."""
        self.write()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = ours
        fd = theirs.fileno()
        argv = [MONITOR, self.bundle]
        if wrapper:
            argv = wrapper + argv
        with open(self.err_path, "ab") as err:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err, close_fds=False,
                                 preexec_fn=lambda: os.dup2(fd, 3))
        theirs.close()
        if not wrapper:
            # Not a session leader (hutch's Launch makes it one), the
            # monitor forks into a session of its own; this process exits.
            p.wait(timeout=10)
        self.wrapper = p
        msg = self.recv()
        if os.path.exists(os.path.join(self.rundir, "monitor.pid")):
            with open(os.path.join(self.rundir, "monitor.pid")) as f:
                self.pid = int(f.read())
        if msg.startswith("created "):
            self.container_pid = int(msg.split()[1])
        return msg

    def recv(self, timeout=20):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            raise AssertionError("no message from the monitor in %ss; its log: %s" % (timeout, self.monitor_log()))
        data = self.sock.recv(65536)
        return data.decode()

    def start(self):
        self.sock.send(b"start")
        msg = self.recv()
        self.case.assertTrue(msg.startswith("started "), "%r; monitor log: %s" % (msg, self.monitor_log()))
        self.sock.close()
        self.sock = None
        return msg

    def run(self, wrapper=None):
        msg = self.launch(wrapper)
        self.case.assertTrue(msg.startswith("created "), "%r; monitor log: %s" % (msg, self.monitor_log()))
        return self.start()

    def row(self):
        r = subprocess.run([DBTOOL, "get", self.db, self.id], capture_output=True, text=True)
        if r.returncode == 3:
            return None
        self.case.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def set_stopped(self, v=True):
        subprocess.run([DBTOOL, "set-stopped", self.db, self.id, "1" if v else "0"], check=True)

    def wait_monitor_exit(self, timeout=20):
        deadline = time.monotonic() + timeout
        while self.pid and ht.pid_alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = self.pid and ht.pid_alive(self.pid)
        self.case.assertFalse(alive, "the monitor still runs; its log: %s" % self.monitor_log())

    def wait_row(self, pred, timeout=20):
        deadline = time.monotonic() + timeout
        row = self.row()
        while not pred(row) and time.monotonic() < deadline:
            time.sleep(0.05)
            row = self.row()
        self.case.assertTrue(pred(row), "row: %s; monitor log: %s" % (row, self.monitor_log()))
        return row

    def rt(self, *args):
        return subprocess.run([RUNTIME, "--root", self.case.runtime_root] + list(args), capture_output=True,
                              text=True, timeout=30)

    def log_records(self):
        try:
            with open(self.log_path) as f:
                return [l.rstrip("\n").split(" ", 3)[1:] for l in f]
        except FileNotFoundError:
            return []

    def monitor_log(self):
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def assert_nothing_left(self, removed=False):
        c = self.case
        c.assertFalse(os.path.exists(self.rundir), "run dir left: %s" % (os.listdir(self.rundir) if os.path.exists(self.rundir) else ""))
        c.assertEqual(ht.mount_points_under(os.path.dirname(self.bundle)), [], "mounts left")
        c.assertNotEqual(self.rt("state", self.id).returncode, 0, "runtime state left")
        if self.container_pid:
            c.assertFalse(ht.pid_alive(self.container_pid), "container process left")
        if removed:
            c.assertIsNone(self.row())
            c.assertFalse(os.path.exists(self.bundle))

    def cleanup(self):
        if self.sock:
            self.sock.close()
        if self.pid and ht.pid_alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
        self.rt("delete", "--force", self.id)
        for m in reversed(ht.mount_points_under(os.path.dirname(self.bundle))):
            subprocess.run(["umount", "-l", m])


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


class MonitorCase(unittest.TestCase):
    def setUp(self):
        self.tmp = ht.TempDir("mon")
        self.runtime_root = self.tmp.join("rtroot")
        os.makedirs(self.runtime_root)
        self.mons = []

    def tearDown(self):
        for m in self.mons:
            m.cleanup()
        mounts = self.tmp.close()
        self.assertEqual(mounts, [], "mounts left behind")


class Basics(MonitorCase):
    def test_output_to_log_and_attach_stdin_and_exit_code(self):
        m = Mon(self, ["/bin/sh", "-c", "echo out1; echo err1 >&2; read x; echo got:$x; exit 3"], stdin_open=True)
        msg = m.launch()
        self.assertTrue(msg.startswith("created "), msg + m.monitor_log())
        a = Attach(m.rundir)
        b = Attach(m.rundir, stdin=False, stdout=True, stderr=False)  # a second client, stdout only
        m.start()
        self.assertTrue(a.wait_for(lambda: "out1" in a.stdout() and "err1" in a.stderr()), a.out)
        a.send(K_STDIN, "hello\n")
        self.assertTrue(a.wait_for(lambda: a.exit is not None), a.out)
        self.assertEqual(a.exit, 3)
        self.assertIn("got:hello", a.stdout())
        self.assertTrue(b.wait_for(lambda: b.exit is not None))
        self.assertIn("got:hello", b.stdout())
        self.assertEqual(b.stderr(), "")
        m.wait_monitor_exit()
        recs = m.log_records()
        self.assertIn(["stdout", "F", "out1"], recs)
        self.assertIn(["stderr", "F", "err1"], recs)
        self.assertIn(["stdout", "F", "got:hello"], recs)
        row = m.row()
        self.assertEqual(row["status"], "exited")
        self.assertEqual(row["exit_code"], 3)
        self.assertEqual(row["pid"], 0)
        self.assertEqual(row["monitor_pid"], 0)
        self.assertGreater(row["started_at"], 0)
        self.assertGreaterEqual(row["finished_at"], row["started_at"])
        m.assert_nothing_left()

    def test_half_closed_client_still_gets_output(self):
        m = Mon(self, ["/bin/sh", "-c", "sleep 0.5; echo late"])
        m.launch()
        a = Attach(m.rundir, stdin=False)
        a.sock.shutdown(socket.SHUT_WR)
        m.start()
        self.assertTrue(a.wait_for(lambda: a.exit is not None))
        self.assertEqual(a.stdout(), "late\n")
        m.wait_monitor_exit()
        m.assert_nothing_left()

    def test_stdin_close_ends_cat(self):
        m = Mon(self, ["/bin/cat"], stdin_open=True)
        m.launch()
        a = Attach(m.rundir)
        m.start()
        data = "x" * 200000 + "\n"  # more than a pipe holds: the monitor buffers, then backs off
        a.send(K_STDIN, data)
        a.send(K_STDIN_CLOSE)
        self.assertTrue(a.wait_for(lambda: a.exit is not None, timeout=20))
        self.assertEqual(a.exit, 0)
        self.assertEqual(len(a.stdout()), len(data))
        m.wait_monitor_exit()
        m.assert_nothing_left()

    def test_slow_client_does_not_block_the_container(self):
        size = 12_000_000  # more than the client socket buffer (4 MB) and the pending cap hold
        m = Mon(self, ["/bin/sh", "-c", "yes 0123456789abcde | head -c %d" % size])
        m.launch()
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(os.path.join(m.rundir, "attach"))
        slow.sendall(frame(K_HELLO, "stdin=0,stdout=1,stderr=1"))  # and never reads
        fast = Attach(m.rundir, stdin=False)
        m.start()
        self.assertTrue(fast.wait_for(lambda: fast.exit is not None, timeout=30), len(fast.stdout()))
        self.assertEqual(fast.exit, 0)
        self.assertEqual(len(fast.out[K_STDOUT]), size)
        m.wait_monitor_exit()
        self.assertEqual(sum(len(r[2]) + 1 for r in m.log_records()), size)
        # The slow client was cut off: what it can read ends before the exit frame.
        slow.setblocking(True)
        slow.settimeout(5)
        got = b""
        while True:
            d = slow.recv(1 << 20)
            if not d:
                break
            got += d
        self.assertLess(len(got), size)
        slow.close()
        m.assert_nothing_left()

    def test_terminal_attach_and_resize(self):
        m = Mon(self, ["/bin/sh"], terminal=True, stdin_open=True)
        m.launch()
        a = Attach(m.rundir)
        m.start()
        a.send(K_RESIZE, "30 100")
        a.send(K_STDIN, "stty size; echo hi-$((1+2))\n")
        self.assertTrue(a.wait_for(lambda: "hi-3" in a.stdout().replace("hi-$((1+2))", "")), a.stdout())
        self.assertIn("30 100", a.stdout())
        a.send(K_STDIN, "exit 5\n")
        self.assertTrue(a.wait_for(lambda: a.exit is not None))
        self.assertEqual(a.exit, 5)
        m.wait_monitor_exit()
        self.assertEqual(m.row()["exit_code"], 5)
        self.assertTrue(any(r[0] == "stdout" and "hi-3" in r[2] for r in m.log_records()))
        m.assert_nothing_left()

    def test_signal_exit_code_and_attach_after_start(self):
        m = Mon(self, ["/bin/sh", "-c", "echo ready; sleep 100"])
        m.run()
        a = Attach(m.rundir, stdin=False)
        time.sleep(0.2)
        self.assertEqual(m.rt("kill", m.id, "KILL").returncode, 0)
        self.assertTrue(a.wait_for(lambda: a.exit is not None))
        self.assertEqual(a.exit, 137)
        m.wait_monitor_exit()
        self.assertEqual(m.row()["exit_code"], 137)
        m.assert_nothing_left()


class Lifecycle(MonitorCase):
    def test_restart_on_failure_twice(self):
        m = Mon(self, ["/bin/sh", "-c", "echo run; exit 1"], restart="on-failure", restart_max=2)
        m.run()
        m.wait_monitor_exit()
        row = m.row()
        self.assertEqual(row["status"], "exited")
        self.assertEqual(row["restart_count"], 2)
        self.assertEqual(row["exit_code"], 1)
        self.assertEqual([r for r in m.log_records() if r[2] == "run"], [["stdout", "F", "run"]] * 3)
        m.assert_nothing_left()

    def test_restart_with_a_terminal(self):
        m = Mon(self, ["/bin/sh", "-c", "echo run; exit 1"], terminal=True, restart="on-failure", restart_max=1)
        m.run()
        m.wait_monitor_exit()
        row = m.row()
        self.assertEqual((row["status"], row["restart_count"], row["exit_code"]), ("exited", 1, 1))
        self.assertEqual([r[2].rstrip("\r") for r in m.log_records()].count("run"), 2, m.log_records())
        m.assert_nothing_left()

    def test_always_restarts_until_stopped_by_user(self):
        m = Mon(self, ["/bin/sh", "-c", "echo run; sleep 0.2; exit 0"], restart="always")
        m.run()
        row = m.wait_row(lambda r: r["restart_count"] >= 2)
        m.set_stopped(True)
        os.kill(m.pid, signal.SIGUSR1)  # wakes a backoff wait at once
        m.wait_monitor_exit()
        row = m.row()
        self.assertEqual(row["status"], "exited")
        m.assert_nothing_left()

    def test_restart_policy_updated_while_running(self):
        m = Mon(self, ["/bin/sh", "-c", "echo run; sleep 0.5; exit 2"], restart="always")
        m.run()
        m.wait_row(lambda r: r["restart_count"] >= 1)
        m.settings["restart"] = "no"  # as `hutch update --restart no` does
        with open(os.path.join(m.bundle, "monitor.json"), "w") as f:
            json.dump(m.settings, f)
        m.wait_monitor_exit()
        row = m.row()
        self.assertEqual(row["status"], "exited")
        self.assertEqual(row["exit_code"], 2)
        m.assert_nothing_left()

    def test_survives_parent_sigkill_and_sigterm(self):
        # The monitor is started by a shell that then sleeps; killing the
        # shell (the "engine") and sending SIGTERM to the monitor change nothing.
        m = Mon(self, ["/bin/sh", "-c", "echo ready; sleep 100"])
        wrapper = ["/bin/sh", "-c", '"$@"; exec sleep 100', "sh"]
        m.run(wrapper)
        m.wrapper.kill()
        m.wrapper.wait()
        time.sleep(0.2)
        self.assertTrue(ht.pid_alive(m.pid))
        os.kill(m.pid, signal.SIGTERM)
        time.sleep(0.2)
        self.assertTrue(ht.pid_alive(m.pid))
        row = m.row()
        self.assertEqual(row["status"], "running")
        self.assertTrue(ht.pid_alive(row["pid"]))
        self.assertEqual(row["monitor_pid"], m.pid)
        self.assertGreater(row["monitor_start"], 0)
        # Not a child of anything we know: its parent is init or a subreaper.
        with open("/proc/%d/stat" % m.pid) as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()
        self.assertNotEqual(int(fields[1]), os.getpid())
        self.assertNotEqual(int(fields[3]), os.getsid(0), "still in our session")
        m.set_stopped(True)
        # (sh as pid 1 of its namespace ignores SIGTERM.)
        self.assertEqual(m.rt("kill", m.id, "KILL").returncode, 0)
        m.wait_monitor_exit()
        self.assertEqual(m.row()["exit_code"], 137)
        m.assert_nothing_left()

    def test_engine_gone_before_start(self):
        m = Mon(self, ["/bin/sh", "-c", "echo never"])
        msg = m.launch()
        self.assertTrue(msg.startswith("created "))
        m.sock.close()
        m.sock = None
        m.wait_monitor_exit()
        self.assertEqual(m.row()["status"], "created")
        m.assert_nothing_left()
        self.assertEqual(m.log_records(), [])

    def test_oom_killed_recorded(self):
        m = Mon(self, ["/bin/sh", "-c", "dd if=/dev/zero of=/dev/null bs=100M count=1"])
        m.config.setdefault("linux", {}).setdefault("resources", {})["memory"] = {"limit": 16 << 20, "swap": 16 << 20}
        m.run()
        m.wait_monitor_exit()
        row = m.row()
        self.assertEqual(row["exit_code"], 137, m.log_records())
        self.assertTrue(row["oom_killed"])
        m.assert_nothing_left()

    def test_auto_remove(self):
        vol = self.tmp.join("anon-vol")
        os.makedirs(vol)
        m = Mon(self, ["/bin/sh", "-c", "echo bye"], auto_remove=True, remove_dirs=[vol])
        m.run()
        m.wait_monitor_exit()
        m.assert_nothing_left(removed=True)
        self.assertFalse(os.path.exists(vol))

    def test_auto_remove_engine_gone_before_start(self):
        m = Mon(self, ["/bin/true"], auto_remove=True)
        m.launch()
        m.sock.close()
        m.sock = None
        m.wait_monitor_exit()
        m.assert_nothing_left(removed=True)

    def test_missing_executable_127_and_not_executable_126(self):
        for args, code in ((["/nonexistent"], 127), (["nosuchcmd"], 127), (["/etc/passwd"], 126)):
            m = Mon(self, args)
            msg = m.launch()
            self.assertTrue(msg.startswith("error exec: code=%d: " % code), msg)
            m.wait_monitor_exit()
            row = m.row()
            self.assertEqual(row["status"], "created")
            self.assertEqual(row["exit_code"], code)
            self.assertNotEqual(row["error"], "")
            m.assert_nothing_left()

    def test_bad_settings_reported(self):
        m = Mon(self, ["/bin/true"], restart="sometimes")
        msg = m.launch()
        self.assertTrue(msg.startswith("error "), msg)
        self.assertIn("restart policy", msg)


class Health(MonitorCase):
    def health(self, test, **kw):
        h = {"test": test, "interval_ns": SEC // 5, "timeout_ns": SEC, "start_period_ns": 0, "retries": 2,
             "on_failure": "none"}
        h.update(kw)
        return h

    def test_healthy_then_unhealthy(self):
        m = Mon(self, ["/bin/sh", "-c", "touch /tmp/ok; sleep 1.5; rm /tmp/ok; sleep 100"], has_healthcheck=True,
                health=self.health(["/bin/sh", "-c", "echo probe; test -e /tmp/ok"]))
        m.run()
        row = m.wait_row(lambda r: r["health"] == "healthy")
        log = json.loads(row["health_log"])
        self.assertEqual(log[-1]["ExitCode"], 0)
        self.assertEqual(log[-1]["Output"], "probe\n")
        self.assertTrue(log[-1]["Start"].endswith("Z"))
        row = m.wait_row(lambda r: r["health"] == "unhealthy")
        self.assertGreaterEqual(row["health_failing_streak"], 2)
        self.assertLessEqual(len(json.loads(row["health_log"])), 5)
        m.set_stopped(True)
        m.rt("kill", m.id, "KILL")
        m.wait_monitor_exit()
        m.assert_nothing_left()

    def test_timeout_and_on_failure_kill(self):
        m = Mon(self, ["/bin/sh", "-c", "sleep 100"], has_healthcheck=True,
                health=self.health(["/bin/sleep", "50"], timeout_ns=SEC // 4, retries=1, on_failure="kill"))
        m.run()
        m.wait_monitor_exit()
        row = m.row()
        self.assertEqual(row["health"], "unhealthy")
        log = json.loads(row["health_log"])
        self.assertEqual(log[-1]["ExitCode"], -1)
        self.assertEqual(log[-1]["Output"], "Health check exceeded timeout (250ms)")
        self.assertEqual(row["exit_code"], 137)
        self.assertEqual(row["status"], "exited")
        m.assert_nothing_left()

    def test_on_failure_restart_restarts_in_place(self):
        m = Mon(self, ["/bin/sh", "-c", "echo started; touch /tmp/ok; sleep 1; rm /tmp/ok; sleep 100"],
                has_healthcheck=True, stop_timeout=1,
                health=self.health(["/bin/sh", "-c", "test -e /tmp/ok"], retries=1, on_failure="restart"))
        m.run()
        first = m.row()["pid"]
        row = m.wait_row(lambda r: r["status"] == "running" and r["pid"] not in (0, first), timeout=30)
        self.assertEqual(row["restart_count"], 0, "a health restart is not a policy restart")
        deadline = time.monotonic() + 10
        while [r[2] for r in m.log_records()].count("started") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual([r[2] for r in m.log_records()].count("started"), 2)
        m.set_stopped(True)
        m.rt("kill", m.id, "KILL")
        m.wait_monitor_exit()
        self.assertEqual(m.row()["status"], "exited")
        m.assert_nothing_left()


def make_layers(case, base_rootfs, count):
    """Moves a bundle's rootfs into a base layer and adds count-1 small
    layers with long (store-like) names; returns them top-most first."""
    store = case.tmp.join("store")
    os.makedirs(store, exist_ok=True)
    layers = []
    for i in range(count - 1):
        d = os.path.join(store, "%064x" % (i + 1), "diff")
        os.makedirs(d)
        with open(os.path.join(d, "layer-%d" % i), "w") as f:
            f.write(str(i))
        layers.append(d)
    base = os.path.join(store, "%064x" % 0, "diff")
    os.makedirs(os.path.dirname(base))
    os.rename(base_rootfs, base)
    os.makedirs(base_rootfs)
    layers.reverse()
    return layers + [base]


class Rootfs(MonitorCase):
    def overlay(self, count):
        m = Mon(self, ["/bin/sh", "-c", "cat /layer-0; echo; ls / | grep -c layer-; echo new > /written"])
        lower = make_layers(self, os.path.join(m.bundle, "rootfs"), count)
        up = self.tmp.join(m.id, "upper")
        m.settings["rootfs"] = {"lower": lower, "upper": up, "work": self.tmp.join(m.id, "work"),
                                "target": os.path.join(m.bundle, "rootfs")}
        m.run()
        m.wait_monitor_exit()
        row = m.row()
        self.assertEqual(row["exit_code"], 0, m.monitor_log() + row["error"])
        texts = [r[2] for r in m.log_records()]
        self.assertEqual(texts[:2], ["0", str(count - 1)])
        with open(os.path.join(up, "written")) as f:
            self.assertEqual(f.read(), "new\n")
        self.assertFalse(ht.mount_points_under(os.path.join(m.bundle, "rootfs")))
        m.assert_nothing_left()

    def test_overlay_few_layers(self):
        self.overlay(3)

    def test_overlay_more_layers_than_a_page_of_options(self):
        self.overlay(60)


class Memory(MonitorCase):
    def test_rss_with_output_and_clients(self):
        with open(MONITOR, "rb") as f:
            if b"ld-linux" in f.read(4096):  # PT_INTERP: a dynamic (sanitizer) build
                self.skipTest("hutch-monitor is not linked statically (a sanitizer build?): RSS not representative")
        m = Mon(self, ["/bin/sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done; sleep 100"],
                stdin_open=True)
        m.launch()
        clients = [Attach(m.rundir) for _ in range(3)]
        m.start()
        for c in clients:
            self.assertTrue(c.wait_for(lambda c=c: "line 2999" in c.stdout()))
        time.sleep(0.2)
        rss = rss_kb(m.pid)
        RSS_SEEN.append(("right after 3000 lines to 3 clients", rss))
        self.assertLess(rss, 2048, "the monitor should stay small")
        # Quiet for 2 s: the monitor unmaps the code the burst used.
        time.sleep(2.5)
        rss = rss_kb(m.pid)
        RSS_SEEN.append(("idle, 3 clients attached", rss))
        ht.log("monitor VmRSS: %s kB" % rss)
        self.assertLess(rss, 1024, "an idle monitor should hold less than 1 MB")
        m.set_stopped(True)
        m.rt("kill", m.id, "KILL")
        m.wait_monitor_exit()
        m.assert_nothing_left()


def setup():
    global RUNTIME, MONITOR, DBTOOL
    ht.require_root()
    RUNTIME = ht.runtime_from_env()
    here = os.path.dirname(RUNTIME)
    MONITOR = os.environ.get("MONITOR") or os.path.join(here, "hutch-monitor")
    DBTOOL = os.environ.get("DBTOOL") or os.path.join(here, "src/monitor/monitor_db_tool")
    for p in (MONITOR, DBTOOL):
        if not os.access(p, os.X_OK):
            ht.skip_all("%s not built" % p)
    import contextlib

    @contextlib.contextmanager
    def report():
        yield
        for what, kb in RSS_SEEN:
            print("monitor VmRSS %s: %s kB" % (what, kb))
    return report()


if __name__ == "__main__":
    ht.main(setup)
