"""Shared helpers for hutch's end-to-end suites (Python 3 standard library only).

What is here: unique ids and temp dirs carrying the leak marker, skips that
exit with ctest's skip code, the crun hybrid-cgroup workaround, an OCI runtime
driver shaped like containerd's shim (global --root/--log/--log-format,
pid files, the caller as child subreaper so it can reap the container and
read its exit status), bundles built by tests/fixtures/make-bundle.sh, the
static probe, cgroup file lookup from outside, and a unittest main that
prints "N passed, N failed, N skipped" and exits 0, 1 or 77.

Not thread-safe: suites run their cases one after another in one process.
"""

import contextlib
import ctypes
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP_CODE = 77
# Everything a test creates (container ids, temp dirs, cgroups, ctr
# namespaces) carries this prefix, so tests/e2e/leaks.py can find leftovers.
MARKER = "hutch-test"

_counter = 0


def unique_id(tag=""):
    """A container id / name unique on this machine: hutch-test-PID-N[-tag]."""
    global _counter
    _counter += 1
    base = "%s-%d-%d" % (MARKER, os.getpid(), _counter)
    return base + ("-" + tag if tag else "")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def skip_all(reason):
    """Skips the whole suite: prints the reason, exits with ctest's skip code."""
    print("SKIP: %s" % reason, flush=True)
    sys.exit(SKIP_CODE)


def require_root():
    if os.geteuid() != 0:
        skip_all("needs root (real mounts, namespaces, cgroups)")


def find_binary(name_or_path):
    """Resolves a runtime given as a path or a name on PATH (plus /usr/sbin)."""
    if os.sep in name_or_path:
        return os.path.abspath(name_or_path) if os.access(name_or_path, os.X_OK) else None
    path = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"
    return shutil.which(name_or_path, path=path)


def runtime_from_env(default=None):
    """The runtime under test from $RUNTIME; skips the suite when it is missing."""
    want = os.environ.get("RUNTIME", default)
    if not want:
        skip_all("RUNTIME is not set (a path to hutchrt, or crun, or runc)")
    found = find_binary(want)
    if not found:
        skip_all("runtime %r not found (not built yet?)" % want)
    return found


def runtime_kind(path):
    """'crun', 'runc' or 'hutchrt' from the binary's name, for known quirks."""
    base = os.path.basename(path)
    for kind in ("hutchrt", "crun", "runc"):
        if base.startswith(kind):
            return kind
    return base


# --- child subreaper -------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Orphaned container processes get reparented to us, as to containerd's
    shim, so waitpid() gives their exit status."""
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def wait_pid(pid, timeout=10.0):
    """Waits for a child (or reparented orphan) to exit; returns its wait
    status decoded as an exit code (128+N for a signal), or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if got == pid:
            if os.WIFSIGNALED(status):
                return 128 + os.WTERMSIG(status)
            return os.WEXITSTATUS(status)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


def reap_all():
    """Reaps every exited child; call only when no subprocess.Popen is live."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


# --- temp dirs -------------------------------------------------------------


def mount_points_under(path):
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            target = line.split()[4].encode().decode("unicode_escape")
            if target == path or target.startswith(path + "/"):
                found.append(target)
    return found


class TempDir:
    """A marked temp dir, removed at close() unless something is still
    mounted beneath it (then it is left for the leak check to report, since
    deleting through a leaked bind mount would delete host files)."""

    def __init__(self, tag="tmp"):
        base = os.environ.get("HUTCH_TEST_TMPDIR", tempfile.gettempdir())
        self.path = tempfile.mkdtemp(prefix="%s-%d-%s-" % (MARKER, os.getpid(), tag), dir=base)
        os.chmod(self.path, 0o755)

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def close(self):
        if not os.path.exists(self.path):
            return []
        mounts = mount_points_under(self.path)
        if mounts:
            log("not removing %s: still mounted: %s" % (self.path, mounts))
            return mounts
        shutil.rmtree(self.path, ignore_errors=True)
        return []


# --- crun's hybrid cgroup workaround -----------------------------------------


HUGETLB_SCRIPT = os.path.join(REPO, "tests/testlib/crun-hugetlb.sh")


@contextlib.contextmanager
def hugetlb_v1_if_needed(kind):
    """Debian's crun 1.8.1 refuses a hybrid layout whose cgroup2 mount holds a
    controller; tests/testlib/crun-hugetlb.sh binds hugetlb to a v1 hierarchy
    for the duration and undoes it. Only for crun: hutchrt and runc run
    without it."""
    mounted = False
    if kind == "crun":
        out = subprocess.run([HUGETLB_SCRIPT, "setup"], check=True, stdout=subprocess.PIPE, text=True).stdout
        mounted = out.strip() == "mounted"
        if mounted:
            log("setup: mounted the hugetlb v1 hierarchy for crun")
    try:
        yield
    finally:
        if mounted:
            subprocess.run([HUGETLB_SCRIPT, "teardown"], check=True)
            log("teardown: unmounted the hugetlb v1 hierarchy")


# --- probe and bundles -------------------------------------------------------

_probe_cache = None


def probe_path():
    """The static probe: $PROBE, else build/tests/probe/probe, else compiled
    once into a temp dir (so suites also run outside ctest)."""
    global _probe_cache
    if _probe_cache:
        return _probe_cache
    for cand in (os.environ.get("PROBE"), os.path.join(REPO, "build/tests/probe/probe")):
        if cand and os.access(cand, os.X_OK):
            _probe_cache = cand
            return cand
    import atexit
    tmp = TempDir("probe")
    atexit.register(tmp.close)
    out = tmp.join("probe")
    log("building the probe into %s (set PROBE or build the hutch_probe target)" % out)
    subprocess.run(["gcc", "-static", "-O2", "-o", out, os.path.join(REPO, "tests/probe/probe.c")],
                   check=True)
    _probe_cache = out
    return out


MAKE_BUNDLE = os.path.join(REPO, "tests/fixtures/make-bundle.sh")


class Bundle:
    """An OCI bundle from make-bundle.sh with the probe at /probe; edit
    .config then save()."""

    def __init__(self, directory, probe=True):
        self.path = directory
        cmd = [MAKE_BUNDLE, directory]
        if probe:
            cmd += ["--probe", probe_path()]
        subprocess.run(cmd, check=True)
        with open(self.config_path) as f:
            self.config = json.load(f)

    @property
    def config_path(self):
        return os.path.join(self.path, "config.json")

    @property
    def rootfs(self):
        return os.path.join(self.path, "rootfs")

    def save(self):
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=1)


# --- the runtime driver ------------------------------------------------------


class Result:
    def __init__(self, cmd, rc, out, err):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err

    def __repr__(self):
        return "rc=%s cmd=%s\nstdout=%s\nstderr=%s" % (self.rc, " ".join(self.cmd), self.out, self.err)


class Runtime:
    """Drives an OCI runtime the way containerd's runc shim does: every call
    gets --root, --log and --log-format json; create gets --bundle and
    --pid-file; the caller is the container's subreaper."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.kind = runtime_kind(binary)
        self.root = os.path.join(workdir, "state")
        self.log_path = os.path.join(workdir, "runtime.log")
        os.makedirs(self.root, exist_ok=True)

    def argv(self, *args):
        return [self.binary, "--root", self.root, "--log", self.log_path, "--log-format", "json"] + list(args)

    def __call__(self, *args, input=None, timeout=30, stdin=None, stdout=None, stderr=None):
        """Runs one command; stdout/stderr are captured unless files are given
        (a container inherits create's stdio, so create must get files, or
        reading a pipe would wait for the container to exit)."""
        cmd = self.argv(*args)
        p = subprocess.run(cmd, input=input, stdin=stdin,
                           stdout=stdout if stdout is not None else subprocess.PIPE,
                           stderr=stderr if stderr is not None else subprocess.PIPE,
                           timeout=timeout)
        out = p.stdout.decode(errors="replace") if isinstance(p.stdout, bytes) else ""
        err = p.stderr.decode(errors="replace") if isinstance(p.stderr, bytes) else ""
        return Result(cmd, p.returncode, out, err)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def state(self, cid):
        r = self("state", cid)
        if r.rc != 0:
            return None
        return json.loads(r.out)


class Container:
    """One container's files: stdout/stderr capture, pid file."""

    def __init__(self, rt, cid, bundle, workdir):
        self.rt, self.id, self.bundle = rt, cid, bundle
        self.dir = os.path.join(workdir, cid)
        os.makedirs(self.dir, exist_ok=True)
        self.stdout_path = os.path.join(self.dir, "stdout")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.pid_file = os.path.join(self.dir, "pid")
        self.pid = None
        self.exit_code = None

    def create(self, extra=(), check=True, console_socket=None):
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            args = ["create", "--bundle", self.bundle.path, "--pid-file", self.pid_file]
            if console_socket:
                args += ["--console-socket", console_socket]
            r = self.rt(*args, *extra, self.id, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        r.err = self.stderr()
        if check and r.rc != 0:
            raise AssertionError("create failed: %r\nlog: %s" % (r, self.rt.log_text()))
        if r.rc == 0:
            with open(self.pid_file) as f:
                self.pid = int(f.read().strip())
        return r

    def start(self, check=True):
        r = self.rt("start", self.id)
        if check and r.rc != 0:
            raise AssertionError("start failed: %r\nlog: %s" % (r, self.rt.log_text()))
        return r

    def wait(self, timeout=10.0):
        """Waits for init to exit (we are its subreaper); returns its exit code."""
        if self.exit_code is None:
            self.exit_code = wait_pid(self.pid, timeout)
        return self.exit_code

    def stdout(self):
        with open(self.stdout_path, errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def probe_report(self):
        out = self.stdout()
        try:
            return json.loads(out)
        except ValueError:
            raise AssertionError("probe printed no JSON: stdout=%r stderr=%r" % (out, self.stderr()))

    def state(self):
        return self.rt.state(self.id)


class ContainerCase(unittest.TestCase):
    """A case driving the runtime under test ($RUNTIME): a marked temp dir
    holding its --root, its log and one bundle per container; teardown
    force-deletes what is left and fails on cgroups or mounts left behind."""

    TAG = "ctr"

    def setUp(self):
        self.tmp = TempDir(self.TAG)
        self.rt = Runtime(runtime_from_env(), self.tmp.path)
        self.containers = []

    def tearDown(self):
        ids = [c.id for c in self.containers]
        for c in self.containers:
            if self.rt.state(c.id) is not None:
                self.rt("delete", "--force", c.id)
            if c.pid:
                c.wait(timeout=5)
        reap_all()
        left = [d for cid in ids for d in marked_cgroup_dirs(cid)]
        mounts = self.tmp.close()
        self.assertEqual(left, [], "cgroups left behind")
        self.assertEqual(mounts, [], "mounts left behind")

    def container(self, args=None, configure=None, tag=""):
        """A container with a fresh bundle; configure(config) edits config.json."""
        cid = unique_id(tag or self.TAG)
        bundle = Bundle(self.tmp.join("bundles", cid))
        if args is not None:
            bundle.config["process"]["args"] = args
        if configure:
            configure(bundle.config)
        bundle.save()
        c = Container(self.rt, cid, bundle, self.tmp.path)
        self.containers.append(c)
        return c

    def run_probe(self, probe_args=(), configure=None, expect_exit=0):
        """create, start, wait, read the probe's report, delete."""
        c = self.container(["/probe"] + list(probe_args), configure)
        c.create()
        c.start()
        code = c.wait()
        self.assertEqual(code, expect_exit, "probe exit; stderr=%s" % c.stderr())
        report = c.probe_report()
        self.assertEqual(self.rt("delete", c.id).rc, 0)
        return report


# --- cgroups from outside ------------------------------------------------------


def cgroup_mounts():
    """{controller: mount point} for v1 hierarchies, plus '' for cgroup2."""
    result = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            dash = fields.index("-")
            fstype, target = fields[dash + 1], fields[4]
            if fstype == "cgroup2":
                result.setdefault("", target)
            elif fstype == "cgroup":
                for opt in fields[dash + 3].split(","):
                    if opt in ("rw", "ro") or opt.startswith("release_agent") or opt in ("clone_children", "noprefix", "xattr"):
                        continue
                    result.setdefault(opt, target)
    return result


def cgroup_v2_only():
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def cgroup_dir(pid, controller):
    """Host path of pid's cgroup for a controller (v1), or its v2 cgroup
    when the controller lives on the unified hierarchy."""
    mounts = cgroup_mounts()
    with open("/proc/%d/cgroup" % pid) as f:
        lines = [l.rstrip("\n").split(":", 2) for l in f]
    for _, ctrls, path in lines:
        if controller in ctrls.split(",") and controller in mounts:
            return mounts[controller] + path
    for hid, ctrls, path in lines:
        if hid == "0" and "" in mounts:
            return mounts[""] + path
    return None


def read_cgroup_file(pid, controller, v1_file, v2_file=None):
    """Reads a resource file of pid's cgroup: v1_file when the controller has
    a v1 hierarchy, else v2_file in its unified cgroup. Returns (path, text)."""
    d = cgroup_dir(pid, controller)
    if d is None:
        return None, None
    path = os.path.join(d, v1_file if controller in cgroup_mounts() else v2_file)
    with open(path) as f:
        return path, f.read().strip()


def marked_cgroup_dirs(name):
    """Every cgroup dir (any hierarchy, any depth) whose name contains name."""
    found = []
    for top in set(cgroup_mounts().values()):
        for dirpath, dirnames, _ in os.walk(top):
            for d in dirnames:
                if name in d:
                    found.append(os.path.join(dirpath, d))
    return found


def remove_cgroup_tree(path):
    """rmdir a cgroup and its children, deepest first; returns errors."""
    errors = []
    for dirpath, dirnames, _ in os.walk(path, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError as e:
            errors.append("%s: %s" % (dirpath, e))
    return errors


def run_in_pty(argv, script, timeout=30):
    """Runs argv on a new pty as its controlling terminal; each (wait_for,
    send) step writes send once wait_for has appeared in the output.
    Returns (exit code, everything read)."""
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    out = b""
    deadline = time.monotonic() + timeout
    steps = list(script)
    try:
        while time.monotonic() < deadline:
            while steps and steps[0][0].encode() in out:
                os.write(fd, steps.pop(0)[1].encode())
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the pty
                    break
                if not chunk:
                    break
                out += chunk
            else:
                got, status = os.waitpid(pid, os.WNOHANG)
                if got == pid:
                    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


# --- pty and console socket -------------------------------------------------------


class ConsoleSocket:
    """A unix socket that receives the pty master over SCM_RIGHTS, as
    containerd's shim does for --console-socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(10)

    def receive_master(self):
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(10)
            _, fds, _, _ = socket.recv_fds(conn, 4096, 1)
        if not fds:
            raise AssertionError("console socket: no fd received")
        return fds[0]

    def close(self):
        self.sock.close()


def read_fd_until(fd, needle, timeout=10.0):
    """Reads from fd (a pty master) until needle appears or EOF/timeout."""
    import select
    data = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in data and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError as e:
            if e.errno == errno.EIO:  # slave side closed
                break
            raise
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


# --- capabilities ---------------------------------------------------------------

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]


def cap_mask(names):
    mask = 0
    for n in names:
        mask |= 1 << CAPS.index(n)
    return mask


def host_bounding_set():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    return 0


# --- the runner -----------------------------------------------------------------


def main(setup=None):
    """unittest main: runs the module's cases, prints the closing line
    'N passed, N failed, N skipped' and exits 0, 1, or 77 when every case
    skipped. setup() may return a context manager wrapping the whole run."""
    argv = sys.argv[1:]
    loader = unittest.TestLoader()
    # -k PATTERN selects cases, as with unittest's own main.
    if "-k" in argv:
        loader.testNamePatterns = ["*%s*" % argv[argv.index("-k") + 1]]
    suite = loader.loadTestsFromModule(sys.modules["__main__"])
    runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout)
    ctx = setup() if setup else contextlib.nullcontext()
    with ctx:
        res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(getattr(res, "unexpectedSuccesses", []))
    skipped = len(res.skipped)
    passed = res.testsRun - failed - skipped
    for test, reason in res.skipped:
        print("skipped %s: %s" % (test.id().split(".", 1)[-1], reason))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped), flush=True)
    if failed:
        sys.exit(1)
    if passed == 0:
        sys.exit(SKIP_CODE)
    sys.exit(0)
