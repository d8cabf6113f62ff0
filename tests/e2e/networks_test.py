#!/usr/bin/python3
"""hutch's networks as a Docker user meets them, through Debian's CNI plugins,
on a private store made from busybox-static plus a static UDP tool (/udp):

- containers on a user network reach each other by name and alias, TCP and
  UDP; a container on another network cannot reach them; --internal has no
  way out; the default bridge reaches the host and goes out through NAT;
- published ports (-p, UDP too, -P) serve a client in the test's namespace,
  `hutch port` lists them, stopping the container frees them;
- a macvlan network puts a container on a veth standing in for the LAN,
  where a peer namespace reaches it;
- after kill -9 of every monitor and container and `hutch boot`, no veth,
  lease, namespace or firewall rule remains;
- --dns, --dns-search, --add-host, --hostname, --ip, --mac-address,
  network connect/disconnect, ls/inspect/rm/prune;
- bad input: overlapping subnet, port already published, unknown network,
  missing plugin binary: clear errors, nothing half set up.

The whole suite runs in a network namespace of its own (tests/testlib/
in-netns.sh, as ctest runs it): "the host" below is that namespace.

  HUTCH=build/hutch UDP=build/tests/probe/udp tests/testlib/in-netns.sh \\
      /usr/bin/python3 tests/e2e/networks_test.py
"""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import hutchtest as ht  # noqa: E402
from containers_test import wait_for  # noqa: E402

HUTCH = None
UDP = None
MAKE_IMAGE = os.path.join(ht.REPO, "tests/fixtures/make-image.sh")
# An address of "the host" (the suite's namespace) that containers can
# reach: 127.0.0.1 is not, so one more on the loopback (this kernel has no
# dummy interfaces).
HOST_ADDR = "198.51.100.1"
# A peer namespace standing in for the internet, behind HOST_ADDR's link.
WAN_HOST, WAN_PEER = "203.0.113.1", "203.0.113.2"

SERVE_TCP = "while true; do echo %s | nc -l -p %d; done"


def sh(*cmd, check=True, input=None, timeout=30):
    p = subprocess.run(list(cmd), input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def tcp_read(host, port, timeout=5.0):
    """Connects and returns what the server sends before closing ("" on failure)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    return data.decode()
                data += chunk
    except OSError:
        return ""


def udp_ask(host, port, msg, timeout=2.0, tries=3):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        for _ in range(tries):
            s.sendto(msg.encode(), (host, port))
            try:
                return s.recv(4096).decode()
            except socket.timeout:
                continue
    return ""


class Netns:
    """A named peer namespace (ip netns) joined to ours by a veth pair."""

    def __init__(self, tag, our_if, our_addr, peer_addr, prefix=24):
        self.name = ht.unique_id(tag)
        self.our_if = our_if
        sh("ip", "netns", "add", self.name)
        sh("ip", "link", "add", our_if, "type", "veth", "peer", "name", "peer0", "netns", self.name)
        if our_addr:
            sh("ip", "addr", "add", "%s/%d" % (our_addr, prefix), "dev", our_if)
        sh("ip", "link", "set", our_if, "up")
        self.ip("addr", "add", "%s/%d" % (peer_addr, prefix), "dev", "peer0")
        self.ip("link", "set", "peer0", "up")
        self.ip("link", "set", "lo", "up")

    def ip(self, *args):
        return sh("ip", "-n", self.name, *args)

    def run(self, *cmd, **kw):
        return sh("ip", "netns", "exec", self.name, *cmd, **kw)

    def popen(self, *cmd):
        return subprocess.Popen(["ip", "netns", "exec", self.name] + list(cmd), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def close(self):
        sh("ip", "link", "del", self.our_if, check=False)
        sh("ip", "netns", "del", self.name, check=False)


def peer_server_py(port, reply):
    """A one-shot TCP server printing its client's address (run in a peer namespace)."""
    return ("import socket\n"
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('0.0.0.0', %d)); s.listen(1)\n"
            "print('ready', flush=True)\n"
            "c, a = s.accept(); print(a[0], flush=True); c.sendall(b'%s\\n'); c.close()\n" % (port, reply))


class HostServer:
    """A TCP server in this namespace answering each connection with `reply`."""

    def __init__(self, addr, port, reply):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.sock.listen(8)
        self.reply = reply
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.sendall(self.reply)
            c.close()

    def close(self):
        self.sock.close()


class Store:
    """A private hutch store (marked --root and --runroot) with two images:
    busybox (busybox-static + /udp) and web (the same, EXPOSE 80 5000/udp)."""

    def __init__(self):
        self.tmp = ht.TempDir("net")
        self.root = self.tmp.join("root")
        self.runroot = "/run/hutch/%s" % ht.unique_id("run")
        tar = self.tmp.join("rootfs.tar")
        subprocess.run([MAKE_IMAGE, "rootfs-tar", tar], check=True, stdout=subprocess.DEVNULL)
        with tarfile.open(tar, "a") as t:
            info = tarfile.TarInfo("./udp")
            data = open(UDP, "rb").read()
            info.size, info.mode = len(data), 0o755
            t.addfile(info, io.BytesIO(data))
        self.h("import", "--change", "CMD [\"/bin/sh\"]", tar, "busybox", check=True)
        self.h("import", "--change", "CMD [\"/bin/sh\"]", "--change", "EXPOSE 80 5000/udp", tar, "web", check=True)

    def argv(self, *args):
        return [HUTCH, "--root", self.root, "--runroot", self.runroot] + list(args)

    def h(self, *args, check=False, input=None, timeout=60, env=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run(self.argv(*args), input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout, env=e)
        if check and p.returncode != 0:
            raise AssertionError("%s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def inspect(self, name):
        return json.loads(self.h("inspect", name, check=True).stdout)[0]

    def ip_of(self, name, network=None):
        nets = self.inspect(name)["NetworkSettings"]["Networks"]
        return nets[network]["IPAddress"] if network else self.inspect(name)["NetworkSettings"]["IPAddress"]

    def netns_files(self):
        d = os.path.join(self.runroot, "netns")
        # .lock and the per-network .isolated-<id> markers are not a container's.
        return sorted(f for f in os.listdir(d) if not f.startswith(".")) if os.path.isdir(d) else []

    def leases(self):
        """host-local's lease files (one per address handed out)."""
        out = []
        d = os.path.join(self.runroot, "ipam")
        for dirpath, _, files in os.walk(d):
            out += [os.path.join(dirpath, f) for f in files
                    if f != "lock" and not f.startswith("last_reserved_ip")]
        return out

    def close(self):
        for cid in self.h("ps", "-aq", "--no-trunc").stdout.split():
            self.h("rm", "-f", cid)
        for line in self.h("network", "ls", "-q", "--no-trunc").stdout.split():
            self.h("network", "rm", line)
        leftovers = self.netns_files()
        mounts = ht.mount_points_under(self.root) + ht.mount_points_under(self.runroot)
        self.tmp.close()
        subprocess.run(["rm", "-rf", self.runroot])
        return leftovers, mounts


def veths():
    return sh("ip", "-o", "link", "show", "type", "veth").stdout.strip()


class NetCase(unittest.TestCase):
    def setUp(self):
        self.s = Store()
        self.peers = []

    def tearDown(self):
        leftovers, mounts = self.s.close()
        for p in self.peers:
            p.close()
        self.assertEqual(leftovers, [], "network namespaces/records left behind")
        self.assertEqual(mounts, [], "mounts left behind")

    def peer(self, *args, **kw):
        n = Netns(*args, **kw)
        self.peers.append(n)
        return n

    def run_d(self, *args):
        return self.s.h("run", "-d", *args, check=True).stdout.strip()


class UserNetworks(NetCase):
    def test_names_tcp_udp_isolation_internal(self):
        h = self.s.h
        h("network", "create", "app", check=True)
        h("network", "create", "other", check=True)
        h("network", "create", "--internal", "sealed", check=True)
        self.run_d("--name", "srv", "--network", "app", "--network-alias", "web", "busybox", "sh", "-c",
                   SERVE_TCP % ("hello", 80))
        self.run_d("--name", "usrv", "--network", "app", "busybox", "/udp", "serve", "5000")
        srv_ip = self.s.ip_of("srv")
        self.assertTrue(srv_ip.startswith("172."), srv_ip)
        # TCP by name and by alias, UDP by name.
        for target in ("srv", "web"):
            p = h("run", "--rm", "--network", "app", "busybox", "nc", "-w", "3", target, "80")
            self.assertEqual((p.returncode, p.stdout.strip()), (0, "hello"), "%s: %s" % (target, p.stderr))
        p = h("run", "--rm", "--network", "app", "busybox", "/udp", "ask", "usrv", "5000", "hi")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "echo:hi"), p.stderr)
        # Both servers see each other too (their /etc/hosts was updated).
        p = h("exec", "usrv", "nc", "-w", "3", "srv", "80")
        self.assertEqual(p.stdout.strip(), "hello", p.stderr)
        # Another network: neither the names nor the addresses.
        p = h("run", "--rm", "--network", "other", "busybox", "/udp", "ask", "usrv", "5000", "hi")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not found", p.stderr)
        p = h("run", "--rm", "--network", "other", "busybox", "sh", "-c",
              "nc -w 2 %s 80; /udp ask %s 5000 hi" % (srv_ip, self.s.ip_of("usrv")))
        self.assertNotIn("hello", p.stdout)
        self.assertNotIn("echo:hi", p.stdout)
        # The host (this namespace) is reachable from a user network, not from an internal one.
        sh("ip", "addr", "add", HOST_ADDR + "/32", "dev", "lo")
        try:
            server = HostServer(HOST_ADDR, 9000, b"host\n")
            p = h("run", "--rm", "--network", "app", "busybox", "nc", "-w", "3", HOST_ADDR, "9000")
            self.assertEqual((p.returncode, p.stdout.strip()), (0, "host"), p.stderr)
            p = h("run", "--rm", "--network", "sealed", "busybox", "sh", "-c",
                  "ip route; nc -w 2 %s 9000 && echo REACHED" % HOST_ADDR)
            self.assertNotIn("REACHED", p.stdout)
            self.assertNotIn("host", p.stdout)
            self.assertNotIn("default", p.stdout)
            server.close()
        finally:
            sh("ip", "addr", "del", HOST_ADDR + "/32", "dev", "lo", check=False)
        # inspect: the network lists its running containers.
        net = json.loads(h("network", "inspect", "app", check=True).stdout)[0]
        names = sorted(c["Name"] for c in net["Containers"].values())
        self.assertEqual(names, ["srv", "usrv"])
        self.assertEqual(h("network", "rm", "app").returncode, 1, "rm of a network in use must fail")

    def test_default_bridge_nat_and_flags(self):
        h = self.s.h
        wan = self.peer("wan", "wan0", WAN_HOST, WAN_PEER)
        server = wan.popen("python3", "-c", peer_server_py(9100, "from-wan"))
        self.assertEqual(server.stdout.readline().strip(), "ready")
        p = h("run", "--rm", "busybox", "sh", "-c", "ip -4 -o addr show eth0; nc -w 3 %s 9100" % WAN_PEER)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("172.17.", p.stdout)
        self.assertIn("from-wan", p.stdout)
        # Outbound NAT: the peer saw this namespace's address, not the container's.
        self.assertEqual(server.stdout.readline().strip(), WAN_HOST)
        server.wait(timeout=5)
        # The docker flags that shape a container's network files.
        h("network", "create", "--subnet", "10.77.0.0/24", "flags", check=True)
        p = h("run", "--rm", "--network", "flags", "--hostname", "h1", "--dns", "192.0.2.53", "--dns-search",
              "example.com", "--dns-option", "ndots:2", "--add-host", "foo:192.0.2.7", "--ip", "10.77.0.50",
              "--mac-address", "02:42:0a:4d:00:32", "busybox", "sh", "-c",
              "cat /etc/resolv.conf /etc/hosts /etc/hostname; ip -o addr show eth0; ip -o link show eth0")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nameserver 192.0.2.53", p.stdout)
        self.assertIn("search example.com", p.stdout)
        self.assertIn("options ndots:2", p.stdout)
        self.assertRegex(p.stdout, r"192\.0\.2\.7\s+foo")
        self.assertRegex(p.stdout, r"10\.77\.0\.50\s+h1")
        self.assertIn("10.77.0.50/24", p.stdout)
        self.assertIn("02:42:0a:4d:00:32", p.stdout)

    def test_connect_disconnect(self):
        h = self.s.h
        h("network", "create", "--subnet", "10.78.0.0/24", "one", check=True)
        h("network", "create", "--subnet", "10.79.0.0/24", "two", check=True)
        self.run_d("--name", "cc", "--network", "one", "busybox", "sleep", "1000")
        self.run_d("--name", "peer", "--network", "two", "busybox", "sleep", "1000")
        h("network", "connect", "--alias", "cee", "two", "cc", check=True)
        p = h("exec", "cc", "ip", "-4", "-o", "addr")
        self.assertIn("10.78.0.", p.stdout)
        self.assertIn("10.79.0.", p.stdout)
        self.assertIn("two", self.s.inspect("cc")["NetworkSettings"]["Networks"])
        # The peer on "two" now finds cc by its name and alias.
        p = h("exec", "peer", "sh", "-c", "ping -c1 -W2 cc && ping -c1 -W2 cee")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(h("network", "connect", "two", "cc").returncode, 1, "connecting twice must fail")
        h("network", "disconnect", "two", "cc", check=True)
        p = h("exec", "cc", "ip", "-4", "-o", "addr")
        self.assertNotIn("10.79.0.", p.stdout)
        p = h("exec", "peer", "ping", "-c1", "-W1", "cc")
        self.assertNotEqual(p.returncode, 0)


    def test_inspect_and_system_prune(self):
        h = self.s.h
        h("network", "create", "--label", "team=a", "keep", check=True)
        h("network", "create", "drop", check=True)
        self.run_d("--name", "kk", "--network", "keep", "busybox", "sleep", "1000")
        net = json.loads(h("inspect", "keep", check=True).stdout)[0]
        self.assertEqual((net["Name"], net["Driver"], net["Labels"]), ("keep", "bridge", {"team": "a"}))
        self.assertEqual([c["Name"] for c in net["Containers"].values()], ["kk"])
        self.assertEqual(h("inspect", "--type", "network", "--format", "{{.Name}}", "bridge", check=True).stdout,
                         "bridge\n")
        p = h("system", "prune", "-f", check=True)
        self.assertIn("Deleted Networks:\ndrop\n", p.stdout)
        names = h("network", "ls", "--format", "{{.Name}}", check=True).stdout.split()
        self.assertIn("keep", names)
        self.assertNotIn("drop", names)


class Ports(NetCase):
    def test_publish_udp_all_and_free_on_stop(self):
        h = self.s.h
        sh("ip", "addr", "add", HOST_ADDR + "/32", "dev", "lo")
        try:
            self.run_d("--name", "p1", "-p", "8080:80", "-p", "5353:5000/udp", "busybox", "sh", "-c",
                       "/udp serve 5000 & " + SERVE_TCP % ("hello", 80))
            self.assertEqual(wait_for(lambda: tcp_read(HOST_ADDR, 8080).strip(), what="tcp via 8080"), "hello")
            self.assertEqual(wait_for(lambda: tcp_read("127.0.0.1", 8080).strip(), what="tcp via loopback"), "hello")
            self.assertEqual(udp_ask(HOST_ADDR, 5353, "u"), "echo:u")
            lines = h("port", "p1", check=True).stdout.split("\n")
            self.assertIn("80/tcp -> 0.0.0.0:8080", lines)
            self.assertIn("5000/udp -> 0.0.0.0:5353", lines)
            self.assertIn("0.0.0.0:8080->80/tcp", h("ps", "--format", "{{.Ports}}", check=True).stdout)
            # The same host port again: refused, nothing half set up.
            before = (self.s.netns_files(), veths())
            p = h("run", "--rm", "-p", "8080:80", "busybox", "true")
            self.assertEqual(p.returncode, 125, p.stderr)
            self.assertIn("8080", p.stderr)
            self.assertIn("already in use", p.stderr)
            self.assertEqual((self.s.netns_files(), veths()), before)
            # -P: the image's exposed ports on free host ports.
            self.run_d("--name", "p2", "-P", "web", "sh", "-c", "/udp serve 5000 & " + SERVE_TCP % ("all", 80))
            ports = json.loads(h("inspect", "--format", "{{json .NetworkSettings.Ports}}", "p2",
                                 check=True).stdout)
            tcp_port = int(ports["80/tcp"][0]["HostPort"])
            udp_port = int(ports["5000/udp"][0]["HostPort"])
            self.assertNotIn(tcp_port, (0, 8080))
            self.assertEqual(wait_for(lambda: tcp_read(HOST_ADDR, tcp_port).strip(), what="-P tcp"), "all")
            self.assertEqual(udp_ask(HOST_ADDR, udp_port, "v"), "echo:v")
            # Stopping frees the ports: nothing answers, the rules are gone, another may take them.
            h("stop", "-t", "1", "p1", check=True)
            self.assertEqual(tcp_read(HOST_ADDR, 8080, timeout=2), "")
            self.assertNotIn("8080", sh("iptables-save", "-t", "nat").stdout)
            self.run_d("--name", "p3", "-p", "8080:80", "busybox", "sh", "-c", SERVE_TCP % ("again", 80))
            self.assertEqual(wait_for(lambda: tcp_read(HOST_ADDR, 8080).strip(), what="8080 again"), "again")
        finally:
            sh("ip", "addr", "del", HOST_ADDR + "/32", "dev", "lo", check=False)


    def test_concurrent_starts_never_share_a_port(self):
        results = []

        def one(i):
            results.append(self.s.h("run", "-d", "--name", "race%d" % i, "-p", "8095:80", "busybox", "sleep", "100"))
        threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.returncode for r in results)
        self.assertEqual(codes, [0, 125, 125], [r.stderr for r in results])
        self.assertEqual(self.s.h("ps", "-q").stdout.count("\n"), 1)


class Macvlan(NetCase):
    def test_lan_peer_reaches_container(self):
        h = self.s.h
        lan = self.peer("lan", "lan0", None, "192.168.77.2")
        h("network", "create", "-d", "macvlan", "--subnet", "192.168.77.0/24", "--gateway", "192.168.77.1",
          "-o", "parent=lan0", "lan", check=True)
        self.run_d("--name", "m1", "--network", "lan", "--ip", "192.168.77.10", "busybox", "sh", "-c",
                   SERVE_TCP % ("macvlan", 80))
        got = wait_for(lambda: lan.run("python3", "-c",
                                       "import socket; s = socket.create_connection(('192.168.77.10', 80), 3);"
                                       "print(s.recv(100).decode().strip())", check=False).stdout.strip(),
                       what="the LAN peer reaching the container")
        self.assertEqual(got, "macvlan")
        p = h("run", "--rm", "--network", "lan", "busybox", "ping", "-c1", "-W2", "192.168.77.2")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class Crash(NetCase):
    def test_boot_after_kill_leaves_nothing(self):
        h = self.s.h
        h("network", "create", "crashnet", check=True)
        ids = [self.run_d("--name", n, "--network", "crashnet", "-p", port + ":80", "busybox", "sleep", "1000")
               for n, port in (("c1", "8091"), ("c2", "8092"))]
        ips = [self.s.ip_of(i) for i in ids]
        self.assertTrue(self.s.leases())
        self.assertTrue(veths())
        for cid in ids:
            monitor = int(open(os.path.join(self.s.runroot, cid[:12], "monitor.pid")).read())
            os.kill(monitor, signal.SIGKILL)
        for cid in ids:
            os.kill(self.s.inspect(cid)["State"]["Pid"], signal.SIGKILL)
        time.sleep(0.5)
        h("boot", check=True)
        self.assertEqual(veths(), "", "veths left")
        self.assertEqual(self.s.leases(), [], "address leases left")
        self.assertEqual(self.s.netns_files(), [], "namespaces or records left")
        rules = sh("iptables-save").stdout
        for ip in ips:
            self.assertNotIn(ip, rules)
        for port in ("8091", "8092"):
            self.assertNotIn(port, rules)
        self.assertEqual([self.s.inspect(i)["State"]["Status"] for i in ids], ["exited", "exited"])


class BadInput(NetCase):
    def test_errors_leave_nothing(self):
        h = self.s.h
        h("network", "create", "--subnet", "10.50.0.0/16", "a", check=True)
        p = h("network", "create", "--subnet", "10.50.1.0/24", "b")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("overlaps", p.stderr)
        self.assertNotIn("b", h("network", "ls", "--format", "{{.Name}}", check=True).stdout.split())
        p = h("run", "--rm", "--network", "nope", "busybox", "true")
        self.assertEqual(p.returncode, 125)
        self.assertIn("nope", p.stderr)
        self.assertIn("not found", p.stderr)
        self.assertEqual(h("ps", "-aq").stdout.strip(), "")
        p = h("run", "--rm", "busybox", "true", env={"CNI_PATH": "/nonexistent"})
        self.assertEqual(p.returncode, 125, p.stderr)
        self.assertIn("plugin", p.stderr)
        self.assertIn("not found", p.stderr)
        self.assertEqual((self.s.netns_files(), veths(), self.s.leases()), ([], "", []))
        p = h("run", "--rm", "-p", "80x:80", "busybox", "true")
        self.assertEqual(p.returncode, 125)
        self.assertIn("invalid", p.stderr)
        self.assertNotEqual(h("network", "rm", "bridge").returncode, 0)


def main():
    global HUTCH, UDP
    ht.require_root()
    HUTCH = os.environ.get("HUTCH") or ht.skip_all("HUTCH is not set")
    UDP = os.environ.get("UDP") or ht.skip_all("UDP (the static udp tool) is not set")
    if os.environ.get("HUTCH_TEST_NETNS") != "1":
        ht.skip_all("run through tests/testlib/in-netns.sh: this suite changes the network namespace it runs in")
    for tool in ("/usr/lib/cni/bridge", "/usr/sbin/iptables-save"):
        if not os.path.exists(tool):
            ht.skip_all("%s is missing (containernetworking-plugins, iptables)" % tool)
    ht.main()


if __name__ == "__main__":
    main()
