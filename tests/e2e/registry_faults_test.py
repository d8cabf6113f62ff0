#!/usr/bin/python3
"""hutch against a registry that misbehaves: a fault-injecting HTTP proxy
between hutch and Debian's docker-registry (plain http, no auth; hutch
reaches the proxy as an insecure registry through HUTCH_REGISTRIES_CONF).

  HUTCH=build/hutch /usr/bin/python3 tests/e2e/registry_faults_test.py [-k NAME]

What is checked:
  - 5xx and 429 answers (manifest, config, layer blob) are retried and the
    pull completes; a blob that never stops failing ends the pull after a
    bounded number of tries and leaves nothing behind
  - a connection cut in the middle of a blob body, once or twice, is
    resumed with `Range: bytes=K-`, K the bytes already received (not the
    whole blob again); a registry that ignores Range still gives a whole
    image
  - a blob with one byte flipped (layer or config), a manifest that does
    not hash to the digest it was asked by (pull by digest, and a
    platform's manifest under an index): the pull fails with an error
    naming the digest, and the store holds no image, no layer for it, no
    layers/.tmp-*, no ingest file and no blob of the bad bytes
  - a push through 503s on the upload POST (and a HEAD and the manifest
    PUT) completes, and the registry holds the image; so does one through
    a 503 on the upload's PUT or PATCH (docker restarts the upload)

The proxy (FaultProxy) is threads and the standard library: each request is
forwarded as is (Host, Range and body included; Location headers then
name the proxy, since docker-registry builds them from Host) unless a rule
set by the case says otherwise; every request is recorded with its Range
header, the status sent and the body bytes sent.
"""

import base64
import hashlib
import http.client
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402
import registry as reg_lib  # noqa: E402

HUTCH = None
MAKE_IMAGE = os.path.join(ht.REPO, "tests/fixtures/make-image.sh")
MAKE_BIG = os.path.join(ht.REPO, "tests/fixtures/make-big-image.sh")
# 20 MB of /usr files make a second layer of about 3.6 MB gzipped here (10 MB
# is mostly Python source: about 0.4 MB).
BIG_MB = 20

TMP = None
REG = None    # docker-registry, http, no auth
PROXY = None  # FaultProxy in front of REG
BUSYBOX = None  # {"repo", "tag", "manifest" (bytes), "digest", "config", "layers", "diff_ids", "arch"}
BIG = None      # the same for make-big-image.sh's two-layer image


# --- the proxy -------------------------------------------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}


class Rule:
    """One fault for the requests whose method and path (query left out)
    match. `times` is how many matching requests it applies to (None: all)."""

    def __init__(self, method, path, kind, arg=None, times=None):
        self.method = method
        self.path = path if isinstance(path, re.Pattern) else re.compile(re.escape(path))
        self.kind, self.arg, self.left = kind, arg, times

    def matches(self, method, path):
        return (self.method is None or self.method == method) and self.path.fullmatch(path) is not None \
            and self.left != 0

    def take(self):
        """The rule's argument for this request, counting it."""
        arg = self.arg
        if self.kind == "cut":
            arg = self.arg[len(self.arg) - self.left]
        if self.left is not None:
            self.left -= 1
        return arg


class FaultProxy:
    """An HTTP/1.1 proxy on 127.0.0.1:random port in front of `upstream`
    (HOST:PORT) with per-case faults:
      fail(method, path, status, times)  answer with status (and a
                                         distribution-style error body)
      cut(path, [K1, K2, ...])           the Nth matching response sends its
                                         headers (full Content-Length) and KN
                                         body bytes, then closes
      flip(path, offset)                 every matching response has the
                                         blob's byte at offset (negative: from
                                         the end) inverted
      rewrite(path, fn)                  every matching body becomes fn(body)
      ignore_range(path, times)          Range is not forwarded (the registry
                                         answers 200 with the whole blob)
      require_bearer(user, password)     the proxy plays a token-auth registry:
                                         requests without a token it issued get
                                         401 and a Bearer challenge whose realm
                                         is its own /token, which hands out
                                         tokens for Basic user:password
    requests(method, path) lists what was asked and answered; reset() clears
    rules, log and the token mode. Thread-safe: the server runs a thread per
    connection."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.mu = threading.Lock()
        self.rules = []
        self.log = []
        self.bearer = None
        handler = type("Handler", (_Handler,), {"proxy": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.host = "127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def reset(self):
        with self.mu:
            self.rules, self.log = [], []
            self.bearer = None

    def require_bearer(self, user, password):
        with self.mu:
            self.bearer = {"user": user, "password": password, "tokens": set(), "token_requests": []}

    def token_requests(self):
        with self.mu:
            return list(self.bearer["token_requests"]) if self.bearer else []

    def fail(self, method, path, status, times=None):
        self._add(Rule(method, path, "status", status, times))

    def cut(self, path, after):
        self._add(Rule("GET", path, "cut", list(after), len(after)))

    def flip(self, path, offset):
        self._add(Rule("GET", path, "flip", offset))

    def rewrite(self, path, fn):
        self._add(Rule("GET", path, "rewrite", fn))

    def ignore_range(self, path, times=None):
        self._add(Rule("GET", path, "ignore_range", None, times))

    def _add(self, rule):
        with self.mu:
            self.rules.append(rule)

    def _plan(self, method, path):
        """{kind: arg} of the rules that apply to this request (the first
        of each kind), counted as used."""
        out = {}
        with self.mu:
            for r in self.rules:
                if r.kind not in out and r.matches(method, path):
                    out[r.kind] = r.take()
        return out

    def _record(self, entry):
        with self.mu:
            self.log.append(entry)

    def requests(self, method=None, path=None):
        """Recorded requests, in arrival order: dicts with method, path (with
        query), range (the request's Range header or None), status (sent to
        hutch), sent (body bytes sent), fault (what was injected or None)."""
        with self.mu:
            return [dict(e) for e in self.log
                    if (method is None or e["method"] == method)
                    and (path is None or urllib.parse.urlsplit(e["path"]).path == path)]

    def describe(self, method=None, path=None):
        return "\n  ".join("%s %s range=%s -> %s, %s body bytes%s" % (
            e["method"], e["path"], e["range"], e["status"], e["sent"],
            ", fault: " + e["fault"] if e["fault"] else "") for e in self.requests(method, path)) or "(none)"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy = None  # set on the subclass FaultProxy makes

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._forward()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_request_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _token_auth(self, method, path, entry):
        """The distribution token flow: True when this request was answered
        here (a token, or a 401 challenge)."""
        bearer = self.proxy.bearer
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        auth = self.headers.get("Authorization", "")
        if path == "/token":
            want = "Basic " + base64.b64encode(("%s:%s" % (bearer["user"], bearer["password"])).encode()).decode()
            with self.proxy.mu:
                bearer["token_requests"].append({"scope": query.get("scope", []), "service": query.get("service"),
                                                 "basic": auth == want})
            if auth != want:
                doc, status = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}), 401
            else:
                token = "tok-%d" % len(bearer["token_requests"])
                with self.proxy.mu:
                    bearer["tokens"].add(token)
                doc, status = json.dumps({"token": token, "expires_in": 300}), 200
            entry.update(status=status, fault="token endpoint")
            self._send_head(status, None, [("Content-Type", "application/json")], len(doc))
            self.wfile.write(doc.encode())
            entry["sent"] = len(doc)
            return True
        entry["basic"] = auth.startswith("Basic ")
        with self.proxy.mu:
            ok = auth.startswith("Bearer ") and auth[7:] in bearer["tokens"]
        if ok:
            return False
        m = re.match(r"^/v2/(.+)/(manifests|blobs)/", path)
        challenge = 'Bearer realm="http://%s/token",service="hutch-faults"' % self.proxy.host
        if m:
            challenge += ',scope="repository:%s:%s"' % (m.group(1), "pull" if method in ("GET", "HEAD") else "pull,push")
        doc = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}).encode()
        entry.update(status=401, fault="bearer challenge")
        self._send_head(401, None, [("Content-Type", "application/json"), ("WWW-Authenticate", challenge)], len(doc))
        if method != "HEAD":
            self.wfile.write(doc)
        return True

    def _send_head(self, status, reason, headers, length):
        self.send_response_only(status, reason)
        for k, v in headers:
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _forward(self):
        method, path = self.command, urllib.parse.urlsplit(self.path).path
        entry = {"method": method, "path": self.path, "range": self.headers.get("Range"), "status": None,
                 "sent": 0, "fault": None}
        self.proxy._record(entry)
        body = self._read_request_body()
        if self.proxy.bearer is not None and self._token_auth(method, path, entry):
            return
        plan = self.proxy._plan(method, path)
        if "status" in plan:
            status = plan["status"]
            doc = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "injected HTTP %d" % status}]}).encode()
            entry.update(status=status, fault="status %d" % status)
            hdrs = [("Content-Type", "application/json")]
            if status == 429:
                hdrs.append(("Retry-After", "0"))
            self._send_head(status, None, hdrs, len(doc))
            if method != "HEAD":
                self.wfile.write(doc)
                entry["sent"] = len(doc)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if "ignore_range" in plan and "Range" in headers:
            del headers["Range"]
            entry["fault"] = "range not forwarded"
        headers.pop("Content-Length", None)
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.proxy.upstream, timeout=120)
        try:
            conn.request(method, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            self._relay(resp, method, plan, entry)
        except (BrokenPipeError, ConnectionResetError):
            # hutch gave up on the response (a digest or gzip error): noted,
            # not a proxy failure.
            entry["fault"] = (entry["fault"] + "; " if entry["fault"] else "") + "hutch closed the connection"
            self.close_connection = True
        finally:
            conn.close()

    def _relay(self, resp, method, plan, entry):
        entry["status"] = resp.status
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}]
        length = resp.getheader("Content-Length")
        no_body = method == "HEAD" or resp.status in (204, 304) or resp.status < 200
        if no_body:
            self._send_head(resp.status, resp.reason, headers, int(length) if length is not None else 0)
            return
        if "rewrite" in plan or length is None:
            data = resp.read()
            if "rewrite" in plan:
                data = plan["rewrite"](data)
                entry["fault"] = "body rewritten"
            self._send_head(resp.status, resp.reason, headers, len(data))
            self.wfile.write(data)
            entry["sent"] = len(data)
            return
        length = int(length)
        # Where this body starts in the blob, for flip offsets.
        start, total = 0, length
        m = re.match(r"bytes (\d+)-(\d+)/(\d+)", resp.getheader("Content-Range") or "")
        if resp.status == 206 and m:
            start, total = int(m.group(1)), int(m.group(3))
        flip = plan.get("flip")
        if flip is not None and flip < 0:
            flip += total
        cut = plan.get("cut")
        self._send_head(resp.status, resp.reason, headers, length)
        pos = 0
        while pos < length:
            chunk = resp.read(min(64 << 10, length - pos))
            if not chunk:
                break
            if flip is not None and start + pos <= flip < start + pos + len(chunk):
                i = flip - start - pos
                chunk = chunk[:i] + bytes([chunk[i] ^ 0xFF]) + chunk[i + 1:]
                entry["fault"] = "byte %d flipped" % flip
            if cut is not None and pos + len(chunk) >= cut:
                chunk = chunk[:cut - pos]
                self.wfile.write(chunk)
                pos += len(chunk)
                entry.update(sent=pos, fault="cut after %d of %d bytes" % (cut, length))
                # FIN, not RST: what was sent arrives, then the peer sees
                # the connection end short of Content-Length.
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            self.wfile.write(chunk)
            pos += len(chunk)
            entry["sent"] = pos


# --- fixtures ---------------------------------------------------------------------


def push_archive(archive, repo, tag):
    """Pushes an oci-archive to REG with skopeo; returns what the cases
    need to know about the image as the registry serves it."""
    REG.skopeo_copy("oci-archive:" + archive, REG.ref("%s:%s" % (repo, tag)))
    raw, digest, _ = REG.manifest(repo, tag)
    manifest = json.loads(raw)
    config = json.loads(REG.blob(repo, manifest["config"]["digest"]))
    return {"repo": repo, "tag": tag, "manifest": raw, "digest": digest, "config": manifest["config"]["digest"],
            "layers": manifest["layers"], "diff_ids": config["rootfs"]["diff_ids"], "arch": config["architecture"]}


def setUpModule():
    global TMP, REG, PROXY, BUSYBOX, BIG
    TMP = ht.TempDir("regfaults")
    try:
        busybox = TMP.join("busybox.tar")
        subprocess.run([MAKE_IMAGE, "oci-archive", busybox], check=True)
        big = TMP.join("big.tar")
        subprocess.run([MAKE_BIG, big, str(BIG_MB)], check=True)
        REG = reg_lib.Registry(tls=False, auth=False, tag="reg-faults").start()
        PROXY = FaultProxy(REG.host)
        BUSYBOX = push_archive(busybox, "faults/busybox", "v1")
        BIG = push_archive(big, "faults/big", "v1")
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if PROXY is not None:
        PROXY.close()
    if REG is not None:
        REG.close()
    if TMP is not None:
        TMP.close()


def blob_path(image, digest):
    return "/v2/%s/blobs/%s" % (image["repo"], digest)


def manifest_path(image, ref):
    return "/v2/%s/manifests/%s" % (image["repo"], ref)


def chain_ids(diff_ids):
    out = []
    for d in diff_ids:
        out.append(d if not out else "sha256:" + hashlib.sha256((out[-1] + " " + d).encode()).hexdigest())
    return out


# --- hutch ------------------------------------------------------------------------


class Hutch:
    """hutch with its own --root, --config dir, an empty certs dir, and a
    registries file naming the proxy insecure (plain http)."""

    def __init__(self, directory):
        self.root = os.path.join(directory, "root")
        self.config_dir = os.path.join(directory, "config")
        certs = os.path.join(directory, "certs.d")
        os.makedirs(self.config_dir)
        os.makedirs(certs)
        conf = reg_lib.registries_conf(os.path.join(directory, "registries.json"), insecure=[PROXY.host])
        self.env = dict(os.environ, HUTCH_CERTS_DIR=certs, HUTCH_REGISTRIES_CONF=conf)

    def __call__(self, *args, timeout=300):
        return subprocess.run([HUTCH, "--root", self.root, "--config", self.config_dir] + list(args),
                              capture_output=True, text=True, env=self.env, timeout=timeout)

    def ok(self, *args):
        r = self(*args)
        if r.returncode != 0:
            raise AssertionError("hutch %s: exit %d\nstdout=%s\nstderr=%s\nrequests:\n  %s"
                                 % (" ".join(args), r.returncode, r.stdout, r.stderr, PROXY.describe()))
        return r

    def inspect(self, ref):
        return json.loads(self.ok("image", "inspect", ref).stdout)[0]

    def store(self):
        """What the store holds: files in ingest, layers/.tmp-*, complete
        layers (layer.json present) and incomplete ones by chain ID hex,
        blobs by digest, and the image records of images.json (manifest digest -> record)."""
        ingest = []
        for d, _, files in os.walk(os.path.join(self.root, "ingest")):
            ingest += [os.path.join(d, f) for f in files]
        layers_dir = os.path.join(self.root, "layers")
        names = sorted(os.listdir(layers_dir)) if os.path.isdir(layers_dir) else []
        tmp = [n for n in names if n.startswith(".tmp-")]
        complete = [n for n in names if not n.startswith(".tmp-")
                    and os.path.exists(os.path.join(layers_dir, n, "layer.json"))]
        incomplete = [n for n in names if not n.startswith(".tmp-") and n not in complete]
        blobs_dir = os.path.join(self.root, "blobs", "sha256")
        blobs = sorted("sha256:" + n for n in os.listdir(blobs_dir)) if os.path.isdir(blobs_dir) else []
        records = {}
        try:
            with open(os.path.join(self.root, "images.json")) as f:
                records = json.load(f).get("images", {})
        except FileNotFoundError:
            pass
        return {"ingest": ingest, "tmp": tmp, "complete": complete, "incomplete": incomplete, "blobs": blobs,
                "records": records}


class FaultCase(unittest.TestCase):
    def setUp(self):
        if not os.access(HUTCH, os.X_OK):
            self.skipTest("%s not built" % HUTCH)
        PROXY.reset()
        self.addCleanup(PROXY.reset)
        self.tmp = ht.TempDir("faulthutch")
        self.addCleanup(self.tmp.close)  # also when a subclass's setUp fails
        self.n = 0

    def hutch(self):
        self.n += 1
        return Hutch(self.tmp.join("h%d" % self.n))

    def ref(self, image, ref=None):
        ref = ref or image["tag"]
        return "%s/%s%s%s" % (PROXY.host, image["repo"], "@" if ref.startswith("sha256:") else ":", ref)

    def assertPulled(self, h, ref, image):
        """The image is in the store whole: its id, diff_ids, one complete
        layer per chain ID and nothing left over."""
        info = h.inspect(ref)
        self.assertEqual(info["Id"], image["config"])
        self.assertEqual(info["RootFS"]["Layers"], image["diff_ids"])
        s = h.store()
        self.assertEqual(sorted(s["complete"]), sorted(c.split(":")[1] for c in chain_ids(image["diff_ids"])))
        self.assertEqual((s["ingest"], s["tmp"], s["incomplete"]), ([], [], []), s)

    def assertNothingStored(self, h, ref, image, allowed_blobs=()):
        """After a failed pull: no image, no layer of the image (complete or
        not), no .tmp-* layer dir, no ingest file; blobs only from
        allowed_blobs (verified content fetched before the failure)."""
        self.assertNotEqual(h("image", "inspect", ref).returncode, 0, "the image was stored")
        s = h.store()
        self.assertEqual(s["records"], {}, "images.json holds a record")
        chains = {c.split(":")[1] for c in chain_ids(image["diff_ids"])}
        self.assertEqual(sorted(set(s["complete"]) & chains), [], "a complete layer of the image was stored")
        self.assertEqual(s["incomplete"], [], "layer dirs without layer.json")
        self.assertEqual(s["tmp"], [], "layers/.tmp-* left")
        self.assertEqual(s["ingest"], [], "files left in ingest")
        self.assertLessEqual(set(s["blobs"]), set(allowed_blobs), "blobs stored")

    def assertDigestError(self, r, what):
        self.assertNotEqual(r.returncode, 0, "%s: hutch pull succeeded" % what)
        self.assertIn("digest", r.stderr.lower(), "%s: the error does not mention the digest: %s\nrequests:\n  %s"
                      % (what, r.stderr.strip(), PROXY.describe()))


class RetryTest(FaultCase):
    """5xx and 429 answers are retried with backoff; a pull completes."""

    def test_pull_through_5xx_and_429(self):
        layer = blob_path(BUSYBOX, BUSYBOX["layers"][0]["digest"])
        config = blob_path(BUSYBOX, BUSYBOX["config"])
        manifest = manifest_path(BUSYBOX, BUSYBOX["tag"])
        for status in (503, 500, 502, 504, 429):
            with self.subTest(status=status):
                PROXY.reset()
                PROXY.fail("GET", manifest, status, times=2)
                PROXY.fail("GET", config, status, times=1)
                PROXY.fail("GET", layer, status, times=3)
                h = self.hutch()
                ref = self.ref(BUSYBOX)
                h.ok("pull", ref)
                self.assertPulled(h, ref, BUSYBOX)
                for path, n in ((manifest, 2), (config, 1), (layer, 3)):
                    got = [e["status"] for e in PROXY.requests("GET", path)]
                    self.assertEqual(got, [status] * n + [200], "%s:\n  %s" % (path, PROXY.describe("GET", path)))

    def test_pull_by_digest_through_503s(self):
        PROXY.fail("GET", manifest_path(BUSYBOX, BUSYBOX["digest"]), 503, times=3)
        h = self.hutch()
        ref = self.ref(BUSYBOX, BUSYBOX["digest"])
        h.ok("pull", ref)
        self.assertPulled(h, ref, BUSYBOX)

    def test_blob_that_keeps_failing_ends_the_pull(self):
        layer = blob_path(BUSYBOX, BUSYBOX["layers"][0]["digest"])
        PROXY.fail("GET", layer, 503)
        h = self.hutch()
        ref = self.ref(BUSYBOX)
        t0 = time.monotonic()
        r = h("pull", ref)
        took = time.monotonic() - t0
        self.assertNotEqual(r.returncode, 0, "pull succeeded on a blob answered 503 every time")
        tries = len(PROXY.requests("GET", layer))
        self.assertGreater(tries, 1, "the blob was not retried")
        self.assertLessEqual(tries, 10, "too many tries (%.1fs)" % took)
        self.assertIn(BUSYBOX["layers"][0]["digest"], r.stderr, r.stderr)
        self.assertNothingStored(h, ref, BUSYBOX, allowed_blobs=[BUSYBOX["config"]])


class ResumeTest(FaultCase):
    """A blob body cut mid-way resumes with Range from the byte it stopped at."""

    def setUp(self):
        super().setUp()
        # The big layer (make-big-image.sh's second: several MB compressed).
        self.layer = max(BIG["layers"], key=lambda l: l["size"])
        self.path = blob_path(BIG, self.layer["digest"])
        self.size = self.layer["size"]
        self.assertGreater(self.size, 1 << 20, "the big layer is too small to cut mid-way")

    def gets(self):
        return PROXY.requests("GET", self.path)

    def test_cut_once_resumes_at_the_byte_it_stopped(self):
        k = self.size // 3 + 17
        PROXY.cut(self.path, [k])
        h = self.hutch()
        ref = self.ref(BIG)
        h.ok("pull", ref)
        self.assertPulled(h, ref, BIG)
        gets, shown = self.gets(), PROXY.describe("GET", self.path)
        self.assertEqual(len(gets), 2, shown)
        self.assertEqual((gets[0]["range"], gets[0]["sent"]), (None, k), shown)
        self.assertEqual(gets[1]["range"], "bytes=%d-" % k, "the retry must ask for the rest:\n  " + shown)
        self.assertEqual((gets[1]["status"], gets[1]["sent"]), (206, self.size - k), shown)

    def test_cut_twice_resumes_each_time(self):
        k1, k2 = self.size // 4 + 5, self.size // 3 + 11
        PROXY.cut(self.path, [k1, k2])
        h = self.hutch()
        ref = self.ref(BIG)
        h.ok("pull", ref)
        self.assertPulled(h, ref, BIG)
        gets, shown = self.gets(), PROXY.describe("GET", self.path)
        self.assertEqual([(g["range"], g["sent"]) for g in gets],
                         [(None, k1), ("bytes=%d-" % k1, k2), ("bytes=%d-" % (k1 + k2), self.size - k1 - k2)], shown)
        self.assertEqual(sum(g["sent"] for g in gets), self.size, "bytes fetched twice:\n  " + shown)

    def test_cut_before_the_first_body_byte(self):
        PROXY.cut(self.path, [0])
        h = self.hutch()
        ref = self.ref(BIG)
        h.ok("pull", ref)
        self.assertPulled(h, ref, BIG)
        gets, shown = self.gets(), PROXY.describe("GET", self.path)
        self.assertEqual(len(gets), 2, shown)
        self.assertIn(gets[1]["range"], (None, "bytes=0-"), shown)
        self.assertEqual(gets[1]["sent"], self.size, shown)

    def test_registry_ignoring_range(self):
        # The resumed request is answered 200 with the whole blob: hutch must
        # skip what it already has, not append it again.
        k = self.size // 2 + 3
        PROXY.cut(self.path, [k])
        PROXY.ignore_range(self.path)
        h = self.hutch()
        ref = self.ref(BIG)
        h.ok("pull", ref)
        self.assertPulled(h, ref, BIG)
        gets, shown = self.gets(), PROXY.describe("GET", self.path)
        self.assertEqual(len(gets), 2, shown)
        self.assertEqual(gets[1]["range"], "bytes=%d-" % k, shown)
        self.assertEqual((gets[1]["status"], gets[1]["sent"]), (200, self.size), shown)


class TamperTest(FaultCase):
    """Bytes that do not match their digest are refused and nothing is kept."""

    def test_flipped_byte_in_layer_blob(self):
        layer = BUSYBOX["layers"][0]
        path = blob_path(BUSYBOX, layer["digest"])
        # 4: the gzip header's mtime, which no gzip check covers (only the
        # digest can tell); the middle of the deflate data; the last byte
        # (the gzip trailer's length).
        for offset in (4, layer["size"] // 2, -1):
            with self.subTest(offset=offset):
                PROXY.reset()
                PROXY.flip(path, offset)
                h = self.hutch()
                ref = self.ref(BUSYBOX)
                r = h("pull", ref)
                self.assertTrue(any(e["fault"] for e in PROXY.requests("GET", path)), PROXY.describe())
                self.assertNotEqual(r.returncode, 0, "pull succeeded")
                self.assertNothingStored(h, ref, BUSYBOX, allowed_blobs=[BUSYBOX["config"]])
                self.assertDigestError(r, "layer blob with byte %d flipped" % offset)

    def test_flipped_byte_in_config_blob(self):
        path = blob_path(BUSYBOX, BUSYBOX["config"])
        PROXY.flip(path, 10)
        h = self.hutch()
        ref = self.ref(BUSYBOX)
        r = h("pull", ref)
        self.assertNotEqual(r.returncode, 0, "pull succeeded")
        self.assertNothingStored(h, ref, BUSYBOX)
        self.assertDigestError(r, "config blob with a byte flipped")

    def test_tampered_manifest_by_digest(self):
        # A manifest that parses and means the same, but is not the bytes
        # the digest names (re-indented); Docker-Content-Digest still claims
        # the digest asked for.
        PROXY.rewrite(manifest_path(BUSYBOX, BUSYBOX["digest"]), lambda b: json.dumps(json.loads(b), indent=3).encode())
        h = self.hutch()
        ref = self.ref(BUSYBOX, BUSYBOX["digest"])
        r = h("pull", ref)
        self.assertEqual([e["fault"] for e in PROXY.requests("GET", manifest_path(BUSYBOX, BUSYBOX["digest"]))],
                         ["body rewritten"], PROXY.describe())
        self.assertNotEqual(r.returncode, 0, "pull succeeded")
        self.assertNothingStored(h, ref, BUSYBOX)
        self.assertDigestError(r, "manifest by digest rewritten")
        self.assertEqual(PROXY.requests("GET", blob_path(BUSYBOX, BUSYBOX["layers"][0]["digest"])), [],
                         "a layer was fetched for an unverified manifest")

    def test_tampered_platform_manifest_under_an_index(self):
        # An index (pulled by tag: nothing to verify it against) naming the
        # busybox manifest by digest; the manifest served is not those bytes.
        m = BUSYBOX["manifest"]
        index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                           "digest": BUSYBOX["digest"], "size": len(m),
                                           "platform": {"architecture": BUSYBOX["arch"], "os": "linux"}}]}).encode()
        status, _, body = REG.request("PUT", manifest_path(BUSYBOX, "index"), data=index,
                                      headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
        self.assertEqual(status, 201, body)
        # With the bytes intact the index pulls.
        h = self.hutch()
        ref = self.ref(BUSYBOX, "index")
        h.ok("pull", ref)
        self.assertPulled(h, ref, BUSYBOX)
        PROXY.reset()
        PROXY.rewrite(manifest_path(BUSYBOX, BUSYBOX["digest"]), lambda b: b.replace(b'"schemaVersion":2',
                                                                                       b'"schemaVersion": 2'))
        h = self.hutch()
        r = h("pull", ref)
        self.assertEqual([e["fault"] for e in PROXY.requests("GET", manifest_path(BUSYBOX, BUSYBOX["digest"]))],
                         ["body rewritten"], PROXY.describe())
        self.assertNotEqual(r.returncode, 0, "pull succeeded")
        self.assertNothingStored(h, ref, BUSYBOX)
        self.assertDigestError(r, "platform manifest rewritten")


class PushRetryTest(FaultCase):
    """A push through 503s completes."""

    def test_push_through_503_on_upload_post(self):
        repo = "faults/pushed"
        uploads = "/v2/%s/blobs/uploads/" % repo
        h = self.hutch()
        archive = TMP.join("busybox.tar")
        h.ok("load", "-i", archive)
        ref = "%s/%s:v1" % (PROXY.host, repo)
        h.ok("tag", "hutch-busybox:latest", ref)
        local = h.inspect(ref)
        PROXY.fail("POST", uploads, 503, times=2)
        PROXY.fail("HEAD", re.compile(r"/v2/%s/blobs/sha256:[0-9a-f]{64}" % re.escape(repo)), 503, times=1)
        PROXY.fail("PUT", manifest_path({"repo": repo}, "v1"), 503, times=1)
        h.ok("push", ref)
        posts = [e["status"] for e in PROXY.requests("POST", uploads)]
        self.assertEqual(posts[:2], [503, 503], PROXY.describe())
        self.assertEqual(posts[2:], [202] * (len(posts) - 2), PROXY.describe())
        self.assertGreaterEqual(len(posts), 4, "a POST per blob (layer, config) after the 503s:\n  "
                                + PROXY.describe())
        puts = [e["status"] for e in PROXY.requests("PUT", manifest_path({"repo": repo}, "v1"))]
        self.assertEqual(puts, [503, 201], PROXY.describe())
        # The registry, asked directly, holds the image hutch has.
        raw, _, _ = REG.manifest(repo, "v1")
        manifest = json.loads(raw)
        self.assertEqual(manifest["config"]["digest"], local["Id"])
        config = json.loads(REG.blob(repo, manifest["config"]["digest"]))
        self.assertEqual(config["rootfs"]["diff_ids"], local["RootFS"]["Layers"])
        for layer in manifest["layers"]:
            self.assertEqual(reg_lib.sha256_digest(REG.blob(repo, layer["digest"])), layer["digest"])

    def test_push_through_503_on_upload_put_and_patch(self):
        # A 503 on the request that carries the bytes (the monolithic PUT,
        # or a PATCH chunk with --chunk-size) is as transient as one on the
        # POST: docker restarts the blob's upload; so must hutch.
        h = self.hutch()
        h.ok("load", "-i", TMP.join("busybox.tar"))
        local = h.inspect("hutch-busybox:latest")
        for method, flags in (("PUT", []), ("PATCH", ["--chunk-size", "400000"])):
            with self.subTest(method=method):
                PROXY.reset()
                repo = "faults/pushed-" + method.lower()
                ref = "%s/%s:v1" % (PROXY.host, repo)
                h.ok("tag", "hutch-busybox:latest", ref)
                PROXY.fail(method, re.compile(r"/v2/%s/blobs/uploads/.+" % re.escape(repo)), 503, times=1)
                r = h("push", *flags, ref)
                self.assertEqual(r.returncode, 0, "push failed on one 503 to %s: %s\nrequests:\n  %s"
                                 % (method, r.stderr.strip(), PROXY.describe()))
                manifest = json.loads(REG.manifest(repo, "v1")[0])
                self.assertEqual(manifest["config"]["digest"], local["Id"])
                for layer in manifest["layers"]:
                    self.assertEqual(reg_lib.sha256_digest(REG.blob(repo, layer["digest"])), layer["digest"])


class BearerTokenTest(FaultCase):
    """Token auth as Docker Hub and most registries speak it: a 401 with a
    Bearer challenge, a token from the realm for the scope, Basic
    credentials only ever sent to the realm."""

    def test_login_pull_push_with_tokens(self):
        PROXY.require_bearer("tok-user", "tok-pass")
        h = self.hutch()
        r = h("login", "-u", "tok-user", "-p", "wrong", PROXY.host)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr.lower(), "unauthorized|incorrect username or password")
        h.ok("login", "-u", "tok-user", "-p", "tok-pass", PROXY.host)
        ref = self.ref(BUSYBOX)
        h.ok("pull", "-q", ref)
        self.assertPulled(h, ref, BUSYBOX)
        scopes = [s for t in PROXY.token_requests() for s in t["scope"]]
        self.assertIn("repository:%s:pull" % BUSYBOX["repo"], scopes)
        self.assertTrue(all(t["service"] == ["hutch-faults"] for t in PROXY.token_requests()), PROXY.token_requests())
        # The registry itself never sees the password: only tokens.
        self.assertEqual([e["path"] for e in PROXY.requests() if e.get("basic")], [])
        pushed = "%s/faults/tokpush:v1" % PROXY.host
        h.ok("tag", ref, pushed)
        h.ok("push", pushed)
        self.assertIn("repository:faults/tokpush:pull,push", [s for t in PROXY.token_requests() for s in t["scope"]])
        manifest = json.loads(REG.manifest("faults/tokpush", "v1")[0])
        self.assertEqual(manifest["config"]["digest"], BUSYBOX["config"])
        # Without credentials the pull is refused with a hint to log in.
        h.ok("logout", PROXY.host)
        r = self.hutch()("pull", ref)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr.lower(), "unauthorized|authentication required")


if __name__ == "__main__":
    ht.require_root()
    missing = reg_lib.missing_tools("docker-registry", "skopeo")
    if missing:
        ht.skip_all("not installed: %s (scripts/install-deps.sh)" % ", ".join(missing))
    HUTCH = os.environ.get("HUTCH") or os.path.join(ht.REPO, "build", "hutch")
    ht.main()
