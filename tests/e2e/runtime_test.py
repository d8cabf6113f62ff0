#!/usr/bin/python3
"""End-to-end OCI runtime suite, parameterised by $RUNTIME (a path to hutchrt,
or crun, or runc).

Drives the runtime as containerd's shim does (global --root/--log/--log-format
json; create --bundle --pid-file [--console-socket]; start; state; kill;
delete; exec --detach --pid-file --process) with this process as the
container's child subreaper, and checks each container from inside (the
static probe's JSON report) and from outside (state JSON, /proc, cgroup
files). A case that fails on crun is a wrong case.

  RUNTIME=crun /usr/bin/python3 tests/e2e/runtime_test.py [-k NAME]
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402

RUNTIME = None
KIND = None

# Known behaviours of reference runtimes that differ from what hutchrt
# promises; a check listed here is relaxed only for that runtime.
QUIRKS = {
    # crun 1.8.1 parses an unknown signal name as signal 0 and exits 0.
    "crun": {"accepts_bad_signal_name"},
    # runc 1.1.5 runs poststart hooks during create and has neither
    # domainname nor linux.personality.
    "runc": {"poststart_on_create", "no_domainname", "no_personality"},
}


def quirk(name):
    return name in QUIRKS.get(KIND, set())


DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
SLEEP = ["/bin/sleep", "1000"]


def host_ns(kind):
    return os.stat("/proc/self/ns/%s" % kind).st_ino


def mount_at(report, target):
    """The last (topmost) mount at target in a probe report, or None."""
    found = None
    for m in report["mounts"]:
        if m["target"] == target:
            found = m
    return found


def action(report, i=0):
    return report["actions"][i]


class RuntimeCase(ht.ContainerCase):
    """The shared container case (hutchtest.ContainerCase) plus helpers."""

    TAG = "rt"

    def assert_fails(self, r, what):
        self.assertNotEqual(r.rc, 0, "%s should fail: %r" % (what, r))

    def write_json(self, name, obj):
        path = self.tmp.join(name)
        with open(path, "w") as f:
            json.dump(obj, f)
        return path


class Lifecycle(RuntimeCase):
    def test_create_start_kill_delete(self):
        c = self.container(SLEEP, lambda cfg: cfg.update(annotations={"org.hutch.test": "yes"}))
        c.create()
        # Outside: state, pid file, /proc, --root.
        st = c.state()
        self.assertEqual(st["id"], c.id)
        self.assertEqual(st["status"], "created")
        self.assertEqual(st["pid"], c.pid)
        self.assertEqual(os.path.realpath(st["bundle"]), os.path.realpath(c.bundle.path))
        self.assertEqual(st.get("annotations", {}).get("org.hutch.test"), "yes")
        self.assertIn("ociVersion", st)
        self.assertTrue(ht.pid_alive(c.pid))
        self.assertIn(c.id, os.listdir(self.rt.root), "state dir under --root")
        self.assertNotEqual(os.stat("/proc/%d/ns/pid" % c.pid).st_ino, host_ns("pid"))
        # A created container has not run its process yet.
        with open("/proc/%d/cmdline" % c.pid, "rb") as f:
            self.assertNotIn(b"sleep", f.read())

        c.start()
        st = c.state()
        self.assertEqual(st["status"], "running")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with open("/proc/%d/cmdline" % c.pid, "rb") as f:
                if f.read().startswith(b"/bin/sleep"):
                    break
            time.sleep(0.01)
        else:
            self.fail("init did not exec /bin/sleep")

        self.assertEqual(self.rt("kill", c.id, "KILL").rc, 0)
        self.assertEqual(c.wait(), 128 + signal.SIGKILL)
        self.assertEqual(c.state()["status"], "stopped")
        cgroups = ht.marked_cgroup_dirs(c.id)
        self.assertEqual(self.rt("delete", c.id).rc, 0)
        self.assertIsNone(c.state(), "state after delete")
        self.assertNotIn(c.id, os.listdir(self.rt.root))
        self.assertEqual([d for d in cgroups if os.path.exists(d)], [], "cgroups after delete")

    def test_exit_code_reaches_subreaper(self):
        c = self.container(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
        c.create()
        c.start()
        self.assertEqual(c.wait(), 3)
        self.assertEqual(c.stdout(), "out\n")
        self.assertEqual(c.stderr(), "err\n")
        self.assertEqual(c.state()["status"], "stopped")

    def test_run_returns_exit_code(self):
        c = self.container(["/bin/sh", "-c", "echo hello; exit 7"])
        r = self.rt("run", "--bundle", c.bundle.path, c.id, stdin=subprocess.DEVNULL)
        self.assertEqual(r.rc, 7, r)
        self.assertEqual(r.out, "hello\n")
        self.rt("delete", c.id)
        self.assertIsNone(c.state())

    def test_list_and_ps(self):
        c = self.container(SLEEP)
        c.create()
        c.start()
        r = self.rt("list", "--format", "json")
        self.assertEqual(r.rc, 0, r)
        entries = {e["id"]: e for e in json.loads(r.out)}
        self.assertIn(c.id, entries)
        self.assertEqual(entries[c.id]["status"], "running")
        self.assertEqual(entries[c.id]["pid"], c.pid)
        r = self.rt("ps", "--format", "json", c.id)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(c.pid, json.loads(r.out))

    def test_delete_force_running(self):
        c = self.container(SLEEP)
        c.create()
        c.start()
        cgroups = ht.marked_cgroup_dirs(c.id)
        self.assertNotEqual(cgroups, [])
        r = self.rt("delete", "--force", c.id)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(c.wait(), 128 + signal.SIGKILL)
        self.assertIsNone(c.state())
        self.assertEqual([d for d in cgroups if os.path.exists(d)], [])

    def test_delete_force_created(self):
        c = self.container(SLEEP)
        c.create()
        r = self.rt("delete", "--force", c.id)
        self.assertEqual(r.rc, 0, r)
        self.assertIsNotNone(c.wait())
        self.assertIsNone(c.state())

    def test_kill_signal_forms(self):
        # pid 1 of a pid namespace ignores signals it has no handler for, so
        # the shell installs one and exits 42 when it runs.
        script = "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"
        for form in ("TERM", "SIGTERM", "15"):
            c = self.container(["/bin/sh", "-c", script], tag=form.lower())
            c.create()
            c.start()
            deadline = time.monotonic() + 5
            while "ready" not in c.stdout() and time.monotonic() < deadline:
                time.sleep(0.01)
            r = self.rt("kill", c.id, form)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(c.wait(), 42, "kill %s" % form)
            self.rt("delete", c.id)

    def test_kill_default_is_sigterm(self):
        c = self.container(["/bin/sh", "-c", "trap 'exit 43' TERM; echo ready; while :; do sleep 0.05; done"])
        c.create()
        c.start()
        deadline = time.monotonic() + 5
        while "ready" not in c.stdout() and time.monotonic() < deadline:
            time.sleep(0.01)
        r = self.rt("kill", c.id)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(c.wait(), 43)

    def test_pause_resume(self):
        c = self.container(SLEEP)
        c.create()
        c.start()
        self.assertEqual(self.rt("pause", c.id).rc, 0)
        self.assertEqual(c.state()["status"], "paused")
        if "freezer" in ht.cgroup_mounts():
            _, v = ht.read_cgroup_file(c.pid, "freezer", "freezer.state")
            self.assertEqual(v, "FROZEN")
        else:
            _, v = ht.read_cgroup_file(c.pid, "", None, "cgroup.freeze")
            self.assertEqual(v, "1")
        self.assertEqual(self.rt("resume", c.id).rc, 0)
        self.assertEqual(c.state()["status"], "running")
        if "freezer" in ht.cgroup_mounts():
            _, v = ht.read_cgroup_file(c.pid, "freezer", "freezer.state")
            self.assertEqual(v, "THAWED")

    def test_console_socket(self):
        sock_path = self.tmp.join("console.sock")
        console = ht.ConsoleSocket(sock_path)
        try:
            c = self.container(["/bin/sh", "-c", "tty; echo hello-from-pty; exit 4"],
                               lambda cfg: cfg["process"].update(terminal=True))
            c.create(console_socket=sock_path)
            master = console.receive_master()
            try:
                c.start()
                out = ht.read_fd_until(master, "hello-from-pty")
                self.assertIn("/dev/pts/", out)
                self.assertIn("hello-from-pty", out)
                self.assertEqual(c.wait(), 4)
            finally:
                os.close(master)
        finally:
            console.close()


class Exec(RuntimeCase):
    def started(self, configure=None):
        c = self.container(SLEEP, configure)
        c.create()
        c.start()
        return c

    def test_exec_detach_pid_file(self):
        c = self.started()
        process = dict(c.bundle.config["process"], args=["/probe", "exit", "6"],
                       env=["PATH=/bin", "EXEC=1"], cwd="/tmp")
        pid_file = self.tmp.join("exec.pid")
        out_path = self.tmp.join("exec.out")
        with open(out_path, "wb") as out:
            r = self.rt("exec", "--detach", "--pid-file", pid_file,
                        "--process", self.write_json("process.json", process), c.id,
                        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL)
        self.assertEqual(r.rc, 0, "%r\nlog: %s" % (r, self.rt.log_text()))
        with open(pid_file) as f:
            pid = int(f.read())
        self.assertEqual(ht.wait_pid(pid), 6)
        with open(out_path) as f:
            report = json.loads(f.read())
        self.assertIn("EXEC=1", report["env"])
        self.assertEqual(report["cwd"], "/tmp")
        for ns in ("pid", "net", "ipc", "uts", "mnt"):
            self.assertEqual(report["ns"][ns], os.stat("/proc/%d/ns/%s" % (c.pid, ns)).st_ino, ns)
        self.assertEqual(c.state()["status"], "running", "init survives the exec")

    def test_exec_exit_code_and_user(self):
        c = self.started()
        process = dict(c.bundle.config["process"], args=["/bin/sh", "-c", "id -u; exit 5"],
                       user={"uid": 1000, "gid": 1000})
        r = self.rt("exec", "--process", self.write_json("p.json", process), c.id,
                    stdin=subprocess.DEVNULL)
        self.assertEqual(r.rc, 5, r)
        self.assertEqual(r.out, "1000\n")

    def test_exec_capabilities(self):
        c = self.started()
        caps = ["CAP_KILL", "CAP_CHOWN"]
        process = dict(c.bundle.config["process"], args=["/probe"],
                       capabilities={k: caps for k in ("bounding", "effective", "permitted")})
        r = self.rt("exec", "--process", self.write_json("p.json", process), c.id,
                    stdin=subprocess.DEVNULL)
        self.assertEqual(r.rc, 0, r)
        report = json.loads(r.out)
        for s in ("bounding", "effective", "permitted"):
            self.assertEqual(int(report["caps"][s], 16), ht.cap_mask(caps), s)

    def test_exec_in_stopped_container_fails(self):
        c = self.container(["/bin/true"])
        c.create()
        c.start()
        c.wait()
        process = dict(c.bundle.config["process"], args=["/bin/true"])
        r = self.rt("exec", "--process", self.write_json("p.json", process), c.id,
                    stdin=subprocess.DEVNULL)
        self.assert_fails(r, "exec in a stopped container")


class Inside(RuntimeCase):
    def test_default_capabilities(self):
        r = self.run_probe()
        want = ht.cap_mask(DEFAULT_CAPS) & ht.host_bounding_set()
        caps = {k: int(v, 16) for k, v in r["caps"].items()}
        self.assertEqual(caps["bounding"], want)
        self.assertEqual(caps["effective"], want)
        self.assertEqual(caps["permitted"], want)
        self.assertEqual(caps["inheritable"], 0)
        self.assertEqual(caps["ambient"], 0)

    def test_non_root_ambient_capabilities(self):
        caps = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]

        def cfg(c):
            c["process"]["user"] = {"uid": 1000, "gid": 1000}
            c["process"]["capabilities"] = {k: caps for k in
                                            ("bounding", "effective", "permitted", "inheritable", "ambient")}
        r = self.run_probe(configure=cfg)
        self.assertEqual((r["uid"], r["euid"], r["gid"], r["egid"]), (1000, 1000, 1000, 1000))
        for s in ("bounding", "effective", "permitted", "inheritable", "ambient"):
            self.assertEqual(int(r["caps"][s], 16), ht.cap_mask(caps), s)

    def test_user_groups_umask_cwd_env(self):
        def cfg(c):
            c["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [1001, 1002], "umask": 0o027}
            c["process"]["cwd"] = "/home/user"
            c["process"]["env"] = ["PATH=/bin", "HUTCH_TEST=a b=c"]
        r = self.run_probe(configure=cfg)
        self.assertEqual(r["uid"], 1000)
        self.assertEqual(r["gid"], 1000)
        self.assertEqual(sorted(set(r["groups"]) - {1000}), [1001, 1002])
        self.assertEqual(r["umask"], 0o027)
        self.assertEqual(r["cwd"], "/home/user")
        self.assertIn("HUTCH_TEST=a b=c", r["env"])
        self.assertIn("PATH=/bin", r["env"])

    def test_hostname_domainname(self):
        r = self.run_probe(configure=lambda c: c.update(hostname="box", domainname="example.org"))
        self.assertEqual(r["hostname"], "box")
        if not quirk("no_domainname"):
            self.assertEqual(r["domainname"], "example.org")

    def test_no_new_privs_and_oom_score_adj(self):
        def cfg(c):
            c["process"]["noNewPrivileges"] = True
            c["process"]["oomScoreAdj"] = 123
        r = self.run_probe(configure=cfg)
        self.assertEqual(r["no_new_privs"], 1)
        self.assertEqual(r["oom_score_adj"], 123)
        r = self.run_probe(configure=lambda c: c["process"].update(noNewPrivileges=False))
        self.assertEqual(r["no_new_privs"], 0)

    def test_personality(self):
        if quirk("no_personality"):
            self.skipTest("%s does not implement linux.personality" % KIND)
        r = self.run_probe(configure=lambda c: c["linux"].update(personality={"domain": "LINUX32"}))
        self.assertEqual(r["personality"] & 0xff, 0x0008, "PER_LINUX32")

    def test_rlimits(self):
        import resource
        nproc_hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        nproc = 2000 if nproc_hard == resource.RLIM_INFINITY else min(2000, nproc_hard)
        want = {"RLIMIT_NOFILE": (512, 1024), "RLIMIT_NPROC": (nproc // 2, nproc),
                "RLIMIT_CORE": (0, 0), "RLIMIT_STACK": (4 << 20, 8 << 20)}
        r = self.run_probe(configure=lambda c: c["process"].update(
            rlimits=[{"type": k, "soft": s, "hard": h} for k, (s, h) in want.items()]))
        for k, (s, h) in want.items():
            self.assertEqual((r["rlimits"][k]["soft"], r["rlimits"][k]["hard"]), (s, h), k)

    def test_namespaces_new_and_shared(self):
        r = self.run_probe()
        for ns in ("pid", "net", "ipc", "uts", "mnt"):
            self.assertNotEqual(r["ns"][ns], host_ns(ns), "%s should be new" % ns)
        for ns in ("user", "cgroup"):
            self.assertEqual(r["ns"][ns], host_ns(ns), "%s not requested, should be the host's" % ns)
        self.assertEqual(r["pid"], 1)

        r = self.run_probe(configure=lambda c: c["linux"]["namespaces"].append({"type": "cgroup"}))
        self.assertNotEqual(r["ns"]["cgroup"], host_ns("cgroup"))

    def test_new_network_namespace_has_loopback_up(self):
        # As runc and crun: a new network namespace comes with "lo" up.
        c = self.container(["/bin/sh", "-c", "cat /sys/class/net/lo/operstate /sys/class/net/lo/flags"])
        r = self.rt("run", "--bundle", c.bundle.path, c.id, stdin=subprocess.DEVNULL)
        self.assertEqual(r.rc, 0, r)
        flags = int(r.out.split()[1], 16)
        self.assertTrue(flags & 0x1, "lo should be up: %r" % r.out)
        self.rt("delete", c.id)

    def test_join_namespace_by_path(self):
        holder = self.container(SLEEP, tag="holder")
        holder.create()
        net = os.stat("/proc/%d/ns/net" % holder.pid).st_ino
        ipc = os.stat("/proc/%d/ns/ipc" % holder.pid).st_ino

        def cfg(c):
            for n in c["linux"]["namespaces"]:
                if n["type"] in ("network", "ipc"):
                    n["path"] = "/proc/%d/ns/%s" % (holder.pid, "net" if n["type"] == "network" else "ipc")
        r = self.run_probe(configure=cfg)
        self.assertEqual(r["ns"]["net"], net)
        self.assertEqual(r["ns"]["ipc"], ipc)
        self.assertNotEqual(r["ns"]["pid"], os.stat("/proc/%d/ns/pid" % holder.pid).st_ino)

    def test_user_namespace_mappings(self):
        def cfg(c):
            c["linux"]["namespaces"].append({"type": "user"})
            c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
            c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
            # A cgroup v1 hierarchy cannot be mounted from a user namespace.
            c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
        r = self.run_probe(configure=cfg)
        self.assertEqual([l.split() for l in r["uid_map"]], [["0", "100000", "65536"]])
        self.assertEqual([l.split() for l in r["gid_map"]], [["0", "100000", "65536"]])
        self.assertNotEqual(r["ns"]["user"], host_ns("user"))
        self.assertEqual(r["uid"], 0)

    def test_default_mounts_masked_and_readonly_paths(self):
        # Masked paths that exist on this kernel (some kernels have no /proc/kcore).
        masked = [p for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug")
                  if os.path.isfile(p)]
        self.assertNotEqual(masked, [], "no maskable file in /proc")
        r = self.run_probe(["read", masked[0], "write", "/proc/sys/kernel/hostname", "x"])
        want = {"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
                "/dev/mqueue": "mqueue", "/sys": "sysfs"}
        for target, fstype in want.items():
            m = mount_at(r, target)
            self.assertIsNotNone(m, "mount at %s" % target)
            self.assertEqual(m["fstype"], fstype, target)
        self.assertIn("ro", mount_at(r, "/sys")["options"].split(","))
        for opt in ("nosuid", "nodev", "noexec"):
            self.assertIn(opt, mount_at(r, "/dev/shm")["options"].split(","), opt)
        # Masked: something is mounted over each and reading gives nothing.
        for p in masked:
            self.assertIsNotNone(mount_at(r, p), "maskedPaths %s" % p)
        self.assertEqual(action(r, 0)["data"], "")
        self.assertIsNotNone(mount_at(r, "/proc/acpi") if os.path.isdir("/proc/acpi") else True)
        # Read-only: /proc/sys is remounted ro.
        self.assertIn("ro", mount_at(r, "/proc/sys")["options"].split(","))
        self.assertEqual(action(r, 1)["errno"], 30, "EROFS writing /proc/sys")
        self.assertIsNotNone(mount_at(r, "/"))
        # Nothing from the host's mount table below the root.
        self.assertFalse(any(m["target"].startswith(self.tmp.path) for m in r["mounts"]))

    def test_bind_tmpfs_and_readonly_root(self):
        host_dir = self.tmp.join("shared")
        os.makedirs(host_dir)
        with open(os.path.join(host_dir, "hello"), "w") as f:
            f.write("from host\n")

        def cfg(c):
            c["root"]["readonly"] = True
            c["mounts"] += [
                {"destination": "/data", "type": "bind", "source": host_dir, "options": ["rbind", "ro"]},
                {"destination": "/rw", "type": "bind", "source": host_dir, "options": ["bind", "rw"]},
                {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=1777"]},
            ]
        r = self.run_probe(["read", "/data/hello", "write", "/data/x", "write", "/rw/from-container", "hi",
                            "write", "/scratch/y", "write", "/etc/z"], configure=cfg)
        self.assertEqual(action(r, 0)["data"], "from host\n")
        self.assertEqual(action(r, 1)["errno"], 30, "EROFS on ro bind")
        self.assertEqual(action(r, 2)["errno"], 0)
        with open(os.path.join(host_dir, "from-container")) as f:
            self.assertEqual(f.read(), "hi")
        self.assertEqual(action(r, 3)["errno"], 0, "tmpfs writable")
        self.assertEqual(action(r, 4)["errno"], 30, "EROFS on readonly root")
        self.assertIn("ro", mount_at(r, "/")["options"].split(","))
        self.assertIn("ro", mount_at(r, "/data")["options"].split(","))
        scratch = mount_at(r, "/scratch")
        self.assertEqual(scratch["fstype"], "tmpfs")
        for opt in ("nosuid", "nodev", "noexec"):
            self.assertIn(opt, scratch["options"].split(","))
        self.assertIn("size=1024k", scratch["super"].split(","))

    def test_devices(self):
        r = self.run_probe(["ls", "/dev", "write", "/dev/null", "x", "read", "/dev/zero"])
        entries = set(action(r, 0)["entries"])
        for d in ("null", "zero", "full", "random", "urandom", "tty", "pts", "shm"):
            self.assertIn(d, entries)
        self.assertEqual(action(r, 1)["errno"], 0)
        self.assertEqual(action(r, 2)["errno"], 0)

    def test_only_stdio_fds(self):
        r = self.run_probe(["fds"])
        self.assertEqual(sorted(action(r, 0)["fds"], key=int), ["0", "1", "2"],
                         "fds leaked into the container: %s" % action(r, 0)["fds"])

    def test_sysctl(self):
        r = self.run_probe(["read", "/proc/sys/net/ipv4/ip_forward"],
                           configure=lambda c: c["linux"].update(sysctl={"net.ipv4.ip_forward": "1"}))
        self.assertEqual(action(r, 0)["data"].strip(), "1")

    def test_seccomp_errno(self):
        profile = {"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
        r = self.run_probe(["syscall", "mkdir", "/tmp/denied", "write", "/tmp/allowed"],
                           configure=lambda c: c["linux"].update(seccomp=profile))
        self.assertEqual(r["seccomp"], 2)
        self.assertEqual(action(r, 0)["errno"], 1, "EPERM from SCMP_ACT_ERRNO")
        self.assertEqual(action(r, 1)["errno"], 0)

    def test_seccomp_errno_ret(self):
        profile = {"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
        r = self.run_probe(["syscall", "mkdir", "/tmp/denied"],
                           configure=lambda c: c["linux"].update(seccomp=profile))
        self.assertEqual(action(r, 0)["errno"], 38, "errnoRet ENOSYS")

    def test_no_seccomp_by_default(self):
        r = self.run_probe(["syscall", "mkdir", "/tmp/ok"])
        self.assertEqual(r["seccomp"], 0)
        self.assertEqual(action(r, 0)["errno"], 0)


class Cgroups(RuntimeCase):
    def test_resources_from_outside(self):
        cid_path = "/" + ht.unique_id("cg")

        def cfg(c):
            c["linux"]["cgroupsPath"] = cid_path
            c["linux"]["resources"].update(memory={"limit": 64 << 20}, pids={"limit": 100},
                                           cpu={"shares": 512})
        c = self.container(["/probe"], cfg)
        c.create()
        _, mem = ht.read_cgroup_file(c.pid, "memory", "memory.limit_in_bytes", "memory.max")
        _, pids = ht.read_cgroup_file(c.pid, "pids", "pids.max", "pids.max")
        path, cpu = ht.read_cgroup_file(c.pid, "cpu", "cpu.shares", "cpu.weight")
        self.assertEqual(int(mem), 64 << 20)
        self.assertEqual(pids, "100")
        if path.endswith("cpu.shares"):
            self.assertEqual(cpu, "512")
        else:
            self.assertEqual(cpu, str(1 + ((512 - 2) * 9999) // 262142))
        self.assertTrue(ht.cgroup_dir(c.pid, "memory").endswith(cid_path))
        dirs = ht.marked_cgroup_dirs(cid_path[1:])
        self.assertNotEqual(dirs, [])
        c.start()
        self.assertEqual(c.wait(), 0)
        # Inside, without a cgroup namespace, /proc/self/cgroup shows the path.
        report = c.probe_report()
        self.assertTrue(any(l.endswith(cid_path) for l in report["cgroup"]), report["cgroup"])
        self.assertEqual(self.rt("delete", c.id).rc, 0)
        self.assertEqual([d for d in dirs if os.path.exists(d)], [], "cgroup dirs after delete")

    def test_update_resources(self):
        c = self.container(SLEEP, lambda cfg: cfg["linux"]["resources"].update(
            memory={"limit": 64 << 20}, pids={"limit": 100}))
        c.create()
        c.start()
        res = self.write_json("resources.json", {"memory": {"limit": 128 << 20}, "pids": {"limit": 200}})
        r = self.rt("update", "--resources", res, c.id)
        self.assertEqual(r.rc, 0, r)
        _, mem = ht.read_cgroup_file(c.pid, "memory", "memory.limit_in_bytes", "memory.max")
        _, pids = ht.read_cgroup_file(c.pid, "pids", "pids.max", "pids.max")
        self.assertEqual(int(mem), 128 << 20)
        self.assertEqual(pids, "200")

    def test_pids_limit_enforced(self):
        c = self.container(["/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo spawned"],
                           lambda cfg: cfg["linux"]["resources"].update(pids={"limit": 4}))
        c.create()
        c.start()
        c.wait()
        self.assertIn("can't fork", c.stderr() + c.stdout())


class Hooks(RuntimeCase):
    def hook(self, name, outdir):
        # Runs on the host; records the state it got on stdin and its order.
        return {"path": "/bin/sh",
                "args": ["sh", "-c", "cat > %s/%s.json; echo %s >> %s/order" % (outdir, name, name, outdir)]}

    def test_hooks_receive_state(self):
        outdir = self.tmp.join("hooks")
        os.makedirs(outdir)

        def cfg(c):
            c["hooks"] = {k: [self.hook(k, outdir)] for k in ("prestart", "createRuntime", "poststart", "poststop")}
            c["annotations"] = {"org.hutch.hook": "1"}
        c = self.container(["/bin/true"], cfg)
        c.create()
        created = set(os.listdir(outdir))
        self.assertIn("prestart.json", created)
        self.assertIn("createRuntime.json", created)
        if not quirk("poststart_on_create"):
            self.assertNotIn("poststart.json", created)
        c.start()
        self.assertEqual(c.wait(), 0)
        self.assertIn("poststart.json", os.listdir(outdir))
        self.assertEqual(self.rt("delete", c.id).rc, 0)
        with open(os.path.join(outdir, "order")) as f:
            order = f.read().split()
        self.assertEqual(set(order[:2]), {"prestart", "createRuntime"})
        if not quirk("poststart_on_create"):
            self.assertEqual(order[2:], ["poststart", "poststop"])
        for name in ("prestart", "createRuntime", "poststart", "poststop"):
            with open(os.path.join(outdir, name + ".json")) as f:
                st = json.load(f)
            self.assertEqual(st["id"], c.id, name)
            self.assertEqual(os.path.realpath(st["bundle"]), os.path.realpath(c.bundle.path), name)
            self.assertIn("ociVersion", st, name)
            self.assertIn("status", st, name)
            self.assertEqual(st.get("annotations", {}).get("org.hutch.hook"), "1", name)
            if name in ("prestart", "createRuntime"):
                self.assertEqual(st["pid"], c.pid, name)

    def test_failing_prestart_hook_fails_create(self):
        c = self.container(["/bin/true"], lambda cfg: cfg.update(
            hooks={"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 1"]}]}))
        cgroups_before = ht.marked_cgroup_dirs(c.id)
        r = c.create(check=False)
        self.assert_fails(r, "create with a failing prestart hook")
        c.pid = None
        ht.reap_all()
        st = c.state()
        self.assertTrue(st is None or st["status"] == "stopped", st)
        self.rt("delete", "--force", c.id)
        self.assertEqual(ht.marked_cgroup_dirs(c.id), cgroups_before)


class BadInput(RuntimeCase):
    def check_message(self, r, needle):
        """Only hutchrt's wording is ours to check; other runtimes: exit code."""
        if KIND == "hutchrt":
            self.assertIn(needle, r.err + r.out + self.rt.log_text(), r)

    def check_log_is_json(self):
        for line in self.rt.log_text().splitlines():
            if line.strip():
                json.loads(line)

    def test_unknown_namespace_type(self):
        c = self.container(["/bin/true"], lambda cfg: cfg["linux"]["namespaces"].append({"type": "bogus"}))
        idx = len(c.bundle.config["linux"]["namespaces"]) - 1
        r = c.create(check=False)
        c.pid = None
        self.assert_fails(r, "unknown namespace type")
        self.check_message(r, "linux.namespaces[%d].type" % idx)
        self.check_log_is_json()
        self.assertIsNone(c.state())

    def test_missing_rootfs(self):
        c = self.container(["/bin/true"], lambda cfg: cfg["root"].update(path="no-such-rootfs"))
        r = c.create(check=False)
        c.pid = None
        self.assert_fails(r, "missing rootfs")
        self.check_message(r, "no-such-rootfs")
        self.assertIsNone(c.state())
        self.assertEqual(ht.marked_cgroup_dirs(c.id), [])

    def test_malformed_config(self):
        c = self.container(["/bin/true"])
        with open(c.bundle.config_path, "w") as f:
            f.write('{"ociVersion": "1.0.2", "process": ')
        r = c.create(check=False)
        c.pid = None
        self.assert_fails(r, "truncated config.json")
        self.check_message(r, "config.json")

    def test_duplicate_id(self):
        c = self.container(SLEEP)
        c.create()
        r = self.rt("create", "--bundle", c.bundle.path, "--pid-file", self.tmp.join("pid2"), c.id,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.assert_fails(r, "create with a duplicate id")
        self.check_message(r, c.id)
        self.assertEqual(c.state()["status"], "created", "first container unharmed")
        self.assertEqual(c.state()["pid"], c.pid)

    def test_unknown_container(self):
        cid = ht.unique_id("nosuch")
        for args in (["state", cid], ["kill", cid, "KILL"], ["delete", cid], ["start", cid],
                     ["pause", cid], ["ps", cid]):
            r = self.rt(*args)
            self.assert_fails(r, " ".join(args[:1]) + " of an unknown container")
            self.check_message(r, cid)

    def test_bad_signal_name(self):
        c = self.container(SLEEP)
        c.create()
        c.start()
        r = self.rt("kill", c.id, "NOTASIGNAL")
        if not quirk("accepts_bad_signal_name"):
            self.assert_fails(r, "kill with a bad signal")
        self.check_message(r, "NOTASIGNAL")
        self.assertEqual(c.state()["status"], "running")

    def test_start_twice(self):
        c = self.container(SLEEP)
        c.create()
        c.start()
        self.assert_fails(c.start(check=False), "second start")
        self.assertEqual(c.state()["status"], "running")

    def test_delete_running_without_force(self):
        c = self.container(SLEEP)
        c.create()
        c.start()
        self.assert_fails(self.rt("delete", c.id), "delete of a running container")
        self.assertEqual(c.state()["status"], "running")


def setup():
    return ht.hugetlb_v1_if_needed(KIND)


if __name__ == "__main__":
    ht.require_root()
    RUNTIME = ht.runtime_from_env()
    KIND = ht.runtime_kind(RUNTIME)
    ht.become_subreaper()
    print("runtime under test: %s (%s)" % (RUNTIME, KIND), flush=True)
    ht.main(setup)
