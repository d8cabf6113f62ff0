#!/usr/bin/python3
"""hutch against a real registry (issue 3): login, push, pull, logout and
search against Debian's docker-registry with TLS from a CA made at test time
and htpasswd auth, cross-checked with skopeo and podman.

  HUTCH=build/hutch /usr/bin/python3 tests/e2e/registry_test.py [-k NAME]

The contract driven here is docker's command line:
  hutch --root DIR --config CFGDIR CMD ...   CFGDIR/config.json: docker's
                                             auth file
  HUTCH_CERTS_DIR=DIR          certs.d layout, DIR/HOST:PORT/ca.crt
  HUTCH_REGISTRIES_CONF=FILE   {"insecure": [...], "mirrors": {...}}
  login -u U -p P | --password-stdin HOST, logout HOST, pull [-q]
  [--platform P] REF, push [-q] [--compression-format gzip|zstd] REF,
  search HOST/TERM, image inspect (docker's JSON).

Cases named test_fixture_* use no hutch at all: they prove the registry, the
fixtures, skopeo and podman work here, so a failing hutch case is hutch's.
The hutch cases skip when $HUTCH (default build/hutch) does not exist.
"""

import base64
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402
import registry as reg_lib  # noqa: E402

HUTCH = None
MAKE_IMAGE = os.path.join(ht.REPO, "tests/fixtures/make-image.sh")
MAKE_MULTIARCH = os.path.join(ht.REPO, "tests/fixtures/make-multiarch.sh")
ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd"
AUTH_ERROR = re.compile(r"unauthori[sz]ed|authentication required|no basic auth credentials|denied|"
                        r"incorrect username or password", re.I)

# Set up once for the module (setUpModule): a TLS + htpasswd registry, a
# plain http one without auth, and the fixture images.
TMP = None
REG = None      # TLS + auth
PLAIN = None    # http, no auth
BUSYBOX = None  # make-image.sh's oci-archive
DERIVED = None  # BUSYBOX plus one layer
MULTI = None    # make-multiarch.sh's layout dir, or None with MULTI_SKIP the reason
MULTI_SKIP = ""


def setUpModule():
    global TMP, REG, PLAIN, BUSYBOX, DERIVED, MULTI, MULTI_SKIP
    TMP = ht.TempDir("regtest")
    try:
        BUSYBOX = TMP.join("busybox.tar")
        subprocess.run([MAKE_IMAGE, "oci-archive", BUSYBOX, "docker.io/library/hutch-busybox:latest"], check=True)
        DERIVED = TMP.join("derived.tar")
        add_layer(BUSYBOX, DERIVED, "docker.io/library/hutch-derived:latest",
                  {"etc/derived.txt": b"a second layer on the busybox base\n" * 200})
        layout = TMP.join("multi")
        r = subprocess.run([MAKE_MULTIARCH, layout], capture_output=True, text=True)
        if r.returncode == 0:
            MULTI = layout
        elif r.returncode == ht.SKIP_CODE:
            MULTI_SKIP = r.stderr.strip()
        else:
            raise RuntimeError("make-multiarch.sh failed: %s" % r.stderr)
        REG = reg_lib.Registry(tls=True, auth=True, tag="reg-tls").start()
        PLAIN = reg_lib.Registry(tls=False, auth=False, tag="reg-plain").start()
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    for r in (REG, PLAIN):
        if r is not None:
            r.close()
    if TMP is not None:
        TMP.close()


# --- image helpers ---------------------------------------------------------------


def read_oci_archive(path):
    """{"index": dict, "blobs": {digest: bytes}} of an OCI archive."""
    blobs, index = {}, None
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if not m.isfile():
                continue
            data = t.extractfile(m).read()
            if m.name.lstrip("./") == "index.json":
                index = json.loads(data)
            elif m.name.lstrip("./").startswith("blobs/sha256/"):
                blobs["sha256:" + m.name.rsplit("/", 1)[1]] = data
    return {"index": index, "blobs": blobs}


def archive_image(path):
    """(manifest digest, manifest, config digest, config) of a one-image OCI archive."""
    a = read_oci_archive(path)
    mdigest = a["index"]["manifests"][0]["digest"]
    manifest = json.loads(a["blobs"][mdigest])
    cdigest = manifest["config"]["digest"]
    return mdigest, manifest, cdigest, json.loads(a["blobs"][cdigest])


def add_layer(base, out, name, files):
    """Writes to out an OCI archive of base's image plus one gzip layer
    holding files ({path: bytes}); base's layers are kept byte for byte.
    With base None, an image of that one layer."""
    if base is None:
        blobs = {}
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json"}, "layers": []}
        config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers", "diff_ids": []}, "history": []}
    else:
        a = read_oci_archive(base)
        blobs = dict(a["blobs"])
        manifest = json.loads(blobs[a["index"]["manifests"][0]["digest"]])
        config = json.loads(blobs[manifest["config"]["digest"]])
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for p, data in sorted(files.items()):
            info = tarfile.TarInfo(p)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            t.addfile(info, io.BytesIO(data))
    layer_tar = raw.getvalue()
    layer_gz = gzip.compress(layer_tar, mtime=0)
    add = lambda data: blobs.setdefault("sha256:" + hashlib.sha256(data).hexdigest(), data) and None  # noqa: E731
    add(layer_gz)
    config["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(layer_tar).hexdigest())
    config["history"].append({"created_by": "registry_test.py add_layer"})
    cfg = json.dumps(config, separators=(",", ":")).encode()
    add(cfg)
    manifest["config"] = dict(manifest["config"], digest=reg_lib.sha256_digest(cfg), size=len(cfg))
    manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                               "digest": reg_lib.sha256_digest(layer_gz), "size": len(layer_gz)})
    man = json.dumps(manifest, separators=(",", ":")).encode()
    add(man)
    tag = name.rsplit(":", 1)[1]
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": reg_lib.sha256_digest(man),
        "size": len(man), "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag},
        "platform": {"architecture": config["architecture"], "os": "linux"}}]}
    with tarfile.open(out, "w") as t:
        def put(n, data):
            info = tarfile.TarInfo(n)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        put("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        put("index.json", json.dumps(index).encode())
        for d, data in sorted(blobs.items()):
            put("blobs/sha256/" + d.split(":")[1], data)


def unique_image(out):
    """A one-layer image no registry has seen: busybox and a random file.
    (skopeo and podman reuse a blob their blob-info cache knows for the same
    content, whatever compression was asked for, so zstd pushes need new
    content.)"""
    with open("/bin/busybox", "rb") as f:
        busybox = f.read()
    add_layer(None, out, "docker.io/library/hutch-unique:latest",
              {"bin/busybox": busybox, "etc/unique": os.urandom(16).hex().encode()})
    return out


def layout_platforms(layout):
    """{"linux/amd64": (manifest digest, config digest), ...} and the index
    digest of make-multiarch.sh's layout."""
    def blob(d):
        with open(os.path.join(layout, "blobs", "sha256", d.split(":")[1]), "rb") as f:
            return f.read()
    with open(os.path.join(layout, "index.json")) as f:
        top = json.load(f)
    index_digest = top["manifests"][0]["digest"]
    out = {}
    for m in json.loads(blob(index_digest))["manifests"]:
        p = m["platform"]
        config = json.loads(blob(m["digest"]))["config"]["digest"]
        out["%s/%s" % (p["os"], p["architecture"])] = (m["digest"], config)
    return out, index_digest


# --- hutch ------------------------------------------------------------------------


class Hutch:
    """hutch with its own --root and --config dir; HUTCH_CERTS_DIR is the TLS
    registry's certs dir and HUTCH_REGISTRIES_CONF a file of its own (empty
    unless a case writes it), so the host's /etc/hutch is never read."""

    def __init__(self, directory):
        self.dir = directory
        self.root = os.path.join(directory, "root")
        self.config_dir = os.path.join(directory, "config")
        os.makedirs(self.config_dir, exist_ok=True)
        self.registries_conf = reg_lib.registries_conf(os.path.join(directory, "registries.json"))
        self.env = dict(os.environ, HUTCH_CERTS_DIR=REG.certs_dir, HUTCH_REGISTRIES_CONF=self.registries_conf)

    def __call__(self, *args, input=None, timeout=300):
        return subprocess.run([HUTCH, "--root", self.root, "--config", self.config_dir] + list(args),
                              input=input, capture_output=True, text=True, env=self.env, timeout=timeout)

    def ok(self, *args, input=None):
        r = self(*args, input=input)
        if r.returncode != 0:
            raise AssertionError("hutch %s: exit %d\nstdout=%s\nstderr=%s" % (" ".join(args), r.returncode,
                                                                              r.stdout, r.stderr))
        return r

    def inspect(self, ref):
        return json.loads(self.ok("image", "inspect", ref).stdout)[0]

    def auth_config(self):
        """The credentials of REG in config.json, as hutch login would write them."""
        reg_lib.docker_config(self.config_dir, {REG.host: (REG.user, REG.password)})

    def config_json(self):
        try:
            with open(os.path.join(self.config_dir, "config.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def load(self, archive, name):
        """hutch load -i archive; returns name after checking it was loaded."""
        r = self.ok("load", "-i", archive)
        self.ok("image", "inspect", name)
        return r

    def pull_ref(self, ref, *flags):
        """hutch pull; returns the last stdout line (docker prints the
        normalised reference last)."""
        r = self.ok("pull", *flags, ref)
        lines = r.stdout.strip().splitlines()
        return lines[-1].strip() if lines else ""


# --- cases without hutch: the ground the hutch cases stand on ----------------------


class FixtureTest(unittest.TestCase):
    """The registry, the fixtures, skopeo and podman, with no hutch."""

    def test_fixture_registry_auth_and_tls(self):
        self.assertEqual(REG.request("GET", "/v2/", auth=False)[0], 401)
        self.assertEqual(REG.request("GET", "/v2/")[0], 200)
        good = REG.auth_header
        REG.password, saved = "wrong", REG.password
        try:
            self.assertEqual(REG.request("GET", "/v2/")[0], 401)
        finally:
            REG.password = saved
        self.assertEqual(REG.auth_header, good)
        self.assertEqual(PLAIN.request("GET", "/v2/")[0], 200)
        # The CA is what makes TLS work: without it the handshake fails.
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", REG.url("/v2/")], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", REG.ca_path,
                            REG.url("/v2/")], capture_output=True, text=True)
        self.assertEqual(r.stdout, "401", r.stderr)
        for host in (REG.host, "localhost:%d" % REG.port):
            self.assertTrue(os.path.exists(os.path.join(REG.certs_dir, host, "ca.crt")))

    def test_fixture_skopeo_roundtrip(self):
        mdigest, manifest, cdigest, config = archive_image(BUSYBOX)
        REG.skopeo_copy("oci-archive:" + BUSYBOX, REG.ref("fixture/skopeo:v1"))
        info = REG.skopeo_inspect("fixture/skopeo:v1")
        self.assertEqual(info["Digest"], mdigest)
        self.assertEqual(info["Layers"], [l["digest"] for l in manifest["layers"]])
        self.assertEqual(info["Architecture"], config["architecture"])
        raw = REG.skopeo_inspect("fixture/skopeo:v1", raw=True)
        self.assertEqual(reg_lib.sha256_digest(raw), mdigest)
        cfg = REG.skopeo_inspect("fixture/skopeo:v1", raw=True, config=True)
        self.assertEqual(reg_lib.sha256_digest(cfg), cdigest)
        self.assertIn("fixture/skopeo", REG.catalog())
        self.assertLessEqual({mdigest, cdigest}, REG.blob_digests())

    def test_fixture_podman_login_pull_push(self):
        with REG.podman() as pod:
            REG.skopeo_copy("oci-archive:" + BUSYBOX, REG.ref("fixture/forpodman:v1"))
            pod.login()
            pod.pull(REG.host + "/fixture/forpodman:v1")
            _, _, cdigest, _ = archive_image(BUSYBOX)
            self.assertEqual("sha256:" + pod.inspect(REG.host + "/fixture/forpodman:v1")["Id"], cdigest)
            pod.push(REG.host + "/fixture/forpodman:v1", REG.host + "/fixture/frompodman:v1", extra=["--format", "v2s2"])
            _, _, mt = REG.manifest("fixture/frompodman", "v1")
            self.assertEqual(mt, "application/vnd.docker.distribution.manifest.v2+json")

    def test_fixture_upload_log_counts_new_blobs_only(self):
        REG.skopeo_copy("oci-archive:" + BUSYBOX, REG.ref("fixture/shared:base"))
        mark = REG.log_size()
        REG.skopeo_copy("oci-archive:" + DERIVED, REG.ref("fixture/shared:derived"))
        _, base, _, _ = archive_image(BUSYBOX)
        _, derived, cdigest, _ = archive_image(DERIVED)
        self.assertEqual(sorted(REG.uploads(mark)), sorted([derived["layers"][1]["digest"], cdigest]))
        self.assertEqual(derived["layers"][0], base["layers"][0])

    def test_fixture_multiarch_layout_pushes(self):
        if MULTI is None:
            self.skipTest(MULTI_SKIP)
        REG.skopeo_copy("oci:" + MULTI, REG.ref("fixture/multi:latest"), all=True)
        raw, digest, mt = REG.manifest("fixture/multi", "latest")
        platforms, index_digest = layout_platforms(MULTI)
        self.assertEqual(digest, index_digest)
        self.assertEqual(mt, "application/vnd.oci.image.index.v1+json")
        got = {"%s/%s" % (m["platform"]["os"], m["platform"]["architecture"]): m["digest"]
               for m in json.loads(raw)["manifests"]}
        self.assertEqual(got, {k: v[0] for k, v in platforms.items()})
        arm = REG.skopeo_inspect("fixture/multi:latest", extra=["--override-arch", "arm64"])
        self.assertEqual(arm["Architecture"], "arm64")

    def test_fixture_registry_takes_zstd_layers(self):
        work = ht.TempDir("zstd")
        try:
            archive = unique_image(work.join("unique.tar"))
            REG.skopeo_push_zstd(archive, "fixture/zstd:v1", work.path)
            _, _, cdigest, _ = archive_image(archive)
        finally:
            work.close()
        manifest = json.loads(REG.manifest("fixture/zstd", "v1")[0])
        self.assertEqual([l["mediaType"] for l in manifest["layers"]], [ZSTD_LAYER])
        with REG.podman() as pod:
            pod.login()
            pod.pull(REG.host + "/fixture/zstd:v1")
            self.assertEqual("sha256:" + pod.inspect(REG.host + "/fixture/zstd:v1")["Id"], cdigest)


# --- hutch ------------------------------------------------------------------------------


class HutchCase(unittest.TestCase):
    def setUp(self):
        if not os.access(HUTCH, os.X_OK):
            self.skipTest("%s not built" % HUTCH)
        self.tmp = ht.TempDir("reghutch")
        self.n = 0

    def tearDown(self):
        self.tmp.close()

    def hutch(self, creds=True):
        """A fresh hutch store and config dir; with REG's credentials unless creds=False."""
        self.n += 1
        h = Hutch(self.tmp.join("h%d" % self.n))
        if creds:
            h.auth_config()
        return h

    def push_busybox(self, h, ref, *flags):
        """Loads make-image.sh's archive into h, tags it ref, pushes it;
        returns the local image's inspect."""
        h.load(BUSYBOX, "hutch-busybox:latest")
        h.ok("tag", "hutch-busybox:latest", ref)
        h.ok("push", *flags, ref)
        return h.inspect(ref)

    def assertSameImage(self, info, ref, repo):
        """hutch's inspect of a pulled image agrees with skopeo's view of the registry."""
        raw = REG.skopeo_inspect(ref, raw=True)
        manifest = json.loads(raw)
        config = json.loads(REG.skopeo_inspect(ref, raw=True, config=True))
        self.assertEqual(info["Id"], manifest["config"]["digest"])
        self.assertEqual(info["RootFS"]["Layers"], config["rootfs"]["diff_ids"])
        self.assertEqual(info["Architecture"], config["architecture"])
        self.assertEqual(info["Os"], config["os"])
        self.assertIn("%s/%s@%s" % (REG.host, repo, reg_lib.sha256_digest(raw)), info["RepoDigests"])


class LoginPushPullTest(HutchCase):
    """Acceptance (a): TLS + htpasswd registry."""

    def test_login_push_pull_by_tag_and_digest(self):
        src = self.hutch(creds=False)
        r = src.ok("login", "-u", REG.user, "-p", REG.password, REG.host)
        self.assertIn("Login Succeeded", r.stdout)
        want = base64.b64encode(("%s:%s" % (REG.user, REG.password)).encode()).decode()
        self.assertEqual(src.config_json()["auths"][REG.host]["auth"], want)
        ref = REG.host + "/hutch/busybox:v1"
        local = self.push_busybox(src, ref)
        _, _, cdigest, _ = archive_image(BUSYBOX)
        self.assertEqual(local["Id"], cdigest)
        self.assertIn("hutch/busybox", REG.catalog())

        by_tag = self.hutch()
        self.assertEqual(by_tag.pull_ref(ref), ref)
        info = by_tag.inspect(ref)
        self.assertEqual(info["Id"], local["Id"])
        self.assertEqual(info["RootFS"]["Layers"], local["RootFS"]["Layers"])
        self.assertSameImage(info, "hutch/busybox:v1", "hutch/busybox")
        listed = [l.split() for l in by_tag.ok("images").stdout.splitlines()[1:]]
        self.assertIn([REG.host + "/hutch/busybox", "v1"], [l[:2] for l in listed])

        digest = reg_lib.sha256_digest(REG.skopeo_inspect("hutch/busybox:v1", raw=True))
        by_digest = self.hutch()
        dref = "%s/hutch/busybox@%s" % (REG.host, digest)
        self.assertEqual(by_digest.pull_ref(dref), dref)
        self.assertEqual(by_digest.inspect(dref)["Id"], local["Id"])
        # Pulling again is a no-op that still succeeds and names the image.
        self.assertEqual(by_tag.pull_ref(ref), ref)
        # -q prints the reference alone.
        r = self.hutch().ok("pull", "-q", ref)
        self.assertEqual(r.stdout.strip(), ref)

    def test_pull_without_tag_means_latest(self):
        src = self.hutch()
        self.push_busybox(src, REG.host + "/hutch/notag:latest")
        h = self.hutch()
        self.assertEqual(h.pull_ref(REG.host + "/hutch/notag"), REG.host + "/hutch/notag:latest")

    def test_password_stdin_wrong_password_and_logout(self):
        h = self.hutch(creds=False)
        r = h("login", "-u", REG.user, "-p", "not-the-password", REG.host)
        self.assertEqual(r.returncode, 1, r)
        self.assertRegex(r.stderr, re.compile(r"unauthorized|incorrect username or password", re.I))
        self.assertNotIn(REG.host, h.config_json().get("auths", {}))

        r = h.ok("login", "-u", REG.user, "--password-stdin", REG.host, input=REG.password + "\n")
        self.assertIn("Login Succeeded", r.stdout)
        self.push_busybox(h, REG.host + "/hutch/logout:v1")

        r = h.ok("logout", REG.host)
        self.assertIn("Removing login credentials for %s" % REG.host, r.stdout)
        self.assertNotIn(REG.host, h.config_json().get("auths", {}))
        fresh = Hutch(self.tmp.join("after-logout"))
        fresh.config_dir = h.config_dir
        r = fresh("pull", REG.host + "/hutch/logout:v1")
        self.assertNotEqual(r.returncode, 0, r)
        self.assertRegex(r.stderr, AUTH_ERROR)
        self.assertNotEqual(fresh("image", "inspect", REG.host + "/hutch/logout:v1").returncode, 0)


class InteropTest(HutchCase):
    """Acceptance (b): what hutch pushes, podman and skopeo pull; what they
    push, hutch pulls; the digests agree."""

    def test_pushed_by_hutch_pulled_by_podman_and_skopeo(self):
        src = self.hutch()
        ref = REG.host + "/interop/fromhutch:v1"
        local = self.push_busybox(src, ref)
        info = REG.skopeo_inspect("interop/fromhutch:v1")
        raw = REG.skopeo_inspect("interop/fromhutch:v1", raw=True)
        manifest = json.loads(raw)
        self.assertEqual(info["Digest"], reg_lib.sha256_digest(raw))
        self.assertEqual(info["Layers"], [l["digest"] for l in manifest["layers"]])
        self.assertEqual(manifest["config"]["digest"], local["Id"])
        raw_config = REG.skopeo_inspect("interop/fromhutch:v1", raw=True, config=True)
        self.assertEqual(reg_lib.sha256_digest(raw_config), local["Id"])
        config = json.loads(raw_config)
        self.assertEqual(config["rootfs"]["diff_ids"], local["RootFS"]["Layers"])
        # skopeo copies it out and verifies every blob on the way.
        REG.skopeo_copy(REG.ref("interop/fromhutch:v1"), "oci:" + self.tmp.join("skopeo-out") + ":v1")
        with REG.podman() as pod:
            pod.login()
            pod.pull(ref)
            pinfo = pod.inspect(ref)
            self.assertEqual("sha256:" + pinfo["Id"], local["Id"])
            self.assertEqual(pinfo["RootFS"]["Layers"], local["RootFS"]["Layers"])
            self.assertIn("%s/interop/fromhutch@%s" % (REG.host, info["Digest"]), pinfo["RepoDigests"])

    def test_pushed_by_skopeo_pulled_by_hutch(self):
        REG.skopeo_copy("oci-archive:" + DERIVED, REG.ref("interop/fromskopeo:v1"))
        h = self.hutch()
        ref = REG.host + "/interop/fromskopeo:v1"
        self.assertEqual(h.pull_ref(ref), ref)
        info = h.inspect(ref)
        self.assertSameImage(info, "interop/fromskopeo:v1", "interop/fromskopeo")
        _, _, cdigest, config = archive_image(DERIVED)
        self.assertEqual(info["Id"], cdigest)
        self.assertEqual(len(info["RootFS"]["Layers"]), 2)

    def test_pushed_by_podman_pulled_by_hutch(self):
        # podman pushes docker's schema 2 (v2s2) media types here.
        REG.skopeo_copy("oci-archive:" + DERIVED, REG.ref("interop/seed:v1"))
        with REG.podman() as pod:
            pod.login()
            pod.pull(REG.host + "/interop/seed:v1")
            pod.push(REG.host + "/interop/seed:v1", REG.host + "/interop/frompodman:v1", extra=["--format", "v2s2"])
        self.assertEqual(REG.manifest("interop/frompodman", "v1")[2],
                         "application/vnd.docker.distribution.manifest.v2+json")
        h = self.hutch()
        ref = REG.host + "/interop/frompodman:v1"
        self.assertEqual(h.pull_ref(ref), ref)
        self.assertSameImage(h.inspect(ref), "interop/frompodman:v1", "interop/frompodman")


class MultiArchTest(HutchCase):
    """Acceptance (c): an index with linux/amd64 and linux/arm64."""

    @classmethod
    def setUpClass(cls):
        if MULTI is None:
            raise unittest.SkipTest(MULTI_SKIP)
        REG.skopeo_copy("oci:" + MULTI, REG.ref("multi/busybox:latest"), all=True)
        cls.platforms, cls.index_digest = layout_platforms(MULTI)
        cls.ref = REG.host + "/multi/busybox:latest"

    def check(self, info, platform):
        manifest, config = self.platforms[platform]
        self.assertEqual(info["Id"], config)
        self.assertEqual("%s/%s" % (info["Os"], info["Architecture"]), platform)
        # docker records the digest pulled by (the index); the platform's
        # manifest digest is accepted too.
        repo = REG.host + "/multi/busybox@"
        self.assertTrue({repo + self.index_digest, repo + manifest} & set(info["RepoDigests"]), info["RepoDigests"])

    def test_default_is_the_host_platform(self):
        h = self.hutch()
        self.assertEqual(h.pull_ref(self.ref), self.ref)
        self.check(h.inspect(self.ref), "linux/amd64")

    def test_platform_arm64(self):
        h = self.hutch()
        self.assertEqual(h.pull_ref(self.ref, "--platform", "linux/arm64"), self.ref)
        self.check(h.inspect(self.ref), "linux/arm64")

    def test_missing_platform_names_the_available_ones(self):
        h = self.hutch()
        r = h("pull", "--platform", "linux/s390x", self.ref)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn("linux/amd64", r.stderr)
        self.assertIn("linux/arm64", r.stderr)
        self.assertNotEqual(h("image", "inspect", self.ref).returncode, 0)


class BlobReuseTest(HutchCase):
    """Acceptance (d): a second image on the same base uploads only its new blobs."""

    def test_push_uploads_only_new_blobs(self):
        h = self.hutch()
        base_ref, derived_ref = REG.host + "/reuse/app:base", REG.host + "/reuse/app:derived"
        h.load(BUSYBOX, "hutch-busybox:latest")
        h.load(DERIVED, "hutch-derived:latest")
        h.ok("tag", "hutch-busybox:latest", base_ref)
        h.ok("tag", "hutch-derived:latest", derived_ref)
        mark = REG.log_size()
        h.ok("push", base_ref)
        first = REG.uploads(mark)
        self.assertEqual(len(first), 2, "base push: one layer and a config expected, got %s" % first)
        blobs_after_base = REG.blob_digests()
        mark = REG.log_size()
        h.ok("push", derived_ref)
        second = REG.uploads(mark)
        base_m = json.loads(REG.manifest("reuse/app", "base")[0])
        derived_m = json.loads(REG.manifest("reuse/app", "derived")[0])
        self.assertEqual(derived_m["layers"][0]["digest"], base_m["layers"][0]["digest"])
        self.assertEqual(sorted(second), sorted([derived_m["layers"][1]["digest"], derived_m["config"]["digest"]]),
                         "second push must upload the new layer and config only")
        new_blobs = REG.blob_digests() - blobs_after_base
        self.assertEqual(new_blobs, {derived_m["layers"][1]["digest"], derived_m["config"]["digest"],
                                     reg_lib.sha256_digest(REG.manifest("reuse/app", "derived")[0])})
        # Pushing the same image again uploads nothing.
        mark = REG.log_size()
        h.ok("push", derived_ref)
        self.assertEqual(REG.uploads(mark), [])


class ConcurrentStoreTest(HutchCase):
    """Several hutch processes on one store: parallel pulls of images that
    share a layer, while another process removes and re-pulls, all succeed
    and leave every image whole and no temporary files behind."""

    def test_parallel_pulls_and_rmi_on_one_store(self):
        src = self.hutch()
        base_ref, derived_ref = REG.host + "/conc/app:base", REG.host + "/conc/app:derived"
        src.load(BUSYBOX, "hutch-busybox:latest")
        src.load(DERIVED, "hutch-derived:latest")
        src.ok("tag", "hutch-busybox:latest", base_ref)
        src.ok("tag", "hutch-derived:latest", derived_ref)
        src.ok("push", base_ref)
        src.ok("push", derived_ref)
        h = self.hutch()
        argv = [HUTCH, "--root", h.root, "--config", h.config_dir]
        procs = []
        for i in range(8):
            procs.append(subprocess.Popen(argv + ["pull", "-q", base_ref if i % 2 else derived_ref],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=h.env))
        # Meanwhile: remove and re-pull the base, several times.
        for _ in range(3):
            h("rmi", base_ref)
            h.ok("pull", "-q", base_ref)
        for p in procs:
            out, err = p.communicate(timeout=300)
            self.assertEqual(p.returncode, 0, "parallel pull failed: %s %s" % (out, err))
        for ref in (base_ref, derived_ref):
            info = h.inspect(ref)
            self.assertEqual(info["RootFS"]["Layers"], src.inspect(ref)["RootFS"]["Layers"])
        layers = os.path.join(h.root, "layers")
        self.assertEqual([n for n in os.listdir(layers) if n.startswith(".tmp-")], [])
        for n in os.listdir(layers):
            self.assertTrue(os.path.exists(os.path.join(layers, n, "layer.json")), n)
        self.assertEqual(os.listdir(os.path.join(h.root, "ingest")), [])
        # Both images share the busybox layer: it is stored once.
        self.assertEqual(len(os.listdir(layers)), 2)


class ZstdTest(HutchCase):
    """Acceptance (e): push with zstd layers; skopeo, podman and hutch read it."""

    def test_push_zstd_then_pull(self):
        src = self.hutch()
        ref = REG.host + "/zstd/busybox:v1"
        local = self.push_busybox(src, ref, "--compression-format", "zstd")
        manifest = json.loads(REG.skopeo_inspect("zstd/busybox:v1", raw=True))
        self.assertEqual(manifest.get("mediaType", "application/vnd.oci.image.manifest.v1+json"),
                         "application/vnd.oci.image.manifest.v1+json")
        self.assertEqual([l["mediaType"] for l in manifest["layers"]], [ZSTD_LAYER])
        blob = REG.blob("zstd/busybox", manifest["layers"][0]["digest"])
        self.assertEqual(blob[:4], b"\x28\xb5\x2f\xfd", "the layer blob is not a zstd frame")
        h = self.hutch()
        self.assertEqual(h.pull_ref(ref), ref)
        info = h.inspect(ref)
        self.assertEqual(info["Id"], local["Id"])
        self.assertEqual(info["RootFS"]["Layers"], local["RootFS"]["Layers"])
        with REG.podman() as pod:
            pod.login()
            pod.pull(ref)
            self.assertEqual("sha256:" + pod.inspect(ref)["Id"], local["Id"])


    def test_pull_zstd_pushed_by_skopeo(self):
        archive = unique_image(self.tmp.join("unique.tar"))
        REG.skopeo_push_zstd(archive, "zstd/fromskopeo:v1", self.tmp.path)
        manifest = json.loads(REG.skopeo_inspect("zstd/fromskopeo:v1", raw=True))
        self.assertEqual([l["mediaType"] for l in manifest["layers"]], [ZSTD_LAYER])
        h = self.hutch()
        ref = REG.host + "/zstd/fromskopeo:v1"
        self.assertEqual(h.pull_ref(ref), ref)
        self.assertSameImage(h.inspect(ref), "zstd/fromskopeo:v1", "zstd/fromskopeo")


class RegistriesConfTest(HutchCase):
    """HUTCH_REGISTRIES_CONF: plain-http registries and docker.io mirrors;
    search over /v2/_catalog."""

    def test_insecure_registry_needs_the_conf(self):
        PLAIN.skopeo_copy("oci-archive:" + BUSYBOX, PLAIN.ref("plain/busybox:v1"))
        ref = PLAIN.host + "/plain/busybox:v1"
        h = self.hutch(creds=False)
        r = h("pull", ref)
        self.assertNotEqual(r.returncode, 0, "plain http must be refused unless listed as insecure")
        reg_lib.registries_conf(h.registries_conf, insecure=[PLAIN.host])
        self.assertEqual(h.pull_ref(ref), ref)
        _, _, cdigest, _ = archive_image(BUSYBOX)
        self.assertEqual(h.inspect(ref)["Id"], cdigest)
        h.ok("tag", ref, PLAIN.host + "/plain/pushed:v2")
        h.ok("push", PLAIN.host + "/plain/pushed:v2")
        self.assertEqual(PLAIN.skopeo_inspect("plain/pushed:v2")["Layers"],
                         PLAIN.skopeo_inspect("plain/busybox:v1")["Layers"])

    def test_docker_io_mirror(self):
        PLAIN.skopeo_copy("oci-archive:" + BUSYBOX, PLAIN.ref("library/hutch-mirrored:v1"))
        h = self.hutch(creds=False)
        reg_lib.registries_conf(h.registries_conf, insecure=[PLAIN.host], mirrors={"docker.io": [PLAIN.host]})
        self.assertEqual(h.pull_ref("hutch-mirrored:v1"), "docker.io/library/hutch-mirrored:v1")
        _, _, cdigest, _ = archive_image(BUSYBOX)
        self.assertEqual(h.inspect("hutch-mirrored:v1")["Id"], cdigest)
        self.assertIn(("GET", "/v2/library/hutch-mirrored/manifests/v1"),
                      [(m, p) for m, p, _ in PLAIN.requests()])

    def test_search_catalog(self):
        for name in ("search/alpha-one", "search/alpha-two", "search/beta"):
            REG.skopeo_copy("oci-archive:" + BUSYBOX, REG.ref(name + ":v1"))
        h = self.hutch()
        r = h.ok("search", REG.host + "/alpha")
        lines = r.stdout.splitlines()
        self.assertTrue(lines and lines[0].split()[:2] == ["NAME", "DESCRIPTION"], r.stdout)
        names = [l.split()[0] for l in lines[1:] if l.strip()]
        self.assertEqual(sorted(n.split("/", 1)[-1] if n.startswith(REG.host) else n for n in names),
                         ["search/alpha-one", "search/alpha-two"], r.stdout)


if __name__ == "__main__":
    ht.require_root()
    missing = reg_lib.missing_tools("docker-registry", "skopeo", "podman", "htpasswd", "openssl", "curl")
    if missing:
        ht.skip_all("not installed: %s (scripts/install-deps.sh)" % ", ".join(missing))
    HUTCH = os.environ.get("HUTCH") or os.path.join(ht.REPO, "build", "hutch")
    ht.main()
