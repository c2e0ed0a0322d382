"""The demo's live steps: form the ring, CPG total order, crash / leave / rejoin timings.

Owns steps 2-4 of `python -m hacluster.demo`, one small function each; every line
they print comes from a real daemon or one of our tools, and every figure is measured here
(time.monotonic around the event). Must never decide anything about the protocol (the
daemons do) and never start a process except through `DemoCluster`.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hacluster.api import cpg
from hacluster.demo.cluster import DemoCluster, DemoFailed, wait_until

FORM_TIMEOUT_S = 30.0
RING_TIMEOUT_S = 15.0
CPG_GROUP = "demo"
CPG_PER_NODE = 3
Say = Callable[[str], None]


@dataclass
class Figures:
    """What the demo measured, for the closing line (milliseconds)."""

    token_ms: int = 0
    consensus_ms: int = 0
    form_ms: int = 0
    sigkill_ring_ms: int = 0
    rejoin_ms: int = 0
    sigterm_ring_ms: int = 0
    alone_ms: int = 0
    regain_ms: int = 0
    cpg_messages: int = 0
    notes: list[str] = field(default_factory=list)


def members_text(cluster: DemoCluster, members: tuple[int, ...]) -> str:
    addresses = {n.address: f"node-{n.index}" for n in cluster.nodes}
    by_id = {int.from_bytes(bytes(int(p) for p in a.split(".")), "big") & 0x7FFFFFFF: name
             for a, name in addresses.items()}
    return ", ".join(by_id.get(m, str(m)) for m in members)


def wait_for_ring(cluster: DemoCluster, indexes: tuple[int, ...], started: float,
                  timeout_s: float = RING_TIMEOUT_S) -> tuple[str, tuple[int, ...], int]:
    """Wait until exactly `indexes` share a ring; (ring id, members, ms since `started`)."""
    ring = wait_until(lambda: (r := cluster.ring_of(indexes)) and len(r[1]) == len(indexes)
                      and r, timeout_s)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    if not ring:
        raise DemoFailed(f"nodes {indexes} formed no common ring within {timeout_s:.0f} s\n"
                         f"{cluster.logs()}")
    return ring[0], ring[1], elapsed_ms


def show_tool(cluster: DemoCluster, say: Say, index: int, *argv: str) -> int:
    done = cluster.tool(index, *argv)
    say(f"$ {' '.join(argv)}    # on node-{index}, exit {done.returncode}")
    for line in (done.stdout + done.stderr).rstrip("\n").splitlines():
        say(f"    {line}")
    return done.returncode


def start_node(cluster: DemoCluster, say: Say, index: int) -> None:
    cluster.start(index)
    node = cluster.node(index)
    assert node.process is not None
    say(f"started haclusterd node-{index} on {node.address} (pid {node.process.pid})")


def step_form_ring(cluster: DemoCluster, say: Say, figures: Figures) -> None:
    started = time.monotonic()
    for index in (1, 2, 3):
        start_node(cluster, say, index)
    ring_id, members, figures.form_ms = wait_for_ring(cluster, (1, 2, 3), started,
                                                      FORM_TIMEOUT_S)
    say(f"ring of 3 formed: ring id {ring_id}, members {members_text(cluster, members)}"
        f" ({figures.form_ms} ms after the first start)")
    time.sleep(0.3)  # let every member finish recovery so the tools see a settled view
    show_tool(cluster, say, 1, "corosync-cfgtool", "-s")
    show_tool(cluster, say, 1, "corosync-quorumtool", "-s")


def cpg_reader(cluster: DemoCluster, index: int, want: int, out: list[tuple[str, str]],
               joined: threading.Event, ready: threading.Event) -> None:
    """A CPG process on node `index`: join the group, then record every delivery."""
    with cpg.CpgClient(str(cluster.node(index).state_dir), timeout_ms=15_000) as conn:
        conn.subscribe("CpgDeliver", "CpgConfigChange")
        conn.join(CPG_GROUP, 100 + index)
        joined.set()
        for message in conn.events():
            if isinstance(message, cpg.CpgConfigChange) and len(message.members) == 3:
                ready.set()
            if isinstance(message, cpg.CpgDeliver) and message.group == CPG_GROUP:
                out.append((f"node-{index}", message.data.decode()))
                if len(out) >= want:
                    return


def cpg_send_all(cluster: DemoCluster, index: int) -> None:
    with cpg.CpgClient(str(cluster.node(index).state_dir)) as conn:
        for n in range(1, CPG_PER_NODE + 1):
            conn.send(CPG_GROUP, 100 + index, f"from node-{index} #{n}".encode())


def step_cpg(cluster: DemoCluster, say: Say, figures: Figures) -> None:
    want = CPG_PER_NODE * 3
    logs: list[list[tuple[str, str]]] = [[], [], []]
    joined = [threading.Event() for _ in range(3)]
    ready = [threading.Event() for _ in range(3)]
    readers = [threading.Thread(target=cpg_reader, args=(cluster, i + 1, want, logs[i],
                                                         joined[i], ready[i]), daemon=True)
               for i in range(3)]
    for reader in readers:
        reader.start()
    if not all(e.wait(10) for e in joined) or not all(e.wait(10) for e in ready):
        raise DemoFailed("the CPG group did not reach 3 members")
    say(f"one process per node joined CPG group '{CPG_GROUP}' (IPC cpg_join); each node now"
        f" sends {CPG_PER_NODE} messages (IPC cpg_send), all three nodes at the same time;"
        " each column is one node's delivery order")
    senders = [threading.Thread(target=cpg_send_all, args=(cluster, i), daemon=True)
               for i in (1, 2, 3)]
    for thread in senders:
        thread.start()
    for thread in senders + readers:
        thread.join(20)
    show_cpg_orders(say, logs, want)
    figures.cpg_messages = want


def show_cpg_orders(say: Say, logs: list[list[tuple[str, str]]], want: int) -> None:
    say(f"  {'#':>2}  {'delivered on node-1':<22}{'on node-2':<22}{'on node-3':<22}")
    for n in range(want):
        cells = [log[n][1] if n < len(log) else "(missing)" for log in logs]
        say(f"  {n + 1:>2}  " + "".join(f"{cell:<22}" for cell in cells))
    orders = [[data for _, data in log] for log in logs]
    if any(len(order) != want for order in orders):
        raise DemoFailed(f"CPG deliveries missing: {[len(o) for o in orders]} of {want}")
    if not orders[0] == orders[1] == orders[2]:
        raise DemoFailed("CPG delivered the messages in different orders")
    say(f"all {want} messages arrived on all three nodes in the same order")


def step_crash_and_rejoin(cluster: DemoCluster, say: Say, figures: Figures) -> None:
    say("SIGKILL node-3 (a crash: no goodbye)")
    started = time.monotonic()
    cluster.signal(3, signal.SIGKILL)
    ring_id, members, figures.sigkill_ring_ms = wait_for_ring(cluster, (1, 2), started)
    cluster.wait_exit(3)
    say(f"node-1 and node-2 formed ring {ring_id} ({members_text(cluster, members)})"
        f" {figures.sigkill_ring_ms} ms after the kill")
    say("  (node-3's host is alive, so its kernel answers the token with ICMP port-unreachable:"
        " two such answers make the token holder start a new ring at once; a silent loss"
        f" would take token + consensus = {figures.token_ms + figures.consensus_ms} ms)")
    show_quorum_line(cluster, say, 1)
    say("restart node-3 (same state dir)")
    started = time.monotonic()
    start_node(cluster, say, 3)
    ring_id, members, figures.rejoin_ms = wait_for_ring(cluster, (1, 2, 3), started)
    say(f"node-3 rejoined: ring {ring_id} ({members_text(cluster, members)})"
        f" {figures.rejoin_ms} ms after its restart")


def show_quorum_line(cluster: DemoCluster, say: Say, index: int) -> Any:
    status = wait_until(lambda: cluster.node(index).status(), 5)
    if status is None:
        raise DemoFailed(f"node-{index} does not answer status requests")
    say(f"node-{index} sees: quorate {'yes' if status.quorate else 'NO'},"
        f" {status.total_votes} of {status.expected_votes} votes (quorum {status.quorum})")
    return status


def step_leave_and_regain(cluster: DemoCluster, say: Say, figures: Figures) -> None:
    time.sleep(0.3)  # a settled ring before the next measurement
    say("SIGTERM node-2 (a graceful leave)")
    started = time.monotonic()
    cluster.signal(2, signal.SIGTERM)
    ring_id, members, figures.sigterm_ring_ms = wait_for_ring(cluster, (1, 3), started)
    rc = cluster.wait_exit(2)
    say(f"node-1 and node-3 formed ring {ring_id} {figures.sigterm_ring_ms} ms after the"
        f" SIGTERM; node-2 exited with status {rc}")
    say("  (a leaving node says so before it goes: no timeout is waited out)")
    say("SIGTERM node-3 too: node-1 is left alone")
    started = time.monotonic()
    cluster.signal(3, signal.SIGTERM)
    _, _, figures.alone_ms = wait_for_ring(cluster, (1,), started)
    cluster.wait_exit(3)
    say(f"node-1 is alone in its ring {figures.alone_ms} ms later")
    rc = show_tool(cluster, say, 1, "corosync-quorumtool", "-s")
    say(f"corosync-quorumtool exit status {rc}: "
        + ("2 means no quorum, as expected (1 of 3 votes)" if rc == 2 else "UNEXPECTED"))
    if rc != 2:
        figures.notes.append(f"quorumtool on a lone node exited {rc}, expected 2")
    say("restart node-2: two of three votes again")
    started = time.monotonic()
    start_node(cluster, say, 2)
    _, _, figures.regain_ms = wait_for_ring(cluster, (1, 2), started)
    status = wait_until(lambda: (s := cluster.node(1).status()) and s.quorate and s, 5)
    figures.regain_ms = int((time.monotonic() - started) * 1000)
    show_quorum_line(cluster, say, 1)
    if not status:
        raise DemoFailed("node-1 did not regain quorum with node-2 back")
    say(f"quorum regained {figures.regain_ms} ms after node-2's restart")
