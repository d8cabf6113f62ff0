#!/usr/bin/python3
"""hutch diff, cp, export and commit on a private store made from
busybox-static (the Store of containers_test.py):

- diff lists docker's C/A/D lines, without the runtime's mount points;
- cp both ways, running and stopped: a file, a directory, "DIR/." contents,
  tar streams with "-", -a keeps owners;
- export | tar t, -o; a stopped container's private mount leaves nothing;
- commit -c -m -a, then run the new image and see the change;
- hostile containers: symlinks to / and .. inside the container never let
  cp write outside the container's root, nor through a container symlink
  on the host.

  HUTCH=build/hutch /usr/bin/python3 tests/e2e/files_test.py
"""

import io
import os
import resource
import subprocess
import sys
import tarfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "testlib"))
sys.path.insert(0, HERE)
import hutchtest as ht  # noqa: E402
import containers_test as ct  # noqa: E402  (its Store; its cases are not loaded here)

# hutch's default RLIMIT_NOFILE (docker's 1048576) is refused where the
# hard limit is lower, as in some CI sandboxes.
ULIMIT = [] if resource.getrlimit(resource.RLIMIT_NOFILE)[1] >= 1048576 else ["--ulimit", "nofile=1024:1024"]


class FilesCase(unittest.TestCase):
    def setUp(self):
        self.s = ct.Store()
        self.host = ht.TempDir("files")

    def tearDown(self):
        self.host.close()
        leftovers, mounts = self.s.close()
        self.assertEqual(leftovers, [], "container dirs left behind")
        self.assertEqual(mounts, [], "mounts left behind")

    def h(self, *args, **kw):
        return self.s.h(*args, **kw)

    def hb(self, *args, input=None):
        """hutch with bytes in and out (tar streams)."""
        return subprocess.run(self.s.argv(*args), input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)

    def run_d(self, name, script="sleep 600"):
        self.h("run", "-d", *ULIMIT, "--name", name, "busybox", "sh", "-c", script, check=True)
        ct.wait_for(lambda: self.s.inspect(name)["State"]["Status"] == "running", what="running")

    def sh(self, name, script):
        return self.h("exec", name, "sh", "-c", script, check=True).stdout

    def no_private_mounts(self):
        """Only running containers' roots (and network namespaces) are
        mounted: cp and export leave nothing."""
        others = [m for m in ht.mount_points_under(self.s.root) if not m.endswith("/rootfs")]
        self.assertEqual(others, [])

        def stray():
            running = set(self.h("ps", "-q", check=True).stdout.split())
            return [m for m in ht.mount_points_under(self.s.runroot)
                    if not (os.path.dirname(m).endswith("/netns") and os.path.basename(m) in running)]
        # A container that just exited may still be tearing its network down.
        deadline = time.monotonic() + 10
        while stray() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(stray(), [])


class Diff(FilesCase):
    def test_diff(self):
        self.run_d("box")
        self.sh("box", "echo x >> /etc/passwd; echo n > /etc/new; rm /bin/ls; mkdir -p /d/e; touch /d/e/f")
        lines = self.h("diff", "box", check=True).stdout.splitlines()
        for want in ["C /etc", "C /etc/passwd", "A /etc/new", "C /bin", "D /bin/ls", "A /d", "A /d/e", "A /d/e/f"]:
            self.assertIn(want, lines)
        self.assertEqual(lines.index("C /etc") + 1, lines.index("A /etc/new"))
        for hidden in ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/proc", "/sys", "/dev"]:
            self.assertFalse([l for l in lines if l.endswith(" " + hidden)], lines)
        self.h("stop", "-t", "1", "box", check=True)
        self.assertEqual(self.h("diff", "box", check=True).stdout.splitlines(), lines)
        self.assertNotEqual(self.h("diff", "nosuch").returncode, 0)


class Copy(FilesCase):
    def check_copies(self, name):
        out = self.host.join(name)
        os.mkdir(out)
        # A file into a directory, then as a new name.
        self.h("cp", name + ":/etc/passwd", out, check=True)
        self.assertIn("root:", open(os.path.join(out, "passwd")).read())
        self.h("cp", name + ":/etc/passwd", os.path.join(out, "pw2"), check=True)
        self.assertTrue(os.path.isfile(os.path.join(out, "pw2")))
        # A directory: as a new name, into an existing dir, its contents.
        self.h("cp", name + ":/data", os.path.join(out, "copy"), check=True)
        self.assertEqual(open(os.path.join(out, "copy/sub/f")).read(), "in container\n")
        self.h("cp", name + ":/data", out, check=True)
        self.assertTrue(os.path.isfile(os.path.join(out, "data/sub/f")))
        os.mkdir(os.path.join(out, "contents"))
        self.h("cp", name + ":/data/.", os.path.join(out, "contents"), check=True)
        self.assertTrue(os.path.isfile(os.path.join(out, "contents/sub/f")))
        # Owners: the caller's, or the container's with -a.
        st = os.stat(os.path.join(out, "copy/sub/f"))
        self.assertEqual((st.st_uid, st.st_gid), (os.getuid(), os.getgid()))
        self.h("cp", "-a", name + ":/data/sub/f", os.path.join(out, "owned"), check=True)
        st = os.stat(os.path.join(out, "owned"))
        self.assertEqual((st.st_uid, st.st_gid), (1234, 5678))
        # A file where a directory is required, and a missing source.
        self.assertNotEqual(self.h("cp", name + ":/data", os.path.join(out, "pw2")).returncode, 0)
        p = self.h("cp", name + ":/nonexistent", out)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Could not find the file /nonexistent", p.stderr)
        # A tar stream out.
        p = self.hb("cp", name + ":/data", "-")
        self.assertEqual(p.returncode, 0, p.stderr)
        names = tarfile.open(fileobj=io.BytesIO(p.stdout)).getnames()
        self.assertIn("data/sub/f", [n.rstrip("/") for n in names])
        # Into the container: a file, a directory, a tar stream.
        src = self.host.join(name + "-in")
        os.makedirs(os.path.join(src, "deep"))
        with open(os.path.join(src, "deep/g"), "w") as f:
            f.write("from host\n")
        self.h("cp", os.path.join(src, "deep/g"), name + ":/tmp/", check=True)
        self.h("cp", src, name + ":/tmp/indir", check=True)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            data = b"streamed\n"
            info = tarfile.TarInfo("stream/s")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        p = self.hb("cp", "-", name + ":/tmp", input=buf.getvalue())
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.hb("cp", "-", name + ":/etc/passwd", input=buf.getvalue())
        self.assertNotEqual(p.returncode, 0, "a tar into a file")
        return out

    def test_running(self):
        self.run_d("box", "mkdir -p /data/sub; echo 'in container' > /data/sub/f; chown 1234:5678 /data/sub/f; sleep 600")
        ct.wait_for(lambda: self.h("exec", "box", "test", "-f", "/data/sub/f").returncode == 0, what="setup")
        self.check_copies("box")
        self.assertEqual(self.sh("box", "cat /tmp/g /tmp/indir/deep/g /tmp/stream/s"),
                         "from host\nfrom host\nstreamed\n")
        self.assertEqual(self.sh("box", "stat -c %u:%g /tmp/g"), "0:0\n")

    def test_stopped(self):
        self.h("run", *ULIMIT, "--name", "box", "busybox", "sh", "-c",
               "mkdir -p /data/sub; echo 'in container' > /data/sub/f; chown 1234:5678 /data/sub/f", check=True)
        self.check_copies("box")
        self.no_private_mounts()
        lines = self.h("diff", "box", check=True).stdout.splitlines()
        for want in ["A /tmp/g", "A /tmp/indir/deep/g", "A /tmp/stream/s"]:
            self.assertIn(want, lines)

    def test_stopped_volumes(self):
        # A stopped container's volumes and binds are not in its overlay:
        # cp goes to the directory behind them (docker does the same).
        vol = "v%d" % os.getpid()
        ro_dir = self.host.join("ro")
        os.makedirs(ro_dir)
        src = self.host.join("f.txt")
        with open(src, "w") as f:
            f.write("into the volume\n")
        self.h("create", *ULIMIT, "--name", "box", "-v", vol + ":/data", "-v", ro_dir + ":/ro:ro", "busybox", "true",
               check=True)
        try:
            self.h("cp", src, "box:/data/", check=True)
            out = self.hb("cp", "box:/data/f.txt", "-")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn(b"into the volume", out.stdout)
            p = self.h("cp", src, "box:/ro/")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("read-only", p.stderr)
            self.assertEqual(os.listdir(ro_dir), [])
            self.h("rm", "box", check=True)
            p = self.h("run", "--rm", *ULIMIT, "-v", vol + ":/data", "busybox", "cat", "/data/f.txt", check=True)
            self.assertEqual(p.stdout, "into the volume\n")
        finally:
            self.h("rm", "-f", "box")
            self.h("volume", "rm", vol)

    def test_usage(self):
        self.assertNotEqual(self.h("cp", "/etc/passwd", self.host.path).returncode, 0)
        self.assertIn("between containers", self.h("cp", "a:/x", "b:/y").stderr)


class Export(FilesCase):
    def test_export(self):
        self.run_d("box")
        self.sh("box", "echo hi > /exported; rm /bin/ls")
        for state in ["running", "stopped"]:
            p = self.hb("export", "box")
            self.assertEqual(p.returncode, 0, p.stderr)
            listing = subprocess.run(["tar", "t"], input=p.stdout, stdout=subprocess.PIPE, check=True).stdout.decode()
            names = [n.rstrip("/") for n in listing.split()]
            self.assertIn("exported", names, state)
            self.assertIn("bin/busybox", names, state)
            self.assertNotIn("bin/ls", names, state)
            self.assertNotIn("proc/self", names, state)
            if state == "running":
                self.h("stop", "-t", "1", "box", check=True)
        self.no_private_mounts()
        target = self.host.join("c.tar")
        self.h("export", "-o", target, "box", check=True)
        self.assertIn("exported", tarfile.open(target).getnames())
        self.assertNotEqual(self.h("export", "nosuch").returncode, 0)


class Commit(FilesCase):
    def test_commit_and_run(self):
        self.run_d("box")
        self.sh("box", "echo committed > /etc/motd2; rm /bin/ls; mkdir -p /opq; touch /opq/a")
        p = self.h("commit", "-m", "my message", "-a", "me <me@example.com>", "-c", "ENV COMMITTED=yes",
                   "-c", "LABEL k=v", "box", "snap:1", check=True)
        image_id = p.stdout.strip()
        self.assertTrue(image_id.startswith("sha256:"), p.stdout)
        # It ran paused and is running again.
        self.assertEqual(self.s.inspect("box")["State"]["Status"], "running")
        p = self.h("run", "--rm", *ULIMIT, "snap:1", "sh", "-c",
                   "cat /etc/motd2; echo $COMMITTED; test -e /bin/ls && echo ls-back || echo ls-gone; ls /opq")
        self.assertEqual(p.stdout, "committed\nyes\nls-gone\na\n", p.stderr)
        info = self.h("image", "inspect", "snap:1", check=True).stdout
        self.assertIn("me <me@example.com>", info)
        self.assertIn('"k": "v"', info)
        hist = self.h("history", "--no-trunc", "snap:1", check=True).stdout
        self.assertIn("my message", hist)
        # A second commit on top of the first image: whiteouts of the first
        # layer's files go through OCI form and back.
        self.h("run", *ULIMIT, "--name", "c2", "snap:1", "sh", "-c", "rm -r /opq; rm /etc/motd2", check=True)
        self.h("commit", "c2", "snap:2", check=True)
        p = self.h("run", "--rm", *ULIMIT, "snap:2", "sh", "-c", "test -e /opq || test -e /etc/motd2 || echo gone")
        self.assertEqual(p.stdout, "gone\n", p.stderr)
        self.no_private_mounts()


class Hostile(FilesCase):
    def test_symlinks_stay_inside(self):
        mark = ht.unique_id("planted")
        self.run_d("box")
        self.sh("box", "ln -s / /esc; mkdir -p /d; ln -s ../../../.. /d/up; ln -s /etc /d/etc")
        src = self.host.join("payload")
        with open(src, "w") as f:
            f.write("payload\n")
        for dest in ["/esc/tmp/%s" % mark, "/d/up/tmp/%s-2" % mark, "/d/up/../../tmp/%s-3" % mark]:
            self.h("cp", src, "box:" + dest, check=True)
        for n in [mark, mark + "-2", mark + "-3"]:
            self.assertFalse(os.path.exists("/tmp/" + n), "wrote to the host's /tmp")
            self.assertEqual(self.sh("box", "cat /tmp/" + n), "payload\n")
        # A tar whose symlink points out, then a file through it.
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            link = tarfile.TarInfo("out")
            link.type = tarfile.SYMTYPE
            link.linkname = "/"
            t.addfile(link)
            data = b"x"
            info = tarfile.TarInfo("out/tmp/%s-4" % mark)
            info.size = 1
            t.addfile(info, io.BytesIO(data))
        p = self.hb("cp", "-", "box:/d", input=buf.getvalue())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists("/tmp/%s-4" % mark))
        self.assertEqual(self.sh("box", "cat /tmp/%s-4" % mark), "x")
        # Copying out: the container's symlinks are copied as links, and
        # nothing lands outside the destination.
        out = self.host.join("out")
        os.mkdir(out)
        self.h("cp", "box:/d", out, check=True)
        self.assertTrue(os.path.islink(os.path.join(out, "d/up")))
        self.assertTrue(os.path.islink(os.path.join(out, "d/etc")))
        self.assertEqual(sorted(os.listdir(out)), ["d"])
        # The same on the stopped container, through its private mount.
        self.h("stop", "-t", "1", "box", check=True)
        self.h("cp", src, "box:/esc/tmp/%s-5" % mark, check=True)
        self.assertFalse(os.path.exists("/tmp/%s-5" % mark))
        self.assertIn("A /tmp/%s-5" % mark, self.h("diff", "box", check=True).stdout)
        self.no_private_mounts()


if __name__ == "__main__":
    ht.require_root()
    ct.HUTCH = os.environ.get("HUTCH") or os.path.join(ht.REPO, "build", "hutch")
    if not os.path.exists(ct.HUTCH):
        ht.skip_all("hutch binary not found: %s" % ct.HUTCH)
    kind = os.path.basename(ct.RUNTIME) if ct.RUNTIME else "hutchrt"
    ht.main(lambda: ht.hugetlb_v1_if_needed(kind))
