"""Hostile traffic against live daemons with secauth on: garbage, forgeries and replays are
dropped, counted by reason in corosync-cmapctl's stats map and warned about once per peer;
the ring is untouched. Spoofing a member's address needs raw sockets (root); without root
only the parts a plain socket can do run.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import Cluster, Daemon, config_text, ring_of, wait_until
from rawnet import Capture, is_root, send_spoofed

BIN = Path(sys.executable).parent


def start_secure(cluster: Cluster) -> list[Daemon]:
    key = cluster.root / "authkey"
    key.write_bytes(os.urandom(128))
    text = config_text(cluster.port, secauth=True, keyfile=str(key))
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    return daemons


def cmap_stats(daemon: Daemon) -> dict[str, int]:
    """`corosync-cmapctl stats.` of a node, through the console script, as numbers."""
    done = subprocess.run([str(BIN / "corosync-cmapctl"), "stats."], capture_output=True,
                          text=True, timeout=30,
                          env={**os.environ, "HACLUSTER_STATE_DIR": str(daemon.state_dir)})
    assert done.returncode == 0, done.stderr
    found = re.findall(r"^(stats\.\S+) \(u64\) = (\d+)$", done.stdout, re.M)
    return {key: int(value) for key, value in found}


def warnings_about(daemon: Daemon, peer: str) -> list[str]:
    return [line for line in daemon.log.read_text().splitlines()
            if f"garbage from peer dropped peer={peer} " in line]


def test_garbage_forgeries_and_replays_are_counted_by_reason_and_warned_about_once(
        cluster: Cluster) -> None:
    daemons = start_secure(cluster)
    one = daemons[0]
    ring = ring_of(daemons)
    before = cmap_stats(one)
    assert before["stats.srp.udp.received"] > 0
    assert all(before[f"stats.hacluster.drops.{r}"] == 0
               for r in ("malformed", "foreign", "forged", "replayed", "relayed"))

    target = (one.address, cluster.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.bind(("127.0.0.9", 0))
        for n in range(50):
            stranger.sendto(b"junk %d" % n, target)
    forged = replayed = 0
    if is_root():
        member_two = (daemons[1].address, cluster.port)
        capture = Capture(cluster.port)
        try:
            seen = [d for d in capture.read(1.0) if d.dst == target]
        finally:
            capture.close()
        assert seen, "the ring talks to node 1 (node 3 passes it the token)"
        for datagram in seen[:30]:
            send_spoofed(datagram.src, target, [datagram.payload])
        replayed = len(seen[:30])
        forged = 40
        send_spoofed(member_two, target, [os.urandom(80) for _ in range(forged)])

    after = wait_until(lambda: (s := cmap_stats(one))["stats.hacluster.drops.foreign"] >= 50
                       and s["stats.hacluster.drops.forged"] >= forged
                       and s["stats.hacluster.drops.replayed"] >= replayed and s, 10)
    assert after, cmap_stats(one)
    assert after["stats.hacluster.drops.foreign"] == 50
    assert after["stats.hacluster.drops.forged"] == forged
    assert after["stats.hacluster.drops.replayed"] == replayed
    assert after["stats.srp.udp.dropped"] >= 50 + forged + replayed
    assert after["stats.srp.udp.received"] > before["stats.srp.udp.received"]
    assert len(warnings_about(one, "127.0.0.9")) == 1, one.log.read_text()[-2000:]
    if is_root():
        assert len(warnings_about(one, f"127.0.0.2:{cluster.port}")) == 1
    time.sleep(1.5)  # more than a token timeout: nothing of it broke the ring
    assert ring_of(daemons) == ring, cluster.logs()
    if not is_root():
        pytest.skip("forged and replayed datagrams from a member's address need root")
