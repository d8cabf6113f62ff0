"""A private container registry for tests, and the peers that talk to it.

Registry starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 at
a free port, with storage in a marked temp dir, optionally TLS from a CA
made at test time by openssl (server cert for IP:127.0.0.1 and
DNS:localhost) and optionally htpasswd (bcrypt) auth. It returns once /v2/
answers (200, or 401 with auth) and, on close(), kills its process by pid
and removes the temp dir. The process also gets PR_SET_PDEATHSIG, so a test
killed by ctest's timeout does not leave it running.

What a test needs from it:
  host              "127.0.0.1:PORT"
  ca_path           the CA certificate (PEM)
  certs_dir         certs.d layout: CERTS_DIR/127.0.0.1:PORT/ca.crt (also
                    localhost:PORT); what HUTCH_CERTS_DIR points at
  host_cert_dir     CERTS_DIR/127.0.0.1:PORT: what podman --cert-dir and
                    skopeo --cert-dir/--src-cert-dir/--dest-cert-dir take
                    (they read *.crt in the dir they are given)
  user, password    htpasswd credentials (None without auth)
  request()         one HTTP request to the registry (CA and basic auth set)
  blob_digests()    the blobs in storage; uploads() the blobs whose upload
                    completed, from the access log
  skopeo_*()        skopeo copy/inspect with the right creds and cert flags;
                    skopeo_push_zstd() pushes an image with zstd layers
  podman()          podman with a private --root/--runroot/--tmpdir, its own
                    --authfile (login()) and the registry's --cert-dir

docker_config() and registries_conf() write the files hutch reads: a docker
config.json ({"auths": {HOST: {"auth": base64(user:pass)}}}) and the JSON
registries file of HUTCH_REGISTRIES_CONF ({"insecure": [...], "mirrors":
{...}}).

Run by hand, it serves until interrupted and prints what to use:

  /usr/bin/python3 tests/testlib/registry.py [--no-tls] [--no-auth]

Not thread-safe; one process uses one Registry from one thread.
"""

import base64
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hutchtest as ht  # noqa: E402

REGISTRY_BIN = "/usr/bin/docker-registry"
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def missing_tools(*names):
    """The names in names (docker-registry, skopeo, podman, htpasswd,
    openssl, ...) that are not installed, for a suite's skip reason."""
    missing = []
    for n in names:
        path = REGISTRY_BIN if n == "docker-registry" else shutil.which(n)
        if not path or not os.access(path, os.X_OK):
            missing.append(n)
    return missing


def free_port():
    """A TCP port free on 127.0.0.1 right now (the registry may still lose a
    race for it; Registry.start() retries with another)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_ca(directory, hosts=("127.0.0.1", "localhost")):
    """A CA and a server certificate signed by it, for hosts (IPs and DNS
    names), in directory: ca.key, ca.crt, server.key, server.crt. EC P-256
    keys: fast to make, accepted by Go's TLS and OpenSSL."""
    os.makedirs(directory, exist_ok=True)
    j = lambda name: os.path.join(directory, name)  # noqa: E731
    run = lambda *cmd: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,  # noqa: E731
                                      stderr=subprocess.PIPE)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-keyout", j("ca.key"), "-out", j("ca.crt"), "-days", "2",
        "-subj", "/CN=hutch-test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    san = ",".join(("IP:" if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", h) else "DNS:") + h for h in hosts)
    with open(j("server.ext"), "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" % san)
    run("openssl", "req", *ec, "-keyout", j("server.key"), "-out", j("server.csr"), "-subj", "/CN=%s" % hosts[0])
    run("openssl", "x509", "-req", "-in", j("server.csr"), "-CA", j("ca.crt"), "-CAkey", j("ca.key"),
        "-CAcreateserial", "-out", j("server.crt"), "-days", "2", "-extfile", j("server.ext"))
    return j("ca.crt"), j("server.crt"), j("server.key")


def docker_config(directory, auths):
    """Writes DIRECTORY/config.json in docker's format from {host: (user,
    password)}; returns its path. hutch reads it through --config DIRECTORY."""
    os.makedirs(directory, exist_ok=True)
    doc = {"auths": {h: {"auth": base64.b64encode(("%s:%s" % up).encode()).decode()} for h, up in auths.items()}}
    path = os.path.join(directory, "config.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


def registries_conf(path, insecure=(), mirrors=None):
    """Writes the JSON file HUTCH_REGISTRIES_CONF names: {"insecure":
    ["HOST:PORT"], "mirrors": {"docker.io": ["HOST:PORT"]}}; returns path."""
    with open(path, "w") as f:
        json.dump({"insecure": list(insecure), "mirrors": dict(mirrors or {})}, f, indent=1)
    return path


class Registry:
    """docker-registry on 127.0.0.1:random port; use as a context manager or
    call start() and close()."""

    def __init__(self, tls=True, auth=True, user="hutch-user", password=None, tag="reg"):
        self.tls, self.auth = tls, auth
        self.user = user if auth else None
        self.password = (password or "pw-%d-%s" % (os.getpid(), os.urandom(4).hex())) if auth else None
        self.tag = tag
        self.tmp = None
        self.proc = None
        self.port = None
        self.host = None
        self.ca_path = None
        self.certs_dir = None
        self.host_cert_dir = None
        self._ssl = None

    # --- life cycle -------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        self.tmp = ht.TempDir(self.tag)
        try:
            self._prepare()
            for attempt in range(5):
                self.port = free_port()
                self.host = "127.0.0.1:%d" % self.port
                self._write_config()
                if self._launch_and_wait():
                    break
                if attempt == 4:
                    raise RuntimeError("docker-registry did not start; log:\n" + self.log_text()[-3000:])
            if self.tls:
                self.certs_dir = self.tmp.join("certs.d")
                for name in (self.host, "localhost:%d" % self.port):
                    os.makedirs(os.path.join(self.certs_dir, name))
                    shutil.copy(self.ca_path, os.path.join(self.certs_dir, name, "ca.crt"))
                self.host_cert_dir = os.path.join(self.certs_dir, self.host)
        except BaseException:
            self.close()
            raise
        return self

    def _prepare(self):
        self.storage = self.tmp.join("storage")
        os.makedirs(self.storage)
        self.log_path = self.tmp.join("registry.log")
        self.config_path = self.tmp.join("config.yml")
        if self.tls:
            self.ca_path, self.cert_path, self.key_path = make_ca(self.tmp.join("pki"))
            self._ssl = ssl.create_default_context(cafile=self.ca_path)
        if self.auth:
            self.htpasswd_path = self.tmp.join("htpasswd")
            out = subprocess.run(["htpasswd", "-Bbn", self.user, self.password], check=True,
                                 stdout=subprocess.PIPE, text=True).stdout
            with open(self.htpasswd_path, "w") as f:
                f.write(out.strip() + "\n")

    def _write_config(self):
        lines = [
            "version: 0.1",
            "log:",
            "  level: info",
            "  formatter: text",
            "  accesslog:",
            "    disabled: false",
            "storage:",
            "  filesystem:",
            "    rootdirectory: %s" % self.storage,
            "  delete:",
            "    enabled: true",
            "  redirect:",
            "    disable: true",
            "  maintenance:",
            "    uploadpurging:",
            "      enabled: false",
            "http:",
            "  addr: %s" % self.host,
            "  secret: %s" % os.urandom(16).hex(),
            "  headers:",
            "    X-Content-Type-Options: [nosniff]",
        ]
        if self.tls:
            lines += ["  tls:", "    certificate: %s" % self.cert_path, "    key: %s" % self.key_path]
        if self.auth:
            lines += ["auth:", "  htpasswd:", "    realm: hutch-test", "    path: %s" % self.htpasswd_path]
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _launch_and_wait(self, timeout=20.0):
        """Starts the registry; True once /v2/ answers, False if the process
        died first (the port was taken)."""
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen([REGISTRY_BIN, "serve", self.config_path], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            try:
                status, _, _ = self.request("GET", "/v2/", auth=False)
                if status in (200, 401):
                    return True
            except (OSError, ssl.SSLError):
                pass
            time.sleep(0.05)
        self._kill()
        raise RuntimeError("docker-registry did not answer on %s within %ss; log:\n%s"
                           % (self.host, timeout, self.log_text()[-3000:]))

    def _kill(self):
        if self.proc is not None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None

    def close(self):
        self._kill()
        if self.tmp is not None:
            self.tmp.close()
            self.tmp = None

    # --- HTTP -----------------------------------------------------------------------

    @property
    def scheme(self):
        return "https" if self.tls else "http"

    def url(self, path):
        return "%s://%s%s" % (self.scheme, self.host, path)

    @property
    def auth_header(self):
        return "Basic " + base64.b64encode(("%s:%s" % (self.user, self.password)).encode()).decode()

    def request(self, method, path, headers=None, data=None, auth=True, timeout=30):
        """One request; returns (status, headers dict with lower-case keys,
        body bytes). HTTP errors are returned, not raised."""
        req = urllib.request.Request(self.url(path), data=data, method=method, headers=dict(headers or {}))
        if auth and self.auth:
            req.add_header("Authorization", self.auth_header)
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=timeout) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    MANIFEST_TYPES = ", ".join([
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ])

    def manifest(self, repo, ref):
        """(raw bytes, digest, media type) of repo's manifest or index at ref."""
        status, headers, body = self.request("GET", "/v2/%s/manifests/%s" % (repo, ref),
                                             headers={"Accept": self.MANIFEST_TYPES})
        if status != 200:
            raise AssertionError("GET manifest %s:%s: HTTP %d %s" % (repo, ref, status, body[:300]))
        return body, sha256_digest(body), headers.get("content-type", "")

    def blob(self, repo, digest):
        status, _, body = self.request("GET", "/v2/%s/blobs/%s" % (repo, digest))
        if status != 200:
            raise AssertionError("GET blob %s@%s: HTTP %d" % (repo, digest, status))
        return body

    def catalog(self):
        status, _, body = self.request("GET", "/v2/_catalog?n=1000")
        if status != 200:
            raise AssertionError("GET /v2/_catalog: HTTP %d %s" % (status, body[:300]))
        return json.loads(body)["repositories"]

    # --- storage and log ------------------------------------------------------------

    def blob_digests(self):
        """Digests of every blob in storage (layers, configs, manifests)."""
        top = os.path.join(self.storage, "docker/registry/v2/blobs/sha256")
        found = set()
        if os.path.isdir(top):
            for prefix in os.listdir(top):
                for hexd in os.listdir(os.path.join(top, prefix)):
                    if os.path.exists(os.path.join(top, prefix, hexd, "data")):
                        found.add("sha256:" + hexd)
        return found

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_size(self):
        """An offset into the log, to read only what came after (uploads(since))."""
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    # The access log (Apache combined format), e.g.
    #   127.0.0.1 - - [..] "PUT /v2/r/blobs/uploads/UUID?_state=..&digest=sha256%3A.. HTTP/1.1" 201 0 "" "ua"
    _ACCESS = re.compile(r'"(GET|HEAD|POST|PUT|PATCH|DELETE) (/v2/\S*) HTTP/[0-9.]+" (\d{3}) ')

    def requests(self, since=0):
        """[(method, path with query, status)] from the access log after
        offset since."""
        with open(self.log_path, "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        return [(m.group(1), m.group(2), int(m.group(3))) for m in self._ACCESS.finditer(text)]

    def uploads(self, since=0):
        """Digests of blobs uploaded (a completed upload: PUT or monolithic
        POST with ?digest= answered 201) after log offset since. Cross-repo
        mounts (POST ?mount=) are not uploads and are not counted."""
        out = []
        for method, path, status in self.requests(since):
            if method not in ("PUT", "POST") or status != 201 or "/blobs/uploads/" not in path:
                continue
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
            if "mount" in query or "digest" not in query:
                continue
            out.append(query["digest"][0])
        return out

    # --- skopeo ---------------------------------------------------------------------

    def skopeo_flags(self, role):
        """skopeo's flags to reach this registry as role "src", "dest" or ""
        (inspect): creds and certs, or tls-verify=false without TLS."""
        prefix = "--%s-" % role if role else "--"
        flags = []
        if self.auth:
            flags += [prefix + "creds", "%s:%s" % (self.user, self.password)]
        if self.tls:
            flags += [prefix + "cert-dir", self.host_cert_dir]
        else:
            flags += [prefix + "tls-verify=false"]
        return flags

    def ref(self, name):
        """docker://HOST/name for skopeo."""
        return "docker://%s/%s" % (self.host, name)

    def skopeo_copy(self, src, dst, all=False, extra=(), check=True):
        """skopeo copy src dst; either side may be this registry (docker://HOST/..)."""
        cmd = ["skopeo", "--insecure-policy", "copy", "--retry-times", "0"]
        if all:
            cmd.append("--all")
        if src.startswith("docker://%s/" % self.host):
            cmd += self.skopeo_flags("src")
        if dst.startswith("docker://%s/" % self.host):
            cmd += self.skopeo_flags("dest")
        r = subprocess.run(cmd + list(extra) + [src, dst], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError("skopeo copy %s %s failed: %s" % (src, dst, r.stderr))
        return r

    def skopeo_inspect(self, name, raw=False, config=False, extra=()):
        """skopeo inspect docker://HOST/name: parsed JSON, or the raw bytes
        with raw=True (the manifest, or the config with config=True)."""
        cmd = ["skopeo", "inspect"] + self.skopeo_flags("") + list(extra)
        if raw:
            cmd.append("--raw")
        if config:
            cmd.append("--config")
        r = subprocess.run(cmd + [self.ref(name)], capture_output=True)
        if r.returncode != 0:
            raise AssertionError("skopeo inspect %s failed: %s" % (name, r.stderr.decode(errors="replace")))
        return r.stdout if raw else json.loads(r.stdout)

    def skopeo_push_zstd(self, archive, name, workdir):
        """Pushes an oci-archive to name with zstd layers. skopeo 1.9 will
        not recompress a gzip layer, so the layers are first decompressed
        into a dir: under workdir. Its blob-info cache also swaps in a blob
        this registry already holds for the same content (gzip, say), so
        push content the registry has not seen; a layer that does not end
        up zstd raises."""
        plain = os.path.join(workdir, "decompressed")
        self.skopeo_copy("oci-archive:" + archive, "dir:" + plain, extra=["--dest-decompress"])
        try:
            self.skopeo_copy("dir:" + plain, self.ref(name), extra=["--dest-compress-format", "zstd"])
        finally:
            shutil.rmtree(plain)
        repo, _, tag = name.rpartition(":")
        layers = json.loads(self.manifest(repo, tag)[0])["layers"]
        if any(not l["mediaType"].endswith("+zstd") for l in layers):
            raise AssertionError("skopeo pushed %s with layers %s, not zstd (blob reused from its cache?)"
                                 % (name, [l["mediaType"] for l in layers]))

    def podman(self):
        """A Podman talking to this registry; close it (or use with)."""
        return Podman(self)


class Podman:
    """podman with its own --root/--runroot/--tmpdir in a marked temp dir of
    its own (podman refuses a runroot path over 50 characters, so not under
    the caller's dir), cgroupfs and a file event log (as images_test.py), an
    auth file of its own, and the registry's cert dir on login/push/pull.
    close() removes its images and its dir."""

    def __init__(self, registry):
        self.reg = registry
        self.tmp = ht.TempDir("pod")
        self.authfile = self.tmp.join("auth.json")
        self.base = ["podman", "--root", self.tmp.join("root"), "--runroot", self.tmp.join("run"),
                     "--tmpdir", self.tmp.join("tmp"), "--cgroup-manager", "cgroupfs", "--events-backend", "file"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def registry_flags(self):
        flags = ["--authfile", self.authfile]
        if self.reg.tls:
            flags += ["--cert-dir", self.reg.host_cert_dir]
        else:
            flags += ["--tls-verify=false"]
        return flags

    def run(self, *args, check=True, input=None):
        r = subprocess.run(self.base + list(args), capture_output=True, text=True, input=input)
        if check and r.returncode != 0:
            raise AssertionError("podman %s failed: %s" % (" ".join(args), r.stderr))
        return r

    def login(self):
        """Logs in when the registry has auth; a no-op otherwise."""
        if not self.reg.auth:
            return None
        return self.run("login", *self.registry_flags(), "-u", self.reg.user, "--password-stdin", self.reg.host,
                        input=self.reg.password)

    def pull(self, ref, check=True):
        return self.run("pull", "-q", *self.registry_flags(), ref, check=check)

    def push(self, src, dst, extra=(), check=True):
        return self.run("push", "-q", *self.registry_flags(), *extra, src, dst, check=check)

    def inspect(self, ref):
        return json.loads(self.run("image", "inspect", ref).stdout)[0]

    def close(self):
        if self.tmp is not None:
            subprocess.run(self.base + ["rmi", "-af"], capture_output=True)
            self.tmp.close()
            self.tmp = None


def main():
    tls = "--no-tls" not in sys.argv
    auth = "--no-auth" not in sys.argv
    with Registry(tls=tls, auth=auth, tag="reg-manual") as reg:
        print("registry  %s://%s  (pid %d)" % (reg.scheme, reg.host, reg.proc.pid))
        if tls:
            print("certs     HUTCH_CERTS_DIR=%s" % reg.certs_dir)
            print("          podman/skopeo --cert-dir %s" % reg.host_cert_dir)
        if auth:
            print("login     -u %s -p %s %s" % (reg.user, reg.password, reg.host))
        print("storage   %s\nlog       %s\nCtrl-C to stop" % (reg.storage, reg.log_path), flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
