"""`pcs cluster start|stop [--all | NODE...] [--wait]` and `pcs cluster status` on three
loopback nodes of one corosync.conf: pcs finds each node's state dir under
$HACLUSTER_STATE_ROOT, starts its haclusterd detached, waits for it to join, and stops it
(refusing a local stop that would lose the quorum unless --force)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import config_text, pick_port, wait_until

from hacluster.api import cluster as cluster_api
from hacluster.common import HaError

BIN = Path(sys.executable).parent
NAMES = ("127.0.0.1", "127.0.0.2", "127.0.0.3")


@pytest.fixture
def nodes_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "nodes"
    try:
        yield root
    finally:  # the daemons pcs detached: kill their process groups by their pid files
        for name in NAMES:
            pid_file = root / name / "haclusterd.pid"
            text = pid_file.read_text().strip() if pid_file.exists() else ""
            if text.isdigit():
                try:
                    os.killpg(int(text), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def pcs(root: Path, conf: Path, *args: str, node: str = "",
        timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CIB_file", "HACLUSTER_STATE_DIR")}
    env["HACLUSTER_STATE_ROOT"] = str(root)
    if node:
        env["HACLUSTER_STATE_DIR"] = str(root / node)
    return subprocess.run([str(BIN / "pcs"), "--corosync_conf", str(conf), *args],
                          capture_output=True, text=True, timeout=timeout_s, env=env)


def running(root: Path, name: str) -> bool:
    return (root / name / "haclusterd.sock").exists() and pcs_ping(root / name)


def pcs_ping(state_dir: Path) -> bool:
    try:
        cluster_api.ping_daemon(str(state_dir), timeout_ms=1000)
    except HaError:
        return False
    return True


def test_pcs_starts_waits_for_reports_and_stops_loopback_nodes(tmp_path: Path,
                                                               nodes_root: Path) -> None:
    conf = tmp_path / "corosync.conf"
    conf.write_text(config_text(pick_port(str(tmp_path)), token_ms=500, consensus_ms=600))
    started = pcs(nodes_root, conf, "cluster", "start", "--all", "--wait=60")
    assert started.returncode == 0, started.stderr
    for name in NAMES:
        assert f"{name}: Starting Cluster..." in started.stderr
        assert f"{name}: Started" in started.stderr
    assert "Waiting for node(s) to start..." in started.stderr
    assert all(running(nodes_root, n) for n in NAMES)
    assert (nodes_root / NAMES[0] / "haclusterd.log").exists()

    def online() -> str:
        shown = pcs(nodes_root, conf, "cluster", "status", node=NAMES[0]).stdout
        return shown if "Online: [ 127.0.0.1 127.0.0.2 127.0.0.3 ]" in shown else ""
    shown = wait_until(online, 30, poll_s=0.5)
    assert shown and shown.startswith("Cluster Status:\n Cluster Summary:\n"), shown
    again = pcs(nodes_root, conf, "cluster", "start", NAMES[0])
    assert again.returncode == 0, "starting a running node succeeds, as systemctl's does"

    stopped = pcs(nodes_root, conf, "cluster", "stop", NAMES[2])
    assert stopped.returncode == 0, stopped.stderr
    assert f"{NAMES[2]}: Stopping Cluster (pacemaker)..." in stopped.stderr
    assert not running(nodes_root, NAMES[2])
    # two of three left: stopping this node would lose the quorum
    refused = pcs(nodes_root, conf, "cluster", "stop", node=NAMES[0])
    assert refused.returncode == 1
    assert "Error: Stopping the node will cause a loss of the quorum, use --force to " \
           "override" in refused.stderr
    assert running(nodes_root, NAMES[0])
    everything = pcs(nodes_root, conf, "cluster", "stop", "--all")
    assert everything.returncode == 0, everything.stderr
    assert not any(running(nodes_root, n) for n in NAMES)
    unknown = pcs(nodes_root, conf, "cluster", "start", "nosuch", "other")
    assert unknown.returncode == 1
    assert unknown.stderr.count("does not appear to exist in configuration") == 2
