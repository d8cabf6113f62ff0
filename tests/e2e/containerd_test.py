#!/usr/bin/python3
"""containerd drives $RUNTIME through its runc shim (ctr run --runc-binary).

Starts a private containerd (temp root, state and socket; killed by pid at
the end), imports a busybox OCI archive made by tests/fixtures/make-image.sh,
then: one-shot runs with exit codes and output, `ctr run -t` driven through
a pty, and a detached task with `ctr task exec` (plain and -t), `ctr task
kill` and delete. No registry, no CNI (containers use the host network
namespace only where ctr's defaults say so: ctr creates a new netns).

  RUNTIME=build/hutchrt /usr/bin/python3 tests/e2e/containerd_test.py
  RUNTIME=runc ... (validation)
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402

RUNTIME = None
KIND = None
IMAGE = "docker.io/library/hutch-busybox:latest"


class Containerd:
    """A private containerd; everything it owns lives under one marked dir."""

    def __init__(self):
        self.tmp = ht.TempDir("containerd")
        self.namespace = ht.unique_id("ns")
        self.sock = self.tmp.join("c.sock")
        cfg = self.tmp.join("config.toml")
        with open(cfg, "w") as f:
            f.write("""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
""".format(d=self.tmp.path))
        self.log = open(self.tmp.join("containerd.log"), "wb")
        self.proc = subprocess.Popen(["containerd", "--config", cfg], stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("containerd exited: %s" % self.log_text())
            if os.path.exists(self.sock) and self.ctr("version").returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("containerd did not come up: %s" % self.log_text())

    def log_text(self):
        with open(self.tmp.join("containerd.log"), errors="replace") as f:
            return f.read()[-4000:]

    def argv(self, *args):
        return ["ctr", "-a", self.sock, "-n", self.namespace] + list(args)

    def ctr(self, *args, timeout=60, input=None):
        return subprocess.run(self.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL if input is None else None, input=input,
                              timeout=timeout, text=True)

    def close(self):
        """Deletes every task and container, stops containerd, removes the
        namespace's parent cgroups (the shim leaves /NS, by design)."""
        errors = []
        if self.proc.poll() is None:
            r = self.ctr("task", "ls", "-q")
            for tid in r.stdout.split():
                self.ctr("task", "kill", "-s", "SIGKILL", tid)
                self.ctr("task", "delete", "-f", tid)
            r = self.ctr("container", "ls", "-q")
            for cid in r.stdout.split():
                self.ctr("container", "delete", cid)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        for d in ht.marked_cgroup_dirs(self.namespace):
            errors += ["cgroup " + e for e in ht.remove_cgroup_tree(d)]
        # Shims exit when their last task is deleted; give them a moment.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._shims():
            time.sleep(0.1)
        errors += ["shim still running: %s" % p for p in self._shims()]
        errors += ["mount %s" % m for m in self.tmp.close()]
        return errors

    def _shims(self):
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if self.namespace.encode() in f.read():
                        found.append(pid)
            except OSError:
                pass
        return found


CTRD = None


class CtrCase(unittest.TestCase):
    def run_args(self, *extra):
        return ["run", "--runc-binary", RUNTIME] + list(extra)

    def assert_no_task(self, cid):
        r = CTRD.ctr("task", "ls", "-q")
        self.assertNotIn(cid, r.stdout.split())
        self.assertEqual(ht.marked_cgroup_dirs(cid), [], "container cgroups left")

    def test_one_shot_exit_code(self):
        cid = ht.unique_id("exit")
        r = CTRD.ctr(*self.run_args("--rm", IMAGE, cid, "sh", "-c", "echo out-$((40+2)); exit 3"))
        self.assertEqual(r.returncode, 3, r)
        self.assertEqual(r.stdout, "out-42\n")
        self.assert_no_task(cid)

    def test_one_shot_success_and_env(self):
        cid = ht.unique_id("env")
        r = CTRD.ctr(*self.run_args("--rm", "--env", "HUTCH=1", IMAGE, cid, "sh", "-c",
                                    "echo $HUTCH; cat /etc/hostname >/dev/null; id -u"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout.split(), ["1", "0"])

    def test_interactive_tty(self):
        cid = ht.unique_id("tty")
        code, out = ht.run_in_pty(CTRD.argv(*self.run_args("-t", "--rm", IMAGE, cid, "sh")),
                               [("#", "tty; echo val-$((6*7))\n"), ("val-42", "exit 5\n")])
        self.assertIn("/dev/pts/", out)
        self.assertIn("val-42", out)
        self.assertEqual(code, 5, out)
        self.assert_no_task(cid)

    def test_detached_exec_kill_delete(self):
        cid = ht.unique_id("detached")
        r = CTRD.ctr(*self.run_args("-d", IMAGE, cid, "sleep", "1000"))
        self.assertEqual(r.returncode, 0, r)
        r = CTRD.ctr("task", "ls")
        self.assertRegex(r.stdout, r"%s\s+\d+\s+RUNNING" % cid)
        r = CTRD.ctr("task", "exec", "--exec-id", "e1", cid, "sh", "-c", "echo in-exec; exit 4")
        self.assertEqual(r.returncode, 4, r)
        self.assertEqual(r.stdout, "in-exec\n")
        code, out = ht.run_in_pty(CTRD.argv("task", "exec", "-t", "--exec-id", "e2", cid, "sh"),
                               [("#", "tty; exit 6\n")])
        self.assertIn("/dev/pts/", out)
        self.assertEqual(code, 6, out)
        r = CTRD.ctr("task", "ps", cid)
        self.assertEqual(r.returncode, 0, r)
        r = CTRD.ctr("task", "kill", "-s", "SIGKILL", cid)
        self.assertEqual(r.returncode, 0, r)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "STOPPED" in CTRD.ctr("task", "ls").stdout:
                break
            time.sleep(0.1)
        else:
            self.fail("task did not stop after SIGKILL")
        r = CTRD.ctr("task", "delete", cid)
        self.assertEqual(r.returncode, 0, r)
        r = CTRD.ctr("container", "delete", cid)
        self.assertEqual(r.returncode, 0, r)
        self.assert_no_task(cid)

    def test_pause_resume(self):
        cid = ht.unique_id("pause")
        r = CTRD.ctr(*self.run_args("-d", IMAGE, cid, "sleep", "1000"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(CTRD.ctr("task", "pause", cid).returncode, 0)
        self.assertRegex(CTRD.ctr("task", "ls").stdout, r"%s\s+\d+\s+PAUSED" % cid)
        self.assertEqual(CTRD.ctr("task", "resume", cid).returncode, 0)
        self.assertRegex(CTRD.ctr("task", "ls").stdout, r"%s\s+\d+\s+RUNNING" % cid)
        r = CTRD.ctr("task", "delete", "-f", cid)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(CTRD.ctr("container", "delete", cid).returncode, 0)
        self.assert_no_task(cid)


class Session:
    """hugetlb workaround (crun only), containerd up, image imported."""

    def __enter__(self):
        global CTRD
        self.hugetlb = ht.hugetlb_v1_if_needed(KIND)
        self.hugetlb.__enter__()
        try:
            CTRD = Containerd()
            with _ImageDir() as img:
                r = CTRD.ctr("images", "import", img)
                if r.returncode != 0:
                    raise AssertionError("ctr images import: %s %s" % (r.stdout, r.stderr))
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        errors = CTRD.close() if CTRD else []
        self.hugetlb.__exit__(*exc)
        if errors:
            raise AssertionError("containerd teardown: %s" % errors)
        return False


class _ImageDir:
    def __enter__(self):
        self.tmp = ht.TempDir("image")
        path = self.tmp.join("busybox-oci.tar")
        subprocess.run([os.path.join(ht.REPO, "tests/fixtures/make-image.sh"), "oci-archive", path, IMAGE],
                       check=True)
        return path

    def __exit__(self, *exc):
        self.tmp.close()
        return False


if __name__ == "__main__":
    ht.require_root()
    for tool in ("containerd", "ctr", "containerd-shim-runc-v2"):
        if not shutil.which(tool):
            ht.skip_all("%s not installed (apt-get install containerd)" % tool)
    RUNTIME = ht.runtime_from_env()
    KIND = ht.runtime_kind(RUNTIME)
    print("runtime under test: %s (%s)" % (RUNTIME, KIND), flush=True)
    ht.main(Session)
