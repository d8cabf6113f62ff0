#!/usr/bin/python3
"""hutch's local image commands against real peers: podman saves an image
in both archive formats, hutch loads them (plain and gzip-compressed), and
the image ID, layers and names agree with podman's inspect; tag, rmi and
garbage collection leave the store as they found it; hostile or broken
archives are refused with a clear error and leave nothing behind.

  HUTCH=build/hutch /usr/bin/python3 tests/e2e/images_test.py
"""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402

HUTCH = None
MAKE_IMAGE = os.path.join(ht.REPO, "tests/fixtures/make-image.sh")


class ImagesCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("podman"):
            raise unittest.SkipTest("podman is not installed")
        cls.tmp = ht.TempDir("img")
        cls.pod = ["podman", "--root", cls.tmp.join("proot"), "--runroot", cls.tmp.join("prun"),
                   "--tmpdir", cls.tmp.join("ptmp"), "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
        rootfs = cls.tmp.join("rootfs.tar")
        subprocess.run([MAKE_IMAGE, "rootfs-tar", rootfs], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(cls.pod + ["import", "--change", "CMD=/bin/sh", "--change", "ENV=A=1", rootfs,
                                  "localhost/hutch-test-img:v1"], check=True, stdout=subprocess.DEVNULL)
        info = json.loads(subprocess.check_output(cls.pod + ["image", "inspect", "localhost/hutch-test-img:v1"]))[0]
        # podman prints the bare hex; docker (and hutch) "sha256:<hex>".
        cls.podman_id = "sha256:" + info["Id"].split(":")[-1]
        cls.podman_layers = info["RootFS"]["Layers"]
        cls.podman_cmd = info["Config"]["Cmd"]
        cls.docker_tar = cls.tmp.join("docker.tar")
        cls.oci_tar = cls.tmp.join("oci.tar")
        subprocess.run(cls.pod + ["save", "-o", cls.docker_tar, "localhost/hutch-test-img:v1"], check=True,
                       stderr=subprocess.DEVNULL)
        subprocess.run(cls.pod + ["save", "--format", "oci-archive", "-o", cls.oci_tar, "localhost/hutch-test-img:v1"],
                       check=True, stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(cls.pod + ["rmi", "-af"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.tmp.close()

    def setUp(self):
        self.root = self.tmp.join("hroot-" + self.id().split(".")[-1])

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def hutch(self, *args, input=None):
        return subprocess.run([HUTCH, "--root", self.root] + list(args), input=input, capture_output=True, text=True)

    def inspect(self, name):
        r = self.hutch("image", "inspect", name)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)[0]

    def store_files(self):
        out = []
        for d, _, files in os.walk(self.root):
            out += [os.path.join(d, f) for f in files if f not in ("images.json", "images.lock", "gc.lock")]
        return out

    def test_load_docker_archive_matches_podman(self):
        r = self.hutch("load", "-i", self.docker_tar)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Loaded image: localhost/hutch-test-img:v1", r.stdout)
        info = self.inspect("localhost/hutch-test-img:v1")
        self.assertEqual(info["Id"], self.podman_id)
        self.assertEqual(info["RootFS"]["Layers"], self.podman_layers)
        self.assertEqual(info["Config"]["Cmd"], self.podman_cmd)
        self.assertIn("A=1", info["Config"]["Env"])

    def test_load_oci_archive_from_stdin_gzip(self):
        with open(self.oci_tar, "rb") as f:
            data = gzip.compress(f.read())
        r = subprocess.run([HUTCH, "--root", self.root, "load"], input=data, capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.inspect("localhost/hutch-test-img:v1")["Id"], self.podman_id)

    def test_store_holds_no_more_than_podman_and_save_rebuilds_layers(self):
        # Issue 3: like podman's store, ours keeps each layer unpacked plus a
        # small tar-split, and no layer blob once the split can rebuild it.
        def disk_bytes(paths):
            seen, total = set(), 0
            for p in paths:
                for d, _, files in os.walk(p):
                    for f in files:
                        st = os.lstat(os.path.join(d, f))
                        if (st.st_dev, st.st_ino) not in seen:
                            seen.add((st.st_dev, st.st_ino))
                            total += st.st_blocks * 512
            return total
        self.assertEqual(self.hutch("load", "-q", "-i", self.oci_tar).returncode, 0)
        info = self.inspect("localhost/hutch-test-img:v1")
        blobs = sorted(os.listdir(os.path.join(self.root, "blobs", "sha256")))
        r = subprocess.run(["skopeo", "inspect", "--raw", "oci-archive:" + self.oci_tar], capture_output=True,
                           text=True) if shutil.which("skopeo") else None
        for layer_dir in os.listdir(os.path.join(self.root, "layers")):
            if not layer_dir.startswith("."):
                self.assertTrue(os.path.exists(os.path.join(self.root, "layers", layer_dir, "tar-split")), layer_dir)
        if r is not None and r.returncode == 0:
            for layer in json.loads(r.stdout)["layers"]:
                self.assertNotIn(layer["digest"].split(":")[1], blobs, "a layer blob was kept")
        self.assertIn(info["Id"].split(":")[1], blobs)
        podman_store = [self.tmp.join("proot", d) for d in ("overlay", "overlay-layers", "overlay-images")]
        ours = disk_bytes([os.path.join(self.root, d) for d in ("blobs", "layers")])
        self.assertLessEqual(ours, disk_bytes(podman_store))
        # The rebuilt layers are the tars the image names (diff_ids).
        out = self.tmp.join("rebuilt-%s.tar" % self.id().split(".")[-1])
        r = self.hutch("save", "-o", out, "localhost/hutch-test-img:v1")
        self.assertEqual(r.returncode, 0, r.stderr)
        with tarfile.open(out) as t:
            manifest = json.load(t.extractfile("manifest.json"))
            for name in manifest[0]["Layers"]:
                digest = hashlib.sha256(t.extractfile(name).read()).hexdigest()
                self.assertEqual("sha256:" + digest, "sha256:" + name.split("/")[-1].split(".")[0])
                self.assertIn("sha256:" + digest, self.podman_layers)

    def test_both_formats_are_one_image(self):
        self.assertEqual(self.hutch("load", "-q", "-i", self.docker_tar).returncode, 0)
        self.assertEqual(self.hutch("load", "-q", "-i", self.oci_tar).returncode, 0)
        out = self.hutch("images", "-q").stdout.split()
        self.assertEqual(out, [self.podman_id[7:19]])

    def test_tag_rmi_and_gc(self):
        self.assertEqual(self.hutch("load", "-q", "-i", self.docker_tar).returncode, 0)
        self.assertEqual(self.hutch("tag", "localhost/hutch-test-img:v1", "other:1").returncode, 0)
        self.assertEqual(self.inspect("other:1")["Id"], self.podman_id)
        r = self.hutch("rmi", self.podman_id[7:19])
        self.assertNotEqual(r.returncode, 0, "an image with two names needs -f when removed by ID")
        self.assertIn("must be forced", r.stderr)
        r = self.hutch("rmi", "other:1")
        self.assertEqual(r.stdout.strip(), "Untagged: other:1")
        r = self.hutch("rmi", "localhost/hutch-test-img:v1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Deleted: " + self.podman_id, r.stdout)
        self.assertEqual(self.store_files(), [], "garbage collection left files")
        r = self.hutch("rmi", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("No such image: nope", r.stderr)

    def test_save_is_loaded_by_podman_and_read_by_skopeo(self):
        self.assertEqual(self.hutch("load", "-q", "-i", self.oci_tar).returncode, 0)
        for fmt, transport in (("docker-archive", "docker-archive"), ("oci-archive", "oci-archive")):
            out = self.tmp.join("saved-%s-%s.tar" % (fmt, self.id().split(".")[-1]))
            r = self.hutch("save", "--format", fmt, "-o", out, "localhost/hutch-test-img:v1")
            self.assertEqual(r.returncode, 0, r.stderr)
            pod = ["podman", "--root", self.tmp.join("p2root"), "--runroot", self.tmp.join("p2run"),
                   "--tmpdir", self.tmp.join("p2tmp"), "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
            try:
                r = subprocess.run(pod + ["load", "-i", out], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                info = json.loads(subprocess.check_output(pod + ["image", "inspect", "localhost/hutch-test-img:v1"]))[0]
                self.assertEqual("sha256:" + info["Id"].split(":")[-1], self.podman_id, fmt)
            finally:
                subprocess.run(pod + ["rmi", "-af"], capture_output=True)
            if shutil.which("skopeo"):
                r = subprocess.run(["skopeo", "inspect", "%s:%s" % (transport, out)], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout)["Layers"][-1].split(":")[0], "sha256")

    def test_corrupt_blob_is_refused_and_nothing_is_kept(self):
        bad = self.tmp.join("bad-oci.tar")
        with tarfile.open(self.oci_tar) as src, tarfile.open(bad, "w") as dst:
            for m in src.getmembers():
                data = src.extractfile(m).read() if m.isfile() else None
                if m.isfile() and m.name.startswith("blobs/") and m.size > 100000:
                    data = bytes([data[0] ^ 1]) + data[1:]  # one flipped byte in the layer
                dst.addfile(m, __import__("io").BytesIO(data) if data is not None else None)
        r = self.hutch("load", "-i", bad)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("digest", r.stderr)
        self.assertEqual(self.hutch("images", "-q").stdout.strip(), "")
        self.assertEqual([f for f in self.store_files() if "/layers/" in f], [])

    def test_import_with_changes(self):
        rootfs = self.tmp.join("rootfs.tar")
        r = self.hutch("import", "-c", 'CMD ["/bin/echo", "hi"]', "-c", "ENV A=1", "-c", "WORKDIR /srv",
                       "-c", "EXPOSE 8080/udp", "-m", "from a tarball", rootfs, "imported:1")
        self.assertEqual(r.returncode, 0, r.stderr)
        info = self.inspect("imported:1")
        self.assertEqual(info["Id"], r.stdout.strip())
        self.assertEqual(info["Config"]["Cmd"], ["/bin/echo", "hi"])
        self.assertEqual(info["Config"]["Env"], ["A=1"])
        self.assertEqual(info["Config"]["WorkingDir"], "/srv")
        self.assertIn("8080/udp", info["Config"]["ExposedPorts"])
        # Same rootfs as podman's import: the same single layer.
        self.assertEqual(info["RootFS"]["Layers"], self.podman_layers)
        r = self.hutch("import", "-c", "RUN make", rootfs)
        self.assertEqual(r.returncode, 1)
        self.assertIn("only CMD", r.stderr)

    def test_history_and_prune(self):
        rootfs = self.tmp.join("rootfs.tar")
        self.assertEqual(self.hutch("import", "-m", "first", rootfs, "hist:1").returncode, 0)
        r = self.hutch("image", "history", "hist:1")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 2, r.stdout)
        self.assertIn("hutch import", lines[1])
        self.assertIn("first", lines[1])
        # A dangling image goes with a plain prune; named ones only with -a.
        self.assertEqual(self.hutch("import", rootfs).returncode, 0)
        r = self.hutch("image", "prune", "-f")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("deleted: sha256:"), 1, r.stdout)
        self.assertEqual(len(self.hutch("images", "-q").stdout.split()), 1)
        r = self.hutch("image", "prune", "-a", "-f")
        self.assertIn("untagged: hist:1", r.stdout)
        self.assertEqual(self.store_files(), [], "prune -a left files")

    def test_list_filters_formats_and_df(self):
        self.assertEqual(self.hutch("load", "-q", "-i", self.docker_tar).returncode, 0)
        rootfs = self.tmp.join("rootfs.tar")
        self.assertEqual(self.hutch("import", "-c", "LABEL tier=base", rootfs, "labelled:1").returncode, 0)
        self.assertEqual(self.hutch("import", rootfs).returncode, 0)
        rows = [json.loads(line) for line in self.hutch("images", "--format", "json").stdout.splitlines()]
        self.assertEqual(sorted(r["Repository"] + ":" + r["Tag"] for r in rows),
                         ["<none>:<none>", "labelled:1", "localhost/hutch-test-img:v1"])
        self.assertEqual(sorted(rows[0]), ["Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                                           "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"])

        def names(*args):
            r = self.hutch("images", "--format", "{{.Repository}}:{{.Tag}}", *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            return sorted(r.stdout.split())
        self.assertEqual(names("--filter", "dangling=true"), ["<none>:<none>"])
        self.assertEqual(names("--filter", "reference=localhost/*"), ["localhost/hutch-test-img:v1"])
        self.assertEqual(names("--filter", "label=tier=base"), ["labelled:1"])
        self.assertEqual(names("labelled"), ["labelled:1"])
        r = self.hutch("images", "--format", "table {{.ID}}\t{{.Tag}}", "--filter", "reference=labelled")
        self.assertEqual(r.stdout.splitlines()[0].split(), ["IMAGE", "ID", "TAG"])
        r = self.hutch("images", "--filter", "bogus=1")
        self.assertEqual((r.returncode, r.stderr.strip()), (1, "Error: invalid filter 'bogus'"))
        r = self.hutch("images", "--format", "{{.Nope}}")
        self.assertEqual(r.returncode, 1)
        self.assertIn("template parsing error", r.stderr)
        # inspect --format reads docker's inspect object, as podman's does.
        r = self.hutch("image", "inspect", "--format", "{{.Id}} {{json .Config.Cmd}} {{index .RepoTags 0}}",
                       "localhost/hutch-test-img:v1")
        self.assertEqual(r.stdout.split(), [self.podman_id, json.dumps(self.podman_cmd, separators=(",", ":")),
                                            "localhost/hutch-test-img:v1"])
        # system df: three images, one layer shared by all of them.
        r = self.hutch("system", "df", "--format", "{{json .}}")
        self.assertEqual(r.returncode, 0, r.stderr)
        images = json.loads(r.stdout.splitlines()[0])
        self.assertEqual((images["Type"], images["TotalCount"], images["Active"]), ("Images", "3", "0"))
        self.assertEqual(images["Size"], rows[0]["VirtualSize"])
        r = self.hutch("system", "df", "-v")
        self.assertIn("Images space usage:", r.stdout)

    def test_not_an_archive(self):
        r = self.hutch("load", input="hello")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Error:", r.stderr)


if __name__ == "__main__":
    ht.require_root()
    HUTCH = os.environ.get("HUTCH") or os.path.join(ht.REPO, "build", "hutch")
    ht.main()
