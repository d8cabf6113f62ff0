#!/usr/bin/python3
"""A pull killed at any instant leaves a store that the next pull completes
(issue 3, acceptance 5).

A two-layer image from tests/fixtures/make-big-image.sh (busybox plus real
files from /usr, HUTCH_PULLKILL_MB of them, default 80) is pushed by skopeo
to a local registry (TLS, no auth). One cold `hutch pull` is timed; then,
HUTCH_PULLKILL_ITERATIONS times (default 20), into a fresh --root: start
`hutch pull`, SIGKILL it after a random delay in [0, that time), look at what
it left, pull again to completion, and check:
  - `hutch image inspect` works: Id is the config digest, RootFS.Layers the
    diff_ids
  - no file in ROOT/ingest, no ROOT/layers/.tmp-*
  - every dir in ROOT/layers is a complete layer (has layer.json), there is
    one per chain ID, and its diff holds the layer's files and bytes
And after the kill alone: either no image or a whole one (never a name
pointing at missing layers). The seed is printed; HUTCH_PULLKILL_SEED
replays a run.

  HUTCH=build/hutch /usr/bin/python3 tests/e2e/pullkill_test.py
"""

import gzip
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402
import registry as reg_lib  # noqa: E402

HUTCH = None
MAKE_BIG = os.path.join(ht.REPO, "tests/fixtures/make-big-image.sh")
SIZE_MB = int(os.environ.get("HUTCH_PULLKILL_MB", "80"))
ITERATIONS = int(os.environ.get("HUTCH_PULLKILL_ITERATIONS", "20"))


def chain_ids(diff_ids):
    """image-spec's chain IDs: chain(L0) = diff(L0), chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln))."""
    out = []
    for d in diff_ids:
        out.append(d if not out else "sha256:" + hashlib.sha256((out[-1] + " " + d).encode()).hexdigest())
    return out


def layer_summary(tar_bytes_stream):
    """(regular files, their total size, dirs, symlinks) of a layer tar."""
    files = size = dirs = links = 0
    with tarfile.open(fileobj=tar_bytes_stream, mode="r|") as t:
        for m in t:
            if m.name in (".", "./", ""):
                continue  # the layer's root: the diff dir itself
            if m.isfile():
                files += 1
                size += m.size
            elif m.isdir():
                dirs += 1
            elif m.issym():
                links += 1
    return files, size, dirs, links


def remove_store(path):
    """Removes a hutch --root (refusing, like ht.TempDir, if anything is
    mounted below it: the leak check reports that)."""
    if ht.mount_points_under(path):
        raise AssertionError("mounts left under %s: %s" % (path, ht.mount_points_under(path)))
    shutil.rmtree(path, ignore_errors=True)


def dir_summary(path):
    """The same counts for an unpacked layer dir (the root dir itself not counted)."""
    files = size = dirs = links = 0
    for d, dirnames, filenames in os.walk(path):
        for n in dirnames:
            if os.path.islink(os.path.join(d, n)):
                links += 1
            else:
                dirs += 1
        for n in filenames:
            p = os.path.join(d, n)
            if os.path.islink(p):
                links += 1
            else:
                files += 1
                size += os.lstat(p).st_size
    return files, size, dirs, links


class PullKillTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(HUTCH, os.X_OK):
            raise unittest.SkipTest("%s not built" % HUTCH)
        cls.tmp = ht.TempDir("pullkill")
        cls.reg = None
        try:
            archive = cls.tmp.join("big.tar")
            t0 = time.monotonic()
            subprocess.run([MAKE_BIG, archive, str(SIZE_MB)], check=True)
            ht.log("made a %d MB image in %.1fs" % (SIZE_MB, time.monotonic() - t0))
            cls.reg = reg_lib.Registry(tls=True, auth=False, tag="reg-pullkill").start()
            cls.reg.skopeo_copy("oci-archive:" + archive, cls.reg.ref("big:latest"))
            cls.ref = cls.reg.host + "/big:latest"
            config = json.loads(cls.reg.skopeo_inspect("big:latest", raw=True, config=True))
            cls.diff_ids = config["rootfs"]["diff_ids"]
            cls.chains = chain_ids(cls.diff_ids)
            cls.config_digest = json.loads(cls.reg.skopeo_inspect("big:latest", raw=True))["config"]["digest"]
            manifest = json.loads(cls.reg.skopeo_inspect("big:latest", raw=True))
            # What each layer must unpack to, for the content check.
            cls.expected = {}
            with tarfile.open(archive) as a:
                for chain, layer in zip(cls.chains, manifest["layers"]):
                    blob = a.extractfile("blobs/sha256/" + layer["digest"].split(":")[1])
                    cls.expected[chain] = layer_summary(gzip.GzipFile(fileobj=blob))
            os.unlink(archive)
            cls.conf = reg_lib.registries_conf(cls.tmp.join("registries.json"))
            cls.config_dir = cls.tmp.join("config")
            os.makedirs(cls.config_dir)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.reg is not None:
            cls.reg.close()
        cls.tmp.close()

    def argv(self, root, *args):
        return [HUTCH, "--root", root, "--config", self.config_dir] + list(args)

    @property
    def env(self):
        return dict(os.environ, HUTCH_CERTS_DIR=self.reg.certs_dir, HUTCH_REGISTRIES_CONF=self.conf)

    def pull(self, root):
        r = subprocess.run(self.argv(root, "pull", self.ref), capture_output=True, text=True, env=self.env,
                           timeout=600)
        self.assertEqual(r.returncode, 0, "hutch pull: %s" % r.stderr)
        return r

    def inspect(self, root):
        return subprocess.run(self.argv(root, "image", "inspect", self.ref), capture_output=True, text=True,
                              env=self.env)

    def store_state(self, root):
        """What is in the store: files in ingest, .tmp-* layer dirs, complete
        layers (with layer.json), incomplete ones."""
        ingest = []
        for d, _, files in os.walk(os.path.join(root, "ingest")):
            ingest += [os.path.join(d, f) for f in files]
        layers_dir = os.path.join(root, "layers")
        names = sorted(os.listdir(layers_dir)) if os.path.isdir(layers_dir) else []
        tmp = [n for n in names if n.startswith(".tmp-")]
        complete = [n for n in names if not n.startswith(".tmp-")
                    and os.path.exists(os.path.join(layers_dir, n, "layer.json"))]
        incomplete = [n for n in names if not n.startswith(".tmp-") and n not in complete]
        return {"ingest": ingest, "tmp": tmp, "complete": complete, "incomplete": incomplete}

    def image_problems(self, root):
        """What is wrong with the image as `hutch image inspect` shows it."""
        r = self.inspect(root)
        if r.returncode != 0:
            return ["image inspect failed: %s" % r.stderr.strip()]
        info = json.loads(r.stdout)[0]
        out = []
        if info.get("Id") != self.config_digest:
            out.append("Id %s, want %s" % (info.get("Id"), self.config_digest))
        if info.get("RootFS", {}).get("Layers") != self.diff_ids:
            out.append("RootFS.Layers %s, want %s" % (info.get("RootFS", {}).get("Layers"), self.diff_ids))
        return out

    def store_problems(self, root):
        """What is left over or missing in the store after a completed pull."""
        s = self.store_state(root)
        out = []
        if s["ingest"]:
            out.append("files left in ingest: %s" % s["ingest"])
        if s["tmp"]:
            out.append("layers/.tmp-* left: %s" % s["tmp"])
        if s["incomplete"]:
            out.append("layer dirs without layer.json: %s" % s["incomplete"])
        want = sorted(c.split(":")[1] for c in self.chains)
        if sorted(s["complete"]) != want:
            out.append("complete layers %s, want the chain IDs %s" % (sorted(s["complete"]), want))
        for chain in self.chains:
            diff = os.path.join(root, "layers", chain.split(":")[1], "diff")
            if os.path.isdir(diff) and dir_summary(diff) != self.expected[chain]:
                out.append("layer %s holds (files, bytes, dirs, symlinks) %s, its tar %s"
                           % (chain, dir_summary(diff), self.expected[chain]))
        return out

    def test_pull_killed_at_random_then_completed(self):
        cold = self.tmp.join("cold")
        t0 = time.monotonic()
        self.pull(cold)
        full = time.monotonic() - t0
        self.assertEqual(self.image_problems(cold) + self.store_problems(cold), [], "cold pull")
        remove_store(cold)
        seed = int(os.environ.get("HUTCH_PULLKILL_SEED") or int.from_bytes(os.urandom(4), "little"))
        print("pullkill: %d MB image, full pull %.2fs, %d iterations, seed %d (HUTCH_PULLKILL_SEED=%d replays)"
              % (SIZE_MB, full, ITERATIONS, seed, seed), flush=True)
        rng = random.Random(seed)
        killed_running = 0
        problems = []  # every iteration runs; all that went wrong is reported at the end
        for i in range(ITERATIONS):
            root = self.tmp.join("root-%02d" % i)
            delay = rng.uniform(0, full)
            p = subprocess.Popen(self.argv(root, "pull", self.ref), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env,
                                 start_new_session=True)
            time.sleep(delay)
            try:
                # The whole group: a helper the pull may have started dies too.
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            code = p.wait()
            if code == -signal.SIGKILL:
                killed_running += 1
            after_kill = self.store_state(root)
            has_image = self.inspect(root).returncode == 0
            found = []
            if has_image:
                # Named means whole: the image and every one of its layers.
                found += ["after the kill: " + x for x in self.image_problems(root)]
                if sorted(after_kill["complete"]) != sorted(c.split(":")[1] for c in self.chains):
                    found.append("after the kill: image named but complete layers are %s" % after_kill["complete"])
            print("  %2d: kill at %.2fs (%s): image %s, %d complete layers, %d .tmp dirs, %d ingest files"
                  % (i, delay, "killed" if code == -signal.SIGKILL else "had exited %d" % code,
                     "present" if has_image else "absent", len(after_kill["complete"]), len(after_kill["tmp"]),
                     len(after_kill["ingest"])), flush=True)
            r = subprocess.run(self.argv(root, "pull", self.ref), capture_output=True, text=True, env=self.env,
                               timeout=600)
            if r.returncode != 0:
                found.append("pull after the kill failed: %s" % r.stderr.strip())
            else:
                found += self.image_problems(root) + self.store_problems(root)
                # A second pull of a complete image changes nothing.
                r = subprocess.run(self.argv(root, "pull", self.ref), capture_output=True, text=True,
                                   env=self.env, timeout=600)
                if r.returncode != 0:
                    found.append("second pull failed: %s" % r.stderr.strip())
                found += ["after a second pull: " + x for x in self.store_problems(root)]
            for x in found:
                print("      %s" % x, flush=True)
            problems += ["iteration %d: %s" % (i, x) for x in found]
            remove_store(root)
        print("pullkill: %d of %d kills hit a running pull; %d problems" % (killed_running, ITERATIONS,
                                                                           len(problems)), flush=True)
        if problems:
            self.fail("%d problems (seed %d), the first ones:\n  %s" % (len(problems), seed, "\n  ".join(problems[:8])))
        self.assertGreater(killed_running, ITERATIONS // 4,
                           "too few kills landed while the pull ran; the image is too small to test this")


if __name__ == "__main__":
    ht.require_root()
    missing = reg_lib.missing_tools("docker-registry", "skopeo", "htpasswd", "openssl")
    if missing:
        ht.skip_all("not installed: %s (scripts/install-deps.sh)" % ", ".join(missing))
    HUTCH = os.environ.get("HUTCH") or os.path.join(ht.REPO, "build", "hutch")
    ht.main()
