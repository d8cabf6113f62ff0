#!/usr/bin/python3
"""Runtime-spec features beyond the basic lifecycle, parameterised by
$RUNTIME like runtime_test.py: user namespaces (new and joined by path),
idmapped mounts, tmpcopyup, time namespaces with offsets, execCPUAffinity,
the seccomp notify listener. A feature a reference runtime lacks is
skipped for it, with the reason.
"""

import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402

RUNTIME = None
KIND = None
USERNS_MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def with_userns(cfg, path=None):
    ns = {"type": "user"}
    if path:
        ns["path"] = path
    cfg["linux"]["namespaces"].append(ns)
    if not path:
        cfg["linux"]["uidMappings"] = USERNS_MAP
        cfg["linux"]["gidMappings"] = USERNS_MAP


class FeatureCase(ht.ContainerCase):
    TAG = "feat"

class UserNamespaces(FeatureCase):
    def test_new_user_namespace_maps_root(self):
        report = self.run_probe(configure=with_userns)
        self.assertEqual(report["uid"], 0)
        self.assertNotEqual(report["ns"]["user"], os.stat("/proc/self/ns/user").st_ino)

    def test_join_user_namespace_by_path(self):
        holder = self.container(["/bin/sleep", "1000"], with_userns)
        holder.create()
        r = holder.start(check=False)
        if r.rc != 0:
            self.fail("holder did not start: %r exit=%s stderr=%s" % (r, ht.wait_pid(holder.pid, 1), holder.stderr()))
        path = "/proc/%d/ns/user" % holder.pid
        report = self.run_probe(configure=lambda cfg: with_userns(cfg, path))
        self.assertEqual(report["ns"]["user"], os.stat(path).st_ino)
        self.assertEqual(report["uid"], 0)


class Mounts(FeatureCase):
    def test_idmapped_bind_mount(self):
        if KIND == "runc":
            self.skipTest("runc 1.1 has no idmapped mounts")
        data = self.tmp.join("data")
        os.makedirs(data)
        with open(os.path.join(data, "f"), "w") as f:
            f.write("x")
        os.chown(os.path.join(data, "f"), 0, 0)
        m = {"destination": "/data", "type": "bind", "source": data, "options": ["bind", "idmap"],
             "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
             "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}
        c = self.container(["/bin/sh", "-c", "stat -c %u:%g /data/f"], lambda cfg: cfg["mounts"].append(m))
        c.create()
        c.start()
        self.assertEqual(c.wait(), 0, c.stderr())
        # On-disk 0 is container id 0 of the mapping, seen as host id 1000.
        self.assertEqual(c.stdout().strip(), "1000:1000")
        self.assertEqual(os.stat(os.path.join(data, "f")).st_uid, 0, "the file itself changed owner")

    def test_tmpcopyup_copies_the_directory_below(self):
        if KIND == "runc":
            self.skipTest("runc has no tmpcopyup")

        def configure(cfg):
            cfg["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                                  "options": ["tmpcopyup"]})
        c = self.container(["/bin/sh", "-c", "cat /etc/passwd >/dev/null && echo ok > /etc/new && cat /etc/new"],
                           configure)
        c.create()
        c.start()
        self.assertEqual(c.wait(), 0, c.stderr())
        self.assertEqual(c.stdout().strip(), "ok")
        self.assertFalse(os.path.exists(os.path.join(c.bundle.rootfs, "etc", "new")), "write reached the rootfs")


class TimeNamespace(FeatureCase):
    def test_boottime_offset(self):
        if KIND in ("crun", "runc"):
            self.skipTest("%s from Debian 12 refuses the time namespace" % KIND)

        def configure(cfg):
            cfg["linux"]["namespaces"].append({"type": "time"})
            cfg["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 1000, "nanosecs": 0}}
        c = self.container(["/bin/cat", "/proc/uptime"], configure)
        c.create()
        c.start()
        self.assertEqual(c.wait(), 0, c.stderr())
        uptime = float(c.stdout().split()[0])
        self.assertGreater(uptime, 86400 * 1000)


class Affinity(FeatureCase):
    def test_exec_cpu_affinity_final(self):
        if KIND in ("crun", "runc"):
            self.skipTest("%s from Debian 12 ignores execCPUAffinity (runtime-spec 1.2)" % KIND)
        c = self.container(["/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status"],
                           lambda cfg: cfg["process"].__setitem__("execCPUAffinity", {"final": "0"}))
        c.create()
        c.start()
        self.assertEqual(c.wait(), 0, c.stderr())
        self.assertEqual(c.stdout().split()[-1], "0")


class ForegroundTerminal(FeatureCase):
    """`run` and `exec -t` without --console-socket: the runtime proxies the
    caller's terminal (runc's behaviour for an interactive `runc run`)."""

    def test_run_with_terminal_proxies_the_callers_tty(self):
        c = self.container(["/bin/sh", "-c", "tty; read x; echo got-$x; exit 5"],
                           lambda cfg: cfg["process"].__setitem__("terminal", True))
        code, out = ht.run_in_pty(self.rt.argv("run", "--bundle", c.bundle.path, c.id), [("/dev/pts/", "abc\r")])
        self.assertIn("got-abc", out)
        self.assertEqual(code, 5, out)


class SeccompListener(FeatureCase):
    def test_notify_fd_reaches_the_listener(self):
        path = self.tmp.join("listener.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        got = {}

        def accept():
            conn, _ = srv.accept()
            msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4))
            got["state"] = json.loads(msg.decode())
            got["fds"] = len(anc)
            conn.close()
        t = threading.Thread(target=accept)
        t.start()

        def configure(cfg):
            cfg["linux"]["seccomp"] = {
                "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": path, "listenerMetadata": "hutch-test",
                "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}
        c = self.container(["/bin/true"], configure)
        c.create()
        c.start()
        t.join(10)
        srv.close()
        self.assertEqual(c.wait(), 0, c.stderr())
        self.assertEqual(got.get("fds"), 1)
        self.assertEqual(got["state"]["fds"], ["seccompFd"])
        self.assertEqual(got["state"]["metadata"], "hutch-test")
        self.assertEqual(got["state"]["state"]["id"], c.id)


if __name__ == "__main__":
    ht.require_root()
    RUNTIME = ht.runtime_from_env()
    KIND = ht.runtime_kind(RUNTIME)
    ht.become_subreaper()
    print("runtime under test: %s (%s)" % (RUNTIME, KIND), flush=True)
    ht.main(lambda: ht.hugetlb_v1_if_needed(KIND))
