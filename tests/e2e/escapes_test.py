#!/usr/bin/python3
"""The known runtime escapes, one case each, parameterised by $RUNTIME like
runtime_test.py (and run against crun too: a case that fails there is wrong).

- CVE-2019-5736: the container must not reach the runtime's binary through
  /proc/PID/exe of a runtime process sitting in its namespaces.
- CVE-2024-21626: a working directory given as a leaked fd
  (/proc/self/fd/N) must never leave the process in a host directory.
- CVE-2021-30465: mount destinations that are symlinks pointing out of the
  rootfs must be resolved inside it; nothing is mounted on the host.
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402

RUNTIME = None


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class EscapeCase(ht.ContainerCase):
    TAG = "esc"

class ProcSelfExe(EscapeCase):
    """CVE-2019-5736."""

    def test_runtime_binary_unreachable_from_the_container(self):
        binary = ht.find_binary(RUNTIME)
        before = sha256(binary)
        c = self.container(["/bin/sleep", "1000"])
        c.create()
        # The init waits for start inside the container's namespaces, still
        # running runtime code. hutchrt runs it from a sealed memfd copy, so
        # its exe is not the host's binary (crun relies on the init being
        # non-dumpable only, which the check from inside covers).
        if ht.runtime_kind(RUNTIME) == "hutchrt":
            exe = os.stat("/proc/%d/exe" % c.pid)
            host = os.stat(binary)
            self.assertFalse(exe.st_ino == host.st_ino and exe.st_dev == host.st_dev,
                             "the waiting init runs the host's runtime binary")
        # From inside, a process of the container cannot open it either.
        out = self.tmp.join("exec.out")
        with open(out, "wb") as f:
            r = self.rt("exec", c.id, "/probe", "read", "/proc/1/exe", stdout=f)
        self.assertEqual(r.rc, 0, r)
        with open(out) as f:
            report = json.load(f)
        self.assertNotEqual(report["actions"][0]["errno"], 0, "container read the runtime through /proc/1/exe")
        c.start()
        self.rt("kill", c.id, "KILL")
        c.wait()
        self.assertEqual(sha256(binary), before)


class LeakedFdCwd(EscapeCase):
    """CVE-2024-21626."""

    def test_cwd_through_proc_self_fd_never_reaches_the_host(self):
        for fd in range(3, 9):
            c = self.container(["/probe"], lambda cfg, fd=fd: cfg["process"].__setitem__("cwd", "/proc/self/fd/%d" % fd))
            r = c.create(check=False)
            if r.rc != 0:
                continue  # refused: fine
            c.start()
            c.wait()
            report = c.probe_report()
            self.assertTrue(report["cwd"].startswith("/"), "fd %d: cwd %r is outside the root" % (fd, report["cwd"]))
            self.assertNotIn("unreachable", report["cwd"])
            self.rt("delete", c.id)


class SymlinkMountTarget(EscapeCase):
    """CVE-2021-30465: symlinked mount destinations stay in the rootfs."""

    def test_symlinks_pointing_out_are_resolved_inside(self):
        host = self.tmp.join("hostdir")
        os.makedirs(host)
        c = self.container(["/probe"])
        rootfs = c.bundle.rootfs
        depth = "../" * 12
        os.symlink(host, os.path.join(rootfs, "abs"))
        os.symlink(depth + host.lstrip("/"), os.path.join(rootfs, "rel"))
        c.bundle.config["mounts"].append({"destination": "/abs", "type": "tmpfs", "source": "tmpfs"})
        c.bundle.config["mounts"].append({"destination": "/rel/sub", "type": "tmpfs", "source": "tmpfs"})
        c.bundle.save()
        r = c.create(check=False)
        self.assertEqual(ht.mount_points_under(host), [], "a mount escaped onto the host")
        self.assertEqual(os.listdir(host), [], "something was created on the host")
        if r.rc != 0:
            return  # refusing the mount is safe too (crun does)
        c.start()
        self.assertEqual(c.wait(), 0, c.stderr())
        self.assertEqual(ht.mount_points_under(host), [])
        report = c.probe_report()
        targets = [m["target"] for m in report["mounts"] if m["fstype"] == "tmpfs"]
        self.assertTrue(any(t.endswith(host) for t in targets), targets)
        self.rt("delete", c.id)


if __name__ == "__main__":
    ht.require_root()
    RUNTIME = ht.runtime_from_env()
    ht.become_subreaper()
    print("runtime under test: %s" % RUNTIME, flush=True)
    ht.main(lambda: ht.hugetlb_v1_if_needed(ht.runtime_kind(RUNTIME)))
