"""Three real Corosync 3 + Pacemaker 2.1 nodes, each in namespaces this benchmark creates.

Run as issue 11 describes: each node is a network namespace (`perf-<tag>-n<i>`, a veth
into a bridge in the hub namespace `perf-<tag>-hub`, 10.213.<k>.<i>/24) plus a mount and
UTS namespace (`unshare --mount --uts --propagation private`) with its own /run and /dev/shm
and bind-mounted /var/lib/corosync, /var/lib/pacemaker/{cib,pengine,blackbox,cores} (owned
hacluster:haclient) and /var/log/pacemaker. `corosync -f` starts first, then
`nsenter -t <corosync pid> -m -n -u -- pacemakerd -f` with PCMK_logfacility=none; every
CLI call goes through the same nsenter (libqb IPC needs that namespace's /dev/shm). The
same cib.xml is written into each node's cib dir before the start.

A node's /run is a directory of this lab bind-mounted (not a tmpfs), so the benchmark sees
the Dummy's state file (HA_RSCTMP=/run/resource-agents) from outside, as it does ours.
Everything is removed on exit, Ctrl-C and SIGTERM included: every process of every node
killed, namespaces deleted, directories removed. Needs root, iproute2, util-linux, corosync
and pacemaker; nothing here is hacluster. Traffic stays inside the lab's namespaces.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

PREFIX = "perf-"
TOOLS = ("corosync", "pacemakerd", "ip", "unshare", "nsenter", "crm_resource")
PCMK_DIRS = ("cib", "pengine", "blackbox", "cores")


def why_not_runnable() -> str | None:
    """None when the real stack can run here, else why not (the caller falls back)."""
    if os.geteuid() != 0:
        return "needs root for namespaces"
    for tool in TOOLS:
        if shutil.which(tool) is None:
            return f"{tool} not installed"
    try:
        import pwd
        pwd.getpwnam("hacluster")
    except KeyError:
        return "no hacluster user (pacemaker not installed)"
    return None


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=60)


def corosync_conf(subnet: str, timings: dict[str, int]) -> str:
    nodes = "".join(f"    node {{\n        ring0_addr: {subnet}.{i}\n        nodeid: {i}\n"
                    f"        name: node{i}\n    }}\n" for i in (1, 2, 3))
    return ("totem {\n    version: 2\n    cluster_name: bench\n    transport: udpu\n"
            f"    token: {timings['token']}\n    consensus: {timings['consensus']}\n"
            f"    token_coefficient: {timings['token_coefficient']}\n"
            "    crypto_cipher: none\n    crypto_hash: none\n}\n"
            f"nodelist {{\n{nodes}}}\nquorum {{\n    provider: corosync_votequorum\n}}\n"
            "logging {\n    to_stderr: yes\n    to_syslog: no\n    timestamp: on\n}\n")


def cib_xml(configuration: str) -> str:
    return ('<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7" '
            f'crm_feature_set="3.16.1">{configuration}<status/></cib>\n')


def mount_ns(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


class PacemakerLab:
    """Three nodes (1, 2, 3); `start(i)` runs corosync then pacemakerd in node i's namespaces."""

    def __init__(self, timings: dict[str, int], configuration: str) -> None:
        tag = f"{os.getpid() % 100000}"
        self.subnet = f"10.213.{os.getpid() % 200 + 20}"
        self.hub = f"{PREFIX}{tag}-hub"
        self.names = {i: f"{PREFIX}{tag}-n{i}" for i in (1, 2, 3)}
        self.dir = Path(tempfile.mkdtemp(prefix="perf-lab-"))
        self.conf = self.dir / "corosync.conf"
        self.conf.write_text(corosync_conf(self.subnet, timings))
        self.configuration = configuration
        self.procs: dict[int, list[subprocess.Popen[bytes]]] = {}
        self.mnt: dict[int, str] = {}
        self.started_ns: list[str] = []

    # ------------------------------------------------------------------ set up, tear down

    def __enter__(self) -> PacemakerLab:
        try:
            self._network()
            for i in (1, 2, 3):
                self._node_dirs(i)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _network(self) -> None:
        sh("ip", "netns", "add", self.hub)
        self.started_ns.append(self.hub)
        sh("ip", "-n", self.hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.hub, "link", "set", "br0", "up")
        for i, name in self.names.items():
            sh("ip", "netns", "add", name)
            self.started_ns.append(name)
            sh("ip", "-n", name, "link", "set", "lo", "up")
            sh("ip", "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name",
               f"p{i}", "netns", self.hub)
            sh("ip", "-n", name, "addr", "add", f"{self.subnet}.{i}/24", "dev", "eth0")
            sh("ip", "-n", name, "link", "set", "eth0", "up")
            sh("ip", "-n", self.hub, "link", "set", f"p{i}", "master", "br0")
            sh("ip", "-n", self.hub, "link", "set", f"p{i}", "up")

    def _node_dirs(self, i: int) -> None:
        import grp
        import pwd
        uid, gid = pwd.getpwnam("hacluster").pw_uid, grp.getgrnam("haclient").gr_gid
        root = self.node_dir(i)
        for sub in ("run", "corosync", "log", *PCMK_DIRS):
            (root / sub).mkdir(parents=True)
        for sub in ("log", *PCMK_DIRS):
            os.chown(root / sub, uid, gid)
            os.chmod(root / sub, 0o770)
        cib = root / "cib" / "cib.xml"
        cib.write_text(cib_xml(self.configuration))
        os.chown(cib, uid, gid)
        os.chmod(cib, 0o600)

    def __exit__(self, *_: object) -> None:
        for i in list(self.procs):
            self.signal_node(i, signal.SIGKILL)
            for proc in self.procs.pop(i):
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        for name in reversed(self.started_ns):
            sh("ip", "netns", "del", name, check=False)
        self.started_ns = []
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ nodes

    def node_dir(self, i: int) -> Path:
        return self.dir / f"node{i}"

    def start(self, i: int, timeout_s: float = 20.0) -> None:
        """corosync -f in fresh namespaces, then pacemakerd -f entered into them."""
        root = self.node_dir(i)
        binds = [f"mount --bind {root / 'run'} /run", f"mount --bind {root / 'corosync'} /var/lib/corosync",
                 f"mount --bind {root / 'log'} /var/log/pacemaker",
                 *(f"mount --bind {root / d} /var/lib/pacemaker/{d}" for d in PCMK_DIRS)]
        script = " && ".join([
            "mount -t tmpfs tmpfs /dev/shm", *binds,
            "mkdir -p /run/resource-agents /run/crm", f"hostname node{i}",
            f"exec corosync -f -c {self.conf}"])
        log = open(root / "corosync.out", "ab")  # noqa: SIM115 - owned by the child
        corosync = subprocess.Popen(
            ["ip", "netns", "exec", self.names[i], "unshare", "--mount", "--uts",
             "--propagation", "private", "sh", "-c", script],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[i] = [corosync]
        host_ns = mount_ns(os.getpid())
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ns = mount_ns(corosync.pid)
            if ns is not None and ns != host_ns and self._is_corosync(corosync.pid):
                break
            if corosync.poll() is not None:
                raise RuntimeError(f"corosync of node{i} exited: {(root / 'corosync.out').read_text()[-500:]}")
            time.sleep(0.01)
        else:
            raise RuntimeError(f"corosync of node{i} did not start")
        self.mnt[i] = mount_ns(corosync.pid) or ""
        self._wait_ipc(i, deadline)
        env = {**os.environ, "PCMK_logfacility": "none",
               "PCMK_logfile": "/var/log/pacemaker/pacemaker.log"}
        plog = open(root / "pacemakerd.out", "ab")  # noqa: SIM115 - owned by the child
        pacemakerd = subprocess.Popen(
            ["nsenter", "-t", str(corosync.pid), "-m", "-n", "-u", "--", "pacemakerd", "-f"],
            stdout=plog, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.procs[i].append(pacemakerd)

    @staticmethod
    def _is_corosync(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip() == "corosync"
        except OSError:
            return False

    def _wait_ipc(self, i: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            done = self.run(i, "corosync-cfgtool", "-s", check=False)
            if done.returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError(f"corosync of node{i} never answered")

    def run(self, i: int, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A CLI call inside node i's namespaces (as the issue ran them)."""
        pid = self.procs[i][0].pid
        return sh("nsenter", "-t", str(pid), "-m", "-n", "-u", "--", *argv, check=check)

    def pids(self, i: int) -> list[int]:
        """Every process of node i: those in its mount namespace."""
        want = self.mnt.get(i)
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and want and mount_ns(int(entry)) == want:
                found.append(int(entry))
        return sorted(found)

    def signal_node(self, i: int, sig: int) -> None:
        for pid in self.pids(i):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        for proc in self.procs.get(i, []):
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def holders(self, among: tuple[int, ...] = (1, 2, 3)) -> list[int]:
        """The nodes whose Dummy state file exists (the Dummy is running there)."""
        return [i for i in among
                if (self.node_dir(i) / "run" / "resource-agents" / "Dummy-dummy.state").exists()]

    def state_file(self, i: int) -> Path:
        return self.node_dir(i) / "run" / "resource-agents" / "Dummy-dummy.state"

    def log(self, i: int) -> str:
        path = self.node_dir(i) / "log" / "pacemaker.log"
        return path.read_text(errors="replace") if path.exists() else ""
