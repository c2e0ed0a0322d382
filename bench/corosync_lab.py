"""Three real Corosync 3 daemons, each in a network namespace this benchmark creates.

Topology: a hub namespace with a bridge; node namespaces h3c<i>-<pid> with 10.213.0.<i>/24
on a veth into the hub. Each corosync runs under `unshare --mount` with private tmpfs /run,
/var/lib/corosync and /var/log/corosync. Everything is removed on exit (namespaces deleted,
processes killed). Needs root, `ip`, `unshare` and `corosync`; nothing here is hacluster.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

SUBNET = "10.213.0"


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=30)


def why_not_runnable() -> str | None:
    if os.geteuid() != 0:
        return "needs root for network namespaces"
    for tool in ("corosync", "ip", "unshare", "corosync-quorumtool"):
        if shutil.which(tool) is None:
            return f"{tool} not installed"
    return None


def corosync_conf(token_ms: int, consensus_ms: int, retransmits: int = 10) -> str:
    nodes = "".join(f"    node {{\n        ring0_addr: {SUBNET}.{i}\n        nodeid: {i}\n    }}\n"
                    for i in (1, 2, 3))
    return ("totem {\n    version: 2\n    cluster_name: bench\n    transport: udpu\n"
            f"    token: {token_ms}\n    token_coefficient: 0\n    consensus: {consensus_ms}\n"
            f"    join: 60\n    max_messages: 20\n    token_retransmits_before_loss_const: {retransmits}\n"
            "    crypto_cipher: none\n    crypto_hash: none\n}\n"
            f"nodelist {{\n{nodes}}}\nquorum {{\n    provider: corosync_votequorum\n}}\n"
            "logging {\n    to_stderr: yes\n    to_syslog: no\n}\n")


class CorosyncLab:
    def __init__(self, token_ms: int, consensus_ms: int, retransmits: int = 10) -> None:
        tag = f"{os.getpid() % 100000}"
        self.hub = f"h3hub-{tag}"
        self.names = [f"h3c{i}-{tag}" for i in (1, 2, 3)]
        self.dir = Path(tempfile.mkdtemp(prefix="h3-corosync-"))
        self.conf = self.dir / "corosync.conf"
        self.conf.write_text(corosync_conf(token_ms, consensus_ms, retransmits))
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> CorosyncLab:
        sh("ip", "netns", "add", self.hub)
        sh("ip", "-n", self.hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.hub, "link", "set", "br0", "up")
        for i, name in enumerate(self.names, start=1):
            sh("ip", "netns", "add", name)
            sh("ip", "-n", name, "link", "set", "lo", "up")
            sh("ip", "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name",
               f"p{i}", "netns", self.hub)
            sh("ip", "-n", name, "addr", "add", f"{SUBNET}.{i}/24", "dev", "eth0")
            sh("ip", "-n", name, "link", "set", "eth0", "up")
            sh("ip", "-n", self.hub, "link", "set", f"p{i}", "master", "br0")
            sh("ip", "-n", self.hub, "link", "set", f"p{i}", "up")
        return self

    def __exit__(self, *_: object) -> None:
        for index in list(self.procs):
            self.kill(index, signal.SIGKILL)
        for name in [*self.names, self.hub]:
            sh("ip", "netns", "del", name, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, index: int) -> None:
        script = ("mount -t tmpfs tmpfs /run && mkdir -p /var/lib/corosync /var/log/corosync "
                  "&& mount -t tmpfs tmpfs /var/lib/corosync "
                  "&& mount -t tmpfs tmpfs /var/log/corosync "
                  f"&& exec corosync -f -c {self.conf}")
        log = open(self.dir / f"n{index}.log", "ab")  # noqa: SIM115 - owned by the child
        self.procs[index] = subprocess.Popen(
            ["ip", "netns", "exec", self.names[index - 1], "unshare", "--mount", "sh", "-c",
             script], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, index: int, sig: int) -> None:
        proc = self.procs.pop(index, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def pid_of(self, index: int) -> int | None:
        """The corosync process itself (the child of sh/unshare after exec)."""
        proc = self.procs.get(index)
        if proc is None:
            return None
        found = sh("pgrep", "-g", str(proc.pid), "-x", "corosync", check=False).stdout.split()
        return int(found[0]) if found else None

    def quorum(self, index: int) -> tuple[int, bool]:
        """(nodes in the membership, quorate) as node `index` sees it; (0, False) if down."""
        done = sh("ip", "netns", "exec", self.names[index - 1], "corosync-quorumtool", "-s",
                  check=False)
        nodes, quorate = 0, False
        for line in done.stdout.splitlines():
            if line.startswith("Nodes:"):
                nodes = int(line.split()[1])
            if line.startswith("Quorate:"):
                quorate = line.split()[1] == "Yes"
        return nodes, quorate

    def exec_in(self, index: int, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.names[index - 1], *args]


def wait_for(predicate, timeout_s: float, poll_s: float = 0.01):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    return None
