#!/usr/bin/python3
"""Cold image pulls side by side: hutch against podman, skopeo and a plain
curl | tar pipeline (bench/pull.sh).

  pull.py [-n N] [--size MB] [--tls | --plain] [--hutch PATH]

Starts a private docker-registry on 127.0.0.1 (TLS from a test CA by
default, no auth), pushes tests/fixtures/make-big-image.sh's image (busybox
plus SIZE MB of real files from /usr, two gzip layers) with skopeo, then N
times (default 5; iteration 0 warms caches and is not counted), rotating the
order of the tools each iteration, pulls the image cold into a fresh
directory with:
  hutch      hutch --root DIR pull -q REF        (unpacks into its store)
  podman     podman --root DIR pull -q REF       (unpacks into overlay storage)
  skopeo     skopeo copy docker://REF oci:DIR    (downloads and verifies; no unpack)
  curl|tar   for each layer in turn: curl -s BLOB_URL | tar -xz -C DIR
             (the floor: no verification, no store)
with the file system synced before each one (so no tool pays for the
write-back or deletions of the one before), and measures wall time, peak RSS (GNU time %M: the largest process of the
command, so the larger of curl and tar for the pipeline) and the disk used
after the pull (du -sb of DIR). Prints medians, and the ratios of hutch to
each other tool. hutch is skipped with a note when the binary is missing or
has no `pull` command. Everything lives in marked temp dirs, removed at the
end; the registry is killed by pid. Needs root (podman's storage).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "testlib"))
import hutchtest as ht  # noqa: E402
import registry as reg_lib  # noqa: E402

MAKE_BIG = os.path.join(REPO, "tests", "fixtures", "make-big-image.sh")


def hutch_has_pull(binary):
    if not binary or not os.access(binary, os.X_OK):
        return "%s not found (not built yet?)" % binary
    r = subprocess.run([binary, "pull", "--help"], capture_output=True, text=True)
    if r.returncode != 0:
        return "%s has no pull command yet" % binary
    return None


class Tool:
    """One way to pull: argv for a fresh destination dir, and its disk use."""

    def __init__(self, name, make_argv, env=None, store=lambda d: d, cleanup=None):
        self.name, self.make_argv, self.env, self.store, self.cleanup = name, make_argv, env, store, cleanup
        self.wall, self.rss, self.disk = [], [], []


def du(path):
    out = subprocess.run(["du", "-sb", path], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0])


def remove(path):
    if ht.mount_points_under(path):
        raise RuntimeError("still mounted under %s: %s" % (path, ht.mount_points_under(path)))
    shutil.rmtree(path, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5, help="pulls per tool (default 5)")
    ap.add_argument("--size", type=int, default=150, help="MB of /usr files in the big layer (default 150)")
    ap.add_argument("--plain", action="store_true", help="plain http registry instead of TLS")
    ap.add_argument("--hutch", default=os.environ.get("HUTCH") or os.path.join(REPO, "build", "hutch"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench: must run as root")
        return 77
    missing = reg_lib.missing_tools("docker-registry", "skopeo", "podman", "curl", "openssl", "htpasswd")
    if missing or not os.access("/usr/bin/time", os.X_OK):
        print("bench: not installed: %s" % ", ".join(missing + ([] if os.access("/usr/bin/time", os.X_OK)
                                                                   else ["time (/usr/bin/time)"])))
        return 77

    tmp = ht.TempDir("bench-pull")
    # podman refuses a --runroot longer than 50 characters: its own short dir.
    podrun = ht.TempDir("bpr")
    reg = None
    try:
        archive = tmp.join("big.tar")
        t0 = time.perf_counter()
        subprocess.run([MAKE_BIG, archive, str(args.size)], check=True)
        made = time.perf_counter() - t0
        reg = reg_lib.Registry(tls=not args.plain, auth=False, tag="reg-bench").start()
        reg.skopeo_copy("oci-archive:" + archive, reg.ref("big:latest"))
        os.unlink(archive)
        ref = reg.host + "/big:latest"
        manifest = json.loads(reg.skopeo_inspect("big:latest", raw=True))
        compressed = sum(l["size"] for l in manifest["layers"])

        conf = reg_lib.registries_conf(tmp.join("registries.json"), insecure=[reg.host] if args.plain else [])
        tools = []
        why_not = hutch_has_pull(args.hutch)
        if why_not:
            print("hutch     skipped: %s" % why_not)
        else:
            env = dict(os.environ, HUTCH_REGISTRIES_CONF=conf)
            if reg.tls:
                env["HUTCH_CERTS_DIR"] = reg.certs_dir
            tools.append(Tool("hutch", lambda d: [args.hutch, "--root", d, "--config", d + "-config",
                                                  "pull", "-q", ref], env=env))
        tls = ["--cert-dir", reg.host_cert_dir] if reg.tls else ["--tls-verify=false"]

        def podman_argv(d):
            run = os.path.join(podrun.path, os.path.basename(d))
            return ["podman", "--root", d, "--runroot", run, "--tmpdir", d + "-tmp", "--cgroup-manager", "cgroupfs",
                    "--events-backend", "file", "pull", "-q"] + tls + [ref]

        def podman_cleanup(d):
            run = os.path.join(podrun.path, os.path.basename(d))
            subprocess.run(["podman", "--root", d, "--runroot", run, "--tmpdir", d + "-tmp", "--cgroup-manager",
                            "cgroupfs", "--events-backend", "file", "rmi", "-af"], capture_output=True)
            remove(run)
            remove(d + "-tmp")

        tools.append(Tool("podman", podman_argv, cleanup=podman_cleanup))
        src_tls = ["--src-cert-dir", reg.host_cert_dir] if reg.tls else ["--src-tls-verify=false"]
        tools.append(Tool("skopeo", lambda d: ["skopeo", "--insecure-policy", "copy", "-q"] + src_tls +
                          ["docker://" + ref, "oci:%s:latest" % d]))
        cacert = "--cacert %s " % reg.ca_path if reg.tls else ""
        pipeline = " && ".join("curl -sSf %s%s | tar -xz -C \"$1\"" % (cacert, reg.url("/v2/big/blobs/" + l["digest"]))
                               for l in manifest["layers"])
        tools.append(Tool("curl|tar", lambda d: ["sh", "-c", "mkdir -p \"$1\" && " + pipeline, "sh", d]))

        print("image: %d layers, %.1f MB compressed (gzip), %d MB of /usr files; made in %.1fs; registry %s://%s"
              % (len(manifest["layers"]), compressed / 1e6, args.size, made, reg.scheme, reg.host))
        print("cold pulls into a fresh dir, %d per tool after one warm-up, tools rotated each iteration"
              % args.n, flush=True)
        rss_file = tmp.join("rss")
        for i in range(args.n + 1):
            k = i % len(tools)
            for t in tools[k:] + tools[:k]:
                d = tmp.join("%s-%d" % (t.name.replace("|", "-"), i))
                cmd = ["/usr/bin/time", "-o", rss_file, "-f", "%M"] + t.make_argv(d)
                t0 = time.perf_counter()
                r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=t.env)
                wall = time.perf_counter() - t0
                if r.returncode != 0:
                    raise RuntimeError("%s pull failed (exit %d): %s" % (t.name, r.returncode, r.stderr[-2000:]))
                with open(rss_file) as f:
                    rss = int(f.read().split()[-1])
                disk = du(t.store(d))
                if t.cleanup:
                    t.cleanup(d)
                remove(d)
                if os.path.exists(d + "-config"):
                    remove(d + "-config")
                # Settle the file system (write-back of this pull, freeing of
                # the tree just removed) so the next tool is not charged for it.
                os.sync()
                if i == 0:
                    continue
                t.wall.append(wall)
                t.rss.append(rss)
                t.disk.append(disk)
                print("  %d %-9s %7.2fs %8.1f MiB RSS %8.1f MB disk" % (i, t.name, wall, rss / 1024, disk / 1e6),
                      flush=True)

        print()
        print("medians over %d pulls" % args.n)
        print("%-9s %9s %13s %11s" % ("tool", "wall s", "peak RSS MiB", "disk MB"))
        med = {}
        for t in tools:
            med[t.name] = (statistics.median(t.wall), statistics.median(t.rss) / 1024, statistics.median(t.disk) / 1e6)
            print("%-9s %9.2f %13.1f %11.1f" % ((t.name,) + med[t.name]))
        base = "hutch" if "hutch" in med else "podman"
        if base != "hutch":
            print("(hutch not measured: ratios against podman instead)")
        for other in [t.name for t in tools if t.name != base]:
            w, r, d = (a / b if b else float("nan") for a, b in zip(med[base], med[other]))
            print("ratio %s/%s: wall %.2f, peak RSS %.2f, disk %.2f" % (base, other, w, r, d))
    finally:
        if reg is not None:
            reg.close()
        podrun.close()
        tmp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
