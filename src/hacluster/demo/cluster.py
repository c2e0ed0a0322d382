"""The demo's live loopback cluster: three real `haclusterd` processes on 127.0.0.1/2/3.

Owns writing the demo's temp copy of corosync.loopback.conf (free port, fast timings, a
quorum section), starting each daemon in its own process group, signalling it, polling
its status over IPC, running our corosync-* tools against it, and killing every process
group it started. Must never send traffic outside 127.0.0.0/8 and never leave a process
behind: `DemoCluster.kill_all` is safe to call at any time, more than once.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hacluster.api import cluster as cluster_api
from hacluster.common import HaError

ADDRESSES = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
SEED_PORT = 5405
FAST_TOKEN_MS = 1000
FAST_CONSENSUS_MS = 1200
QUORUM_SECTION = "quorum {\n    provider: corosync_votequorum\n}\n"
LOGGING_SECTION = "logging {\n    to_stderr: yes\n    timestamp: on\n    debug: off\n}\n"


class DemoFailed(Exception):
    """A step did not reach the state it waits for, or a tool failed; the message says which."""


def tool_path(name: str) -> str:
    """Our console script next to this interpreter (the venv), never the system's tool."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    assert found is not None, f"{name} is not installed"
    return found


def is_port_free(port: int) -> bool:
    """True when `port` binds on every loopback address the demo uses."""
    probes: list[socket.socket] = []
    try:
        for address in ADDRESSES:
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probes.append(probe)
            probe.bind((address, port))
        return True
    except OSError:
        return False
    finally:
        for probe in probes:
            probe.close()


def choose_port(wanted: int) -> int:
    """`wanted` when it is free on 127.0.0.1-3, else the first free port above 20000."""
    if is_port_free(wanted):
        return wanted
    base = 20000 + os.getpid() % 20000
    for port in range(base, base + 2000):
        if is_port_free(port):
            return port
    raise RuntimeError("no free UDP port on 127.0.0.1-3")


def port_note(wanted: int, port: int) -> str:
    """Say honestly why the live config uses `port`."""
    if port != wanted:
        return f"UDP port {wanted} is busy here: using mcastport {port} instead"
    if port != SEED_PORT:
        return f"mcastport {port} as asked (--port / $HACLUSTER_DEMO_PORT), not the seed's 5405"
    return f"mcastport {SEED_PORT} as in the seed (free on 127.0.0.1-3)"


def live_config_text(seed: str, port: int, fast: bool) -> tuple[str, list[str]]:
    """The seed config with our port (and fast timings, a quorum and a logging section when
    missing); plus one line per change, so the demo can say what it changed."""
    notes: list[str] = []
    text = re.sub(r"(mcastport:\s*)\d+", rf"\g<1>{port}", seed)
    if fast:
        text = re.sub(r"(\btoken:\s*)\d+", rf"\g<1>{FAST_TOKEN_MS}", text)
        text = re.sub(r"(\bconsensus:\s*)\d+", rf"\g<1>{FAST_CONSENSUS_MS}", text)
        notes.append(f"token {FAST_TOKEN_MS} ms / consensus {FAST_CONSENSUS_MS} ms instead of"
                     " the seed's timings, to keep the demo short")
    else:
        notes.append("the seed's Totem timings, unchanged")
    if not re.search(r"^\s*quorum\s*\{", text, re.M):
        text += QUORUM_SECTION
        notes.append("added quorum { provider: corosync_votequorum } (the seed has none)")
    if not re.search(r"^\s*logging\s*\{", text, re.M):
        text += LOGGING_SECTION
    return text, notes


@dataclass
class DemoNode:
    """One haclusterd: its address, state dir, log file and process (its own group)."""

    index: int
    address: str
    state_dir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def status(self) -> cluster_api.ClusterStatus | None:
        try:
            return cluster_api.local_status(str(self.state_dir))
        except HaError:
            return None

    def log_tail(self, lines: int = 15) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class DemoCluster:
    """Three loopback nodes sharing one config file; every process group is remembered."""

    root: Path
    config: Path
    nodes: list[DemoNode] = field(default_factory=list)
    started_pgids: set[int] = field(default_factory=set)

    @classmethod
    def create(cls, root: Path, config_text: str) -> DemoCluster:
        config = root / "corosync.conf"
        config.write_text(config_text, encoding="utf-8")
        nodes = [DemoNode(i, address, root / f"node-{i}", root / f"node-{i}.log")
                 for i, address in enumerate(ADDRESSES, start=1)]
        return cls(root, config, nodes)

    def node(self, index: int) -> DemoNode:
        return self.nodes[index - 1]

    def start(self, index: int) -> None:
        node = self.node(index)
        assert not node.is_running(), f"node {index} is already running"
        node.state_dir.mkdir(parents=True, exist_ok=True)
        with open(node.log, "ab") as log:
            node.process = subprocess.Popen(
                [tool_path("haclusterd"), "-f", "-c", str(self.config),
                 "--address", node.address, "--state-dir", str(node.state_dir)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.started_pgids.add(node.process.pid)

    def signal(self, index: int, sig: int) -> None:
        process = self.node(index).process
        assert process is not None
        os.killpg(process.pid, sig)

    def wait_exit(self, index: int, timeout_s: float = 10.0) -> int:
        process = self.node(index).process
        assert process is not None
        return process.wait(timeout_s)

    def kill_all(self) -> None:
        """SIGKILL every process group this demo started (even ones whose leader exited)."""
        for pgid in sorted(self.started_pgids):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        self.started_pgids.clear()

    def ring_of(self, indexes: tuple[int, ...]) -> tuple[str, tuple[int, ...]] | None:
        """(ring id, members) when exactly these nodes report one common ring of themselves."""
        return cluster_api.common_ring([self.node(i).status() for i in indexes])

    def tool(self, index: int, *argv: str) -> subprocess.CompletedProcess[str]:
        """One of our corosync-* tools, pointed at node `index` through HACLUSTER_STATE_DIR."""
        env = {**os.environ, "HACLUSTER_STATE_DIR": str(self.node(index).state_dir)}
        return subprocess.run([tool_path(argv[0]), *argv[1:]], capture_output=True,
                              text=True, timeout=30, env=env, stdin=subprocess.DEVNULL)

    def logs(self) -> str:
        return "\n".join(f"--- node-{n.index} log (last lines)\n{n.log_tail()}"
                         for n in self.nodes)


def wait_until(predicate: Callable[[], Any], timeout_s: float, poll_s: float = 0.005) -> Any:
    """The first truthy value of `predicate`, or None once `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll_s)
