#!/usr/bin/python3
"""podman drives $RUNTIME through conmon (podman --runtime PATH).

Podman runs with temp --root/--runroot/--tmpdir, --cgroup-manager cgroupfs,
--events-backend file, a marked --cgroup-parent, --network none (host
network config is never touched) and an image imported from a rootfs tarball
made by tests/fixtures/make-image.sh (no registry). The capability bounding
set here lacks CAP_SYS_RESOURCE, so every run passes explicit nofile/nproc
ulimits no higher than ours.

  RUNTIME=build/hutchrt /usr/bin/python3 tests/e2e/podman_test.py
  RUNTIME=runc ... (validation)
"""

import os
import resource
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402

RUNTIME = None
KIND = None
IMAGE = "localhost/hutch-busybox:latest"
POD = None


def ulimit_args():
    args = []
    for flag, res, want in (("nofile", resource.RLIMIT_NOFILE, 20000),
                            ("nproc", resource.RLIMIT_NPROC, 32768)):
        hard = resource.getrlimit(res)[1]
        n = want if hard == resource.RLIM_INFINITY else min(want, hard)
        args += ["--ulimit", "%s=%d:%d" % (flag, n, n)]
    return args


class Podman:
    def __init__(self):
        self.tmp = ht.TempDir("podman")
        self.cgroup_parent = "/" + ht.unique_id("podman")
        self.base = ["podman", "--root", self.tmp.join("root"), "--runroot", self.tmp.join("runroot"),
                     "--tmpdir", self.tmp.join("tmp"), "--cgroup-manager", "cgroupfs",
                     "--events-backend", "file", "--runtime", RUNTIME]

    def argv(self, *args):
        return self.base + list(args)

    def run_argv(self, *args):
        """podman run with this suite's fixed options, then args."""
        return self.argv("run", "--network", "none", "--cgroup-parent", self.cgroup_parent,
                         *ulimit_args(), *args)

    def __call__(self, *args, timeout=120, input=None):
        return subprocess.run(self.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL if input is None else None, input=input,
                              text=True, timeout=timeout)

    def close(self):
        errors = []
        r = self("rm", "--all", "--force", "--time", "0")
        if r.returncode != 0:
            errors.append("podman rm -af: %s" % r.stderr)
        for d in ht.marked_cgroup_dirs(self.cgroup_parent[1:]):
            errors += ["cgroup " + e for e in ht.remove_cgroup_tree(d)]
        # containers/storage may leave its own private mount of the overlay
        # home; that is podman's, not the runtime's: let podman drop it.
        if ht.mount_points_under(self.tmp.path):
            self("system", "reset", "--force")
        errors += ["mount %s" % m for m in self.tmp.close()]
        return errors


class PodmanCase(unittest.TestCase):
    def test_run_rm_exit_code(self):
        name = ht.unique_id("rm")
        r = subprocess.run(POD.run_argv("--rm", "--name", name, IMAGE, "sh", "-c", "echo out-$((40+2)); exit 3"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(r.returncode, 3, r)
        self.assertEqual(r.stdout, "out-42\n")
        self.assertEqual(POD("ps", "-aq", "--filter", "name=" + name).stdout.strip(), "")

    def test_run_user_env_workdir(self):
        r = subprocess.run(POD.run_argv("--rm", "--user", "1000:1000", "--env", "HUTCH=1", "--workdir", "/tmp",
                                        IMAGE, "sh", "-c", "id -u; id -g; echo $HUTCH; pwd"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout.split(), ["1000", "1000", "1", "/tmp"])

    def test_run_stdin(self):
        r = subprocess.run(POD.run_argv("--rm", "-i", IMAGE, "tr", "a-z", "A-Z"), input="hello\n",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout, "HELLO\n")

    def test_run_interactive_tty(self):
        name = ht.unique_id("tty")
        code, out = ht.run_in_pty(POD.run_argv("-it", "--rm", "--name", name, IMAGE, "sh"),
                                  [("#", "tty; echo val-$((6*7))\n"), ("val-42", "exit 5\n")], timeout=60)
        self.assertIn("/dev/pts/", out)
        self.assertIn("val-42", out)
        self.assertEqual(code, 5, out)

    def test_detached_exec_stop_rm(self):
        name = ht.unique_id("detached")
        r = subprocess.run(POD.run_argv("-d", "--name", name, IMAGE, "sleep", "1000"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r)
        r = POD("inspect", "--format", "{{.State.Status}} {{.State.Pid}}", name)
        status, pid = r.stdout.split()
        self.assertEqual(status, "running")
        self.assertTrue(ht.pid_alive(int(pid)))
        r = POD("exec", name, "sh", "-c", "echo in-exec; exit 4")
        self.assertEqual(r.returncode, 4, r)
        self.assertEqual(r.stdout, "in-exec\n")
        r = POD("exec", "--user", "1000", name, "id", "-u")
        self.assertEqual(r.stdout.strip(), "1000", r)
        code, out = ht.run_in_pty(POD.argv("exec", "-it", name, "sh"), [("#", "tty; exit 6\n")], timeout=60)
        self.assertIn("/dev/pts/", out)
        self.assertEqual(code, 6, out)
        r = POD("top", name)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("sleep", r.stdout)
        # sleep as pid 1 ignores SIGTERM: stop falls back to SIGKILL after -t.
        start = time.monotonic()
        r = POD("stop", "-t", "1", name)
        self.assertEqual(r.returncode, 0, r)
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual(POD("inspect", "--format", "{{.State.Status}}", name).stdout.strip(), "exited")
        self.assertFalse(ht.pid_alive(int(pid)))
        r = POD("rm", name)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(POD("ps", "-aq", "--filter", "name=" + name).stdout.strip(), "")

    def test_pause_unpause_kill(self):
        name = ht.unique_id("pause")
        r = subprocess.run(POD.run_argv("-d", "--name", name, IMAGE, "sleep", "1000"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(POD("pause", name).returncode, 0)
        self.assertEqual(POD("inspect", "--format", "{{.State.Status}}", name).stdout.strip(), "paused")
        self.assertEqual(POD("unpause", name).returncode, 0)
        self.assertEqual(POD("inspect", "--format", "{{.State.Status}}", name).stdout.strip(), "running")
        self.assertEqual(POD("kill", name).returncode, 0)
        self.assertEqual(POD("wait", name).stdout.strip(), "137")
        self.assertEqual(POD("rm", name).returncode, 0)


class Session:
    def __enter__(self):
        global POD
        self.hugetlb = ht.hugetlb_v1_if_needed(KIND)
        self.hugetlb.__enter__()
        try:
            POD = Podman()
            img = ht.TempDir("image")
            try:
                tar = img.join("rootfs.tar")
                subprocess.run([os.path.join(ht.REPO, "tests/fixtures/make-image.sh"), "rootfs-tar", tar],
                               check=True)
                r = POD("import", "--change", "CMD=/bin/sh", tar, IMAGE)
                if r.returncode != 0:
                    raise AssertionError("podman import: %s" % r.stderr)
            finally:
                img.close()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        errors = POD.close() if POD else []
        self.hugetlb.__exit__(*exc)
        if errors:
            raise AssertionError("podman teardown: %s" % errors)
        return False


if __name__ == "__main__":
    ht.require_root()
    for tool in ("podman", "conmon"):
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/bin:/usr/libexec/podman"):
            ht.skip_all("%s not installed (apt-get install podman)" % tool)
    RUNTIME = ht.runtime_from_env()
    KIND = ht.runtime_kind(RUNTIME)
    print("runtime under test: %s (%s)" % (RUNTIME, KIND), flush=True)
    ht.main(Session)
