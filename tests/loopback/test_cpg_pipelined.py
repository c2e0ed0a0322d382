"""Pipelined CPG sends on real daemons: binary cpg_send frames written back to back (the hot
path bench/ring.py measures) keep total order, each sender's FIFO order and one reply per
request, mixed with JSON requests on the same connection."""

from __future__ import annotations

import socket
import threading
from typing import Any

from harness import Cluster, Daemon, config_text, ring_of, wait_until

from hacluster.api import cpg, env
from hacluster.common import Code, ipcwire
from hacluster.events import (
    IPC_CODEC,
    CpgConfigChange,
    CpgDeliver,
    CpgSendRequest,
    DaemonPing,
    IpcReply,
    IpcRequest,
)

PER_SENDER = 600
GROUP = "pipe"


def start_ring(cluster: Cluster) -> list[Daemon]:
    text = config_text(cluster.port)
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: (r := ring_of(daemons)) and len(r[1]) == 3, 30), cluster.logs()
    return daemons


def receive(daemon: Daemon, want: int, out: list[Any], joined: threading.Event,
            viewed: threading.Event) -> None:
    with cpg.CpgClient(str(daemon.state_dir), timeout_ms=20_000) as conn:
        conn.subscribe("CpgDeliver", "CpgConfigChange")
        conn.join(GROUP, 500 + daemon.index)
        joined.set()
        for message in conn.events():
            if isinstance(message, CpgConfigChange) and len(message.members) == 3:
                viewed.set()
            elif isinstance(message, CpgDeliver) and message.group == GROUP:
                out.append((message.pid, message.data.decode()))
                if len(out) >= want:
                    return


def send_pipelined(daemon: Daemon, pid: int) -> list[Any]:
    """PER_SENDER sends written without waiting; every 50th through the codec (not the binary
    frame). Returns the replies."""
    frames = []
    for n in range(PER_SENDER):
        data = f"{pid}-{n}-" + "y" * (n % 1500)  # small ones packed, large ones fragmented
        if n % 50 == 0:
            frames.append(ipcwire.frame(IPC_CODEC.encode(IpcRequest(
                n + 1, CpgSendRequest(GROUP, pid, data.encode())))))
        else:
            frames.append(ipcwire.encode_cpg_send(n + 1, GROUP, pid, data.encode()))
    with env.Client(str(daemon.state_dir), timeout_ms=20_000) as conn:
        sock = conn._sock  # the raw socket: the requests go out back to back
        sock.sendall(b"".join(frames))
        return [conn._receive() for _ in range(PER_SENDER)]


def test_pipelined_binary_sends_keep_total_and_fifo_order_with_one_reply_each(
        cluster: Cluster) -> None:
    daemons = start_ring(cluster)
    want = 2 * PER_SENDER
    logs: list[list[Any]] = [[], [], []]
    joined = [threading.Event() for _ in daemons]
    viewed = [threading.Event() for _ in daemons]
    readers = [threading.Thread(target=receive, args=(d, want, logs[i], joined[i], viewed[i]),
                                daemon=True) for i, d in enumerate(daemons)]
    for reader in readers:
        reader.start()
    assert all(e.wait(10) for e in joined) and all(e.wait(10) for e in viewed)
    replies: dict[int, list[Any]] = {}
    senders = [threading.Thread(target=lambda d=d, p=p: replies.__setitem__(
        p, send_pipelined(d, p))) for d, p in ((daemons[0], 71), (daemons[1], 72))]
    for thread in senders:
        thread.start()
    for thread in senders + readers:
        thread.join(30)
    assert all(len(log) == want for log in logs), [len(log) for log in logs]
    assert logs[0] == logs[1] == logs[2]
    for pid in (71, 72):
        mine = [data for sender, data in logs[0] if sender == pid]
        assert mine == [f"{pid}-{n}-" + "y" * (n % 1500) for n in range(PER_SENDER)]
        assert [r.id for r in replies[pid]] == list(range(1, PER_SENDER + 1))
        assert all(r.ok for r in replies[pid])


def test_a_truncated_binary_frame_gets_a_protocol_error_and_the_connection_stays_usable(
        cluster: Cluster) -> None:
    daemons = start_ring(cluster)
    bad = ipcwire.CPG_SEND_MARK + b"\x00\x01"
    with env.Client(str(daemons[0].state_dir)) as conn:
        sock: socket.socket = conn._sock
        sock.sendall(ipcwire.FRAME_HEADER.pack(len(bad)) + bad)
        refusal = conn._receive()
        assert isinstance(refusal, IpcReply) and refusal.ok is False
        assert refusal.problems[0].code is Code.IPC_PROTOCOL
        assert conn.call(DaemonPing()).pid > 0


def test_binary_cpg_send_frames_decode_to_the_fields_of_the_request() -> None:
    frame = ipcwire.encode_cpg_send(2**40, "grüp", 4242, b"\x00\xffdata")
    payload = frame[ipcwire.FRAME_HEADER.size:]
    assert ipcwire.FRAME_HEADER.unpack_from(frame)[0] == len(payload)
    assert ipcwire.decode_cpg_send(payload) == ipcwire.CpgSendFrame(
        2**40, "grüp", 4242, b"\x00\xffdata")
    for cut in range(1, len(ipcwire.CPG_SEND_MARK) + ipcwire.CPG_SEND_HEAD.size + 5):
        assert ipcwire.decode_cpg_send(payload[:cut]) is None
    assert ipcwire.decode_cpg_send(b'{"name":"cpg_send"}') is None


def test_a_binary_cpg_payload_with_every_byte_value_arrives_intact_on_every_node(
        cluster: Cluster) -> None:
    daemons = start_ring(cluster)
    payloads = [bytes(range(256)), bytes(range(255, -1, -1)), b"\xff\xfe\x00", b"",
                "gr\u00fc\u00df".encode("latin-1")]
    got: list[list[bytes]] = [[], [], []]
    drops: list[dict[Code, int]] = []
    joined = [threading.Event() for _ in daemons]
    viewed = [threading.Event() for _ in daemons]

    def collect(index: int) -> None:
        with cpg.CpgClient(str(daemons[index].state_dir), timeout_ms=20_000) as conn:
            conn.subscribe("CpgDeliver", "CpgConfigChange")
            conn.join(GROUP, 600 + index)
            joined[index].set()
            for message in conn.events():
                if isinstance(message, CpgConfigChange) and len(message.members) == 3:
                    viewed[index].set()
                elif isinstance(message, CpgDeliver) and message.group == GROUP:
                    got[index].append(message.data)
                    if len(got[index]) == len(payloads):
                        drops.append(dict(conn.client.drops))
                        return

    readers = [threading.Thread(target=collect, args=(i,), daemon=True) for i in range(3)]
    for reader in readers:
        reader.start()
    assert all(e.wait(10) for e in joined) and all(e.wait(10) for e in viewed)
    with cpg.CpgClient(str(daemons[0].state_dir)) as sender:
        for data in payloads:
            sender.send(GROUP, 600, data)
    for reader in readers:
        reader.join(20)
    assert got == [payloads, payloads, payloads] and drops == [{}, {}, {}]
