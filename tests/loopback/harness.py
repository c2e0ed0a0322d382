"""Loopback harness: real haclusterd processes on 127.0.0.1/2/3, configs, status polling.

Each test gets its own state dirs (tmp) and its own mcastport (chosen from the tmp path
and pid, checked free), so parallel runs do not clash. Every daemon runs in its own
process group and the finalizer kills every group it started, even when the test fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hacluster.api import cluster as api
from hacluster.api import env
from hacluster.common import HaError
from hacluster.demo import cluster as demo_cluster

REPO = Path(__file__).resolve().parents[2]
DAEMON = [sys.executable, "-m", "hacluster.drivers.daemon"]
ADDRESSES = ("127.0.0.1", "127.0.0.2", "127.0.0.3")


def pick_port(seed: str) -> int:
    """A UDP port free on every loopback address we use, derived from `seed` and our pid."""
    base = 21000 + zlib.crc32(f"{seed}:{os.getpid()}".encode()) % 30000
    for port in range(base, base + 500):
        probes = []
        try:
            for address in ADDRESSES:
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(probe)
                probe.bind((address, port))
            return port
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError("no free port")


def config_text(port: int, token_ms: int = 1000, consensus_ms: int = 1200,
                secauth: bool = False, keyfile: str = "", members: int = 3,
                retransmits: int = 10) -> str:
    """The eayunstack loopback config (1.x member dialect), with our port and timings."""
    member_lines = "".join(
        f"        member {{\n            memberaddr: 127.0.0.{n}\n        }}\n"
        for n in range(1, members + 1))
    crypto = f"    secauth: on\n    keyfile: {keyfile}\n" if secauth else "    secauth: off\n"
    return (
        "totem {\n    version: 2\n"
        f"    token: {token_ms}\n    token_retransmits_before_loss_const: {retransmits}\n"
        f"    join: 60\n    consensus: {consensus_ms}\n    max_messages: 20\n"
        "    clear_node_high_bit: yes\n" + crypto + "    transport: udpu\n"
        "    interface {\n" + member_lines +
        f"        ringnumber: 0\n        bindnetaddr: 127.0.0.1\n        mcastport: {port}\n"
        "    }\n}\nquorum {\n    provider: corosync_votequorum\n}\n"
        "logging {\n    to_stderr: yes\n    timestamp: on\n    debug: off\n}\n")


@dataclass
class Daemon:
    index: int
    address: str
    state_dir: Path
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*DAEMON, "-f", "-c", str(self.config), "--address", self.address,
                 "--state-dir", str(self.state_dir)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "PYTHONPATH": str(REPO / "src")})

    def signal(self, sig: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, sig)

    def wait(self, timeout_s: float = 5.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout_s)

    def status(self) -> api.ClusterStatus | None:
        try:
            return api.local_status(str(self.state_dir))
        except HaError:
            return None

    def call(self, request: Any) -> Any:
        """One IPC request (a hacluster.events request dataclass) to this node."""
        return env.call(request, state_dir_path=str(self.state_dir))

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(5)


@dataclass
class Cluster:
    root: Path
    port: int
    daemons: list[Daemon] = field(default_factory=list)

    def add(self, index: int, config: str) -> Daemon:
        path = self.root / f"corosync-{index}.conf"
        path.write_text(config)
        daemon = Daemon(index, f"127.0.0.{index}", self.root / f"n{index}", path,
                        self.root / f"n{index}.log")
        self.daemons.append(daemon)
        return daemon

    def logs(self) -> str:
        return "\n".join(f"--- node {d.index}\n{d.log.read_text()[-3000:]}"
                         for d in self.daemons if d.log.exists())

    def stop_all(self) -> None:
        for daemon in self.daemons:
            daemon.kill()


def wait_until(predicate: Callable[[], Any], timeout_s: float, poll_s: float = 0.01) -> Any:
    """The first truthy value of `predicate`, or None after `timeout_s` (the demo's wait,
    polling every 10 ms: many tests' daemons share the machine)."""
    return demo_cluster.wait_until(predicate, timeout_s, poll_s)


def ring_of(daemons: list[Daemon]) -> tuple[str, tuple[int, ...]] | None:
    """(ring id, members) when every daemon reports the same ring made of exactly them."""
    return api.common_ring([d.status() for d in daemons])
