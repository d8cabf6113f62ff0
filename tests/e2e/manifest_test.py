#!/usr/bin/python3
"""hutch manifest (issue 3: push "pushes indexes as well as manifests"):
manifest lists made of local images, pushed to Debian's docker-registry
(TLS from a test CA, htpasswd auth) and read back by skopeo, podman and
hutch.

  HUTCH=build/hutch /usr/bin/python3 tests/e2e/manifest_test.py [-k NAME]

The contract driven here:
  manifest create [--amend] LIST IMAGE...    a local list of local images,
                                             one per platform (from their
                                             configs)
  manifest annotate LIST IMAGE --os/--arch/--variant
  manifest inspect LIST                      the OCI index, pretty
  manifest rm LIST...
  manifest push [--purge] [--compression-format gzip|zstd] LIST [DEST]
                                             images by digest, then the
                                             index under the tag; the
                                             index digest printed last
Exit codes as docker: 0, 1 for a failed operation, 125 for bad usage.

The images come from tests/fixtures/make-multiarch.sh (busybox for amd64
and arm64), pushed with skopeo --all and pulled into hutch one platform at a
time. A list's images stay in the store (GC) while the list exists.
"""

import io
import json
import os
import subprocess
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402
import registry as reg_lib  # noqa: E402

HUTCH = None
MAKE_MULTIARCH = os.path.join(ht.REPO, "tests/fixtures/make-multiarch.sh")
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd"

TMP = None
REG = None        # TLS + auth
MULTI = None      # make-multiarch.sh's layout
PLATFORMS = None  # {"linux/amd64": (manifest digest, config digest), ...}
SOURCE = None     # the layout as skopeo pushed it: "HOST/src/multi:latest"


def layout_platforms(layout):
    """{"linux/amd64": (manifest digest, config digest), ...} of the layout."""
    def blob(d):
        with open(os.path.join(layout, "blobs", "sha256", d.split(":")[1]), "rb") as f:
            return f.read()
    with open(os.path.join(layout, "index.json")) as f:
        top = json.load(f)
    out = {}
    for m in json.loads(blob(top["manifests"][0]["digest"]))["manifests"]:
        p = m["platform"]
        out["%s/%s" % (p["os"], p["architecture"])] = (m["digest"], json.loads(blob(m["digest"]))["config"]["digest"])
    return out


def setUpModule():
    global TMP, REG, MULTI, PLATFORMS, SOURCE
    TMP = ht.TempDir("mantest")
    try:
        layout = TMP.join("multi")
        r = subprocess.run([MAKE_MULTIARCH, layout], capture_output=True, text=True)
        if r.returncode == ht.SKIP_CODE:
            raise unittest.SkipTest(r.stderr.strip())
        if r.returncode != 0:
            raise RuntimeError("make-multiarch.sh failed: %s" % r.stderr)
        MULTI = layout
        PLATFORMS = layout_platforms(layout)
        REG = reg_lib.Registry(tls=True, auth=True, tag="reg-manifest").start()
        REG.skopeo_copy("oci:" + MULTI, REG.ref("src/multi:latest"), all=True)
        SOURCE = REG.host + "/src/multi:latest"
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if REG is not None:
        REG.close()
    if TMP is not None:
        TMP.close()


class Hutch:
    """hutch with its own --root and --config (REG's credentials),
    HUTCH_CERTS_DIR for REG's CA and an empty HUTCH_REGISTRIES_CONF."""

    def __init__(self, directory):
        self.root = os.path.join(directory, "root")
        self.config_dir = os.path.join(directory, "config")
        reg_lib.docker_config(self.config_dir, {REG.host: (REG.user, REG.password)})
        conf = reg_lib.registries_conf(os.path.join(directory, "registries.json"))
        self.env = dict(os.environ, HUTCH_CERTS_DIR=REG.certs_dir, HUTCH_REGISTRIES_CONF=conf)

    def __call__(self, *args, input=None):
        return subprocess.run([HUTCH, "--root", self.root, "--config", self.config_dir] + list(args),
                              input=input, capture_output=True, text=True, env=self.env, timeout=300)

    def ok(self, *args):
        r = self(*args)
        if r.returncode != 0:
            raise AssertionError("hutch %s: exit %d\nstdout=%s\nstderr=%s" % (" ".join(args), r.returncode,
                                                                              r.stdout, r.stderr))
        return r

    def inspect(self, ref):
        return json.loads(self.ok("image", "inspect", ref).stdout)[0]

    def manifest_inspect(self, name):
        return json.loads(self.ok("manifest", "inspect", name).stdout)

    def pull_platforms(self):
        """The layout's two images as local:amd64 and local:arm64."""
        for plat, tag in (("linux/amd64", "local:amd64"), ("linux/arm64", "local:arm64")):
            self.ok("pull", "-q", "--platform", plat, SOURCE)
            self.ok("tag", SOURCE, tag)
        self.ok("rmi", SOURCE)

    def blobs(self):
        top = os.path.join(self.root, "blobs", "sha256")
        return {"sha256:" + n for n in os.listdir(top)} if os.path.isdir(top) else set()


def platforms_of(index):
    """{"linux/arm64/v8": digest, ...} of an index document."""
    out = {}
    for m in index["manifests"]:
        p = m["platform"]
        out["/".join([p["os"], p["architecture"]] + ([p["variant"]] if p.get("variant") else []))] = m["digest"]
    return out


class ManifestCase(unittest.TestCase):
    def setUp(self):
        if not os.access(HUTCH, os.X_OK):
            self.skipTest("%s not built" % HUTCH)
        self.tmp = ht.TempDir("manhutch")
        self.n = 0

    def tearDown(self):
        self.tmp.close()

    def hutch(self):
        self.n += 1
        return Hutch(self.tmp.join("h%d" % self.n))

    def check_pushed_index(self, repo, tag, printed_digest):
        """The index at repo:tag: an OCI index with linux/amd64 and
        linux/arm64/v8 whose digest hutch printed; returns it."""
        raw, digest, mt = REG.manifest(repo, tag)
        self.assertEqual(digest, printed_digest)
        self.assertEqual(mt, OCI_INDEX)
        skopeo_raw = REG.skopeo_inspect("%s:%s" % (repo, tag), raw=True)
        self.assertEqual(reg_lib.sha256_digest(skopeo_raw), printed_digest)
        index = json.loads(skopeo_raw)
        self.assertEqual(index["schemaVersion"], 2)
        self.assertEqual(index["mediaType"], OCI_INDEX)
        self.assertEqual(sorted(platforms_of(index)), ["linux/amd64", "linux/arm64/v8"])
        for m in index["manifests"]:
            body, d, _ = REG.manifest(repo, m["digest"])
            self.assertEqual(d, m["digest"])
            self.assertEqual(len(body), m["size"])
        return index


class CreatePushPullTest(ManifestCase):
    def test_create_inspect_push_then_pull_each_platform(self):
        h = self.hutch()
        h.pull_platforms()
        name = REG.host + "/lists/busybox:v1"
        r = h.ok("manifest", "create", name, "local:amd64", "local:arm64")
        self.assertEqual(r.stdout.strip(), "Created manifest list " + name)
        local = h.manifest_inspect(name)
        self.assertEqual(local["mediaType"], OCI_INDEX)
        self.assertEqual(platforms_of(local), {"linux/amd64": PLATFORMS["linux/amd64"][0],
                                               "linux/arm64/v8": PLATFORMS["linux/arm64"][0]})
        # docker's indentation: three spaces.
        self.assertIn('\n   "schemaVersion": 2', h.ok("manifest", "inspect", name).stdout)

        r = h.ok("manifest", "push", name)
        digest = r.stdout.strip().splitlines()[-1]
        self.assertRegex(digest, r"^sha256:[0-9a-f]{64}$")
        self.assertIn("The push refers to repository [%s/lists/busybox]" % REG.host, r.stdout)
        self.assertIn("Pushed ref %s/lists/busybox@%s" % (REG.host, PLATFORMS["linux/arm64"][0]), r.stdout)
        index = self.check_pushed_index("lists/busybox", "v1", digest)
        # The layers were mounted as they are: the manifests are unchanged.
        self.assertEqual(platforms_of(index), platforms_of(local))
        # The list stays (no --purge) and pushes again to the same digest.
        self.assertEqual(h.ok("manifest", "push", "-q", name).stdout.strip(), digest)

        for plat, want in (("linux/arm64", PLATFORMS["linux/arm64"]), ("linux/amd64", PLATFORMS["linux/amd64"])):
            fresh = self.hutch()
            fresh.ok("pull", "--platform", plat, name)
            info = fresh.inspect(name)
            self.assertEqual("%s/%s" % (info["Os"], info["Architecture"]), plat)
            self.assertEqual(info["Id"], want[1])

        with REG.podman() as pod:
            pod.login()
            pod.pull(name)
            self.assertEqual("sha256:" + pod.inspect(name)["Id"], PLATFORMS["linux/amd64"][1])
            pod.run("rmi", name)
            pod.run("pull", "-q", "--arch", "arm64", *pod.registry_flags(), name)
            info = pod.inspect(name)
            self.assertEqual(info["Architecture"], "arm64")
            self.assertEqual("sha256:" + info["Id"], PLATFORMS["linux/arm64"][1])

    def test_push_to_another_destination_with_zstd_references_the_new_manifests(self):
        h = self.hutch()
        h.pull_platforms()
        h.ok("manifest", "create", "lists/local:1", "local:amd64", "local:arm64")
        local = h.manifest_inspect("lists/local:1")
        dest = REG.host + "/lists/zstd:v2"
        r = h.ok("manifest", "push", "--compression-format", "zstd", "lists/local:1", dest)
        digest = r.stdout.strip().splitlines()[-1]
        index = self.check_pushed_index("lists/zstd", "v2", digest)
        # Every layer was recompressed: new manifests, and the index names them.
        for plat, d in platforms_of(index).items():
            self.assertNotEqual(d, platforms_of(local)[plat])
            m = json.loads(REG.manifest("lists/zstd", d)[0])
            self.assertEqual([l["mediaType"] for l in m["layers"]], [ZSTD_LAYER])
        # The local list is unchanged, and the image IDs are the same.
        self.assertEqual(h.manifest_inspect("lists/local:1"), local)
        fresh = self.hutch()
        fresh.ok("pull", "--platform", "linux/arm64", dest)
        self.assertEqual(fresh.inspect(dest)["Id"], PLATFORMS["linux/arm64"][1])
        with REG.podman() as pod:
            pod.login()
            pod.pull(dest)
            self.assertEqual("sha256:" + pod.inspect(dest)["Id"], PLATFORMS["linux/amd64"][1])


class AnnotateAmendTest(ManifestCase):
    def test_annotate_and_amend(self):
        h = self.hutch()
        h.pull_platforms()
        name = REG.host + "/lists/annotated:v1"
        h.ok("manifest", "create", name, "local:amd64")
        h.ok("manifest", "annotate", name, "local:amd64", "--os", "linux", "--arch", "arm", "--variant", "v7")
        self.assertEqual(platforms_of(h.manifest_inspect(name)), {"linux/arm/v7": PLATFORMS["linux/amd64"][0]})
        h.ok("manifest", "annotate", name, "local:amd64", "--arch", "amd64", "--variant", "")
        # Without --amend an existing list is refused.
        r = h("manifest", "create", name, "local:arm64")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("refusing to amend an existing manifest list with no --amend flag", r.stderr)
        h.ok("manifest", "create", "--amend", name, "local:arm64")
        self.assertEqual(platforms_of(h.manifest_inspect(name)), {"linux/amd64": PLATFORMS["linux/amd64"][0],
                                                                  "linux/arm64/v8": PLATFORMS["linux/arm64"][0]})
        # Annotating arm64 as amd64 would give two entries one platform.
        r = h("manifest", "annotate", name, "local:arm64", "--arch", "amd64", "--variant", "")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("are both for linux/amd64", r.stderr)
        digest = h.ok("manifest", "push", "-q", name).stdout.strip()
        self.check_pushed_index("lists/annotated", "v1", digest)


class StoreTest(ManifestCase):
    def test_listed_images_survive_rmi_until_the_list_goes(self):
        h = self.hutch()
        h.pull_platforms()
        name = REG.host + "/lists/kept:v1"
        h.ok("manifest", "create", name, "local:amd64", "local:arm64")
        arm_manifest, arm_config = PLATFORMS["linux/arm64"]
        h.ok("rmi", "local:arm64")
        self.assertNotEqual(h("image", "inspect", "local:arm64").returncode, 0)
        self.assertLessEqual({arm_manifest, arm_config}, h.blobs())
        h.ok("image", "prune", "-a", "-f")
        self.assertLessEqual({arm_manifest, arm_config}, h.blobs())
        # The list still pushes the removed image, and --purge drops the list.
        r = h.ok("manifest", "push", "--purge", name)
        self.check_pushed_index("lists/kept", "v1", r.stdout.strip().splitlines()[-1])
        r = h("manifest", "inspect", name)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("No such manifest: " + name, r.stderr)
        self.assertFalse({arm_manifest, arm_config} & h.blobs())
        fresh = self.hutch()
        fresh.ok("pull", "--platform", "linux/arm64", name)
        self.assertEqual(fresh.inspect(name)["Id"], arm_config)

    def test_rm(self):
        h = self.hutch()
        h.pull_platforms()
        h.ok("manifest", "create", "a/one:1", "local:amd64")
        h.ok("manifest", "create", "a/two:1", "local:arm64")
        r = h("manifest", "rm", "a/one:1", "a/nope:1", "a/two:1")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("No such manifest: docker.io/a/nope:1", r.stderr)
        for n in ("a/one:1", "a/two:1"):
            self.assertEqual(h("manifest", "inspect", n).returncode, 1)
        # The images themselves stay.
        h.ok("image", "inspect", "local:amd64")
        h.ok("image", "inspect", "local:arm64")


def tarball(path, files):
    with tarfile.open(path, "w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


class BadInputTest(ManifestCase):
    def test_usage_and_errors(self):
        h = self.hutch()
        h.pull_platforms()
        for sub in ("create", "annotate", "inspect", "rm", "push"):
            r = h("manifest", sub, "--help")
            self.assertEqual(r.returncode, 0, r)
            self.assertIn("Usage:  hutch manifest " + sub, r.stdout)
        r = h("manifest", "--help")
        self.assertEqual(r.returncode, 0, r)
        for sub in ("annotate", "create", "inspect", "push", "rm"):
            self.assertIn("  " + sub, r.stdout)
        self.assertIn("manifest", h("--help").stdout)

        def usage(*args, text):
            r = h("manifest", *args)
            self.assertEqual(r.returncode, 125, r)
            self.assertIn(text, r.stderr)
        usage("create", "x/list:1", text='"hutch manifest create" requires at least 2 arguments.')
        usage("annotate", "x/list:1", text='"hutch manifest annotate" requires exactly 2 arguments.')
        usage("inspect", text='"hutch manifest inspect" requires exactly 1 argument.')
        usage("rm", text='"hutch manifest rm" requires at least 1 argument.')
        usage("push", "a", "b", "c", text='"hutch manifest push" requires at most 2 arguments.')
        usage("create", "--bogus", "x/list:1", "local:amd64", text="See 'hutch manifest create --help'")
        usage("push", "--compression-format", "lz4", "x/list:1", text="invalid --compression-format")
        usage("push", "x/list:1", "x/list@sha256:" + "0" * 64, text="push a tag, not a digest reference")
        r = h("manifest", "frobnicate")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("'manifest frobnicate' is not a hutch command", r.stderr)

        def failed(*args, text):
            r = h("manifest", *args)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(text, r.stderr)
        failed("create", "x/list:1", "local:amd64", "no-such-image:1", text="No such image: no-such-image:1")
        failed("inspect", "x/list:1", text="No such manifest: docker.io/x/list:1")
        failed("push", "x/list:1", text="No such manifest: docker.io/x/list:1")
        failed("annotate", "x/list:1", "local:amd64", "--arch", "arm64", text="No such manifest: docker.io/x/list:1")
        failed("create", "x/bad name", "local:amd64", text="manifest list name")
        # Two images for one platform.
        h.ok("import", tarball(self.tmp.join("t.tar"), {"hello": b"hi\n"}), "imported:1")
        failed("create", "x/list:1", "local:amd64", "imported:1",
               text="images local:amd64 and imported:1 are both for linux/amd64")
        failed("create", "x/list:1", "local:amd64", "local:amd64", text="are both for linux/amd64")
        # Nothing was made by the failures.
        failed("inspect", "x/list:1", text="No such manifest")
        h.ok("manifest", "create", "x/list:1", "local:amd64")
        failed("annotate", "x/list:1", "local:arm64", "--arch", "s390x",
               text="manifest for image local:arm64 does not exist in docker.io/x/list:1")
        failed("annotate", "x/list:1", "local:amd64", "--arch", "arm 64", text='invalid architecture "arm 64"')
        h.ok("manifest", "rm", "x/list:1")


if __name__ == "__main__":
    ht.require_root()
    missing = reg_lib.missing_tools("docker-registry", "skopeo", "podman", "htpasswd", "openssl")
    if missing:
        ht.skip_all("not installed: %s (scripts/install-deps.sh)" % ", ".join(missing))
    HUTCH = os.environ.get("HUTCH") or os.path.join(ht.REPO, "build", "hutch")
    ht.main()
