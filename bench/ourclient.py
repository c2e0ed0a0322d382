"""The same CPG client as bench/cpgclient.py, but for haclusterd (its IPC socket).

    python bench/ourclient.py STATE_DIR recv GROUP COUNT PID    "ready", then "done <ns>"
    python bench/ourclient.py STATE_DIR send GROUP COUNT SIZE PID   "start <ns>", "sent <ns>"
Sends are pipelined (binary cpg_send frames written back to back in batches of SEND_BATCH,
replies drained by a thread), as libcpg's cpg_mcast_joined does not wait for delivery either.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

from hacluster.api import cpg
from hacluster.common import ipcwire

SEND_BATCH = 32  # frames per write


def receive(state_dir: str, group: str, count: int, pid: int) -> None:
    with cpg.CpgClient(state_dir, timeout_ms=180_000) as conn:
        conn.subscribe("CpgDeliver")
        conn.join(group, pid)
        print("ready", flush=True)
        got = 0
        for message in conn.events():
            if isinstance(message, cpg.CpgDeliver) and message.group == group:
                got += 1
                if got >= count:
                    break
    print(f"done {time.monotonic_ns()}", flush=True)


def send(state_dir: str, group: str, count: int, size: int, pid: int) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.path.join(state_dir, ipcwire.SOCKET_NAME))
    replies = threading.Event()

    def drain() -> None:
        got, buffer = 0, b""
        while got < count:
            chunk = sock.recv(1 << 18)
            if not chunk:
                break
            buffer += chunk
            at = 0  # count whole frames by their headers; copy only the tail
            while len(buffer) - at >= 4 and len(buffer) - at >= 4 + (
                    size := int.from_bytes(buffer[at:at + 4], "big")):
                at += 4 + size
                got += 1
            buffer = buffer[at:]
        replies.set()

    threading.Thread(target=drain, daemon=True).start()
    data = b"x" * size
    print(f"start {time.monotonic_ns()}", flush=True)
    batch: list[bytes] = []
    for n in range(count):
        batch.append(ipcwire.encode_cpg_send(n + 1, group, pid, data))
        if len(batch) == SEND_BATCH or n == count - 1:
            sock.sendall(b"".join(batch))  # libcpg's shared-memory ring costs no syscall
            batch.clear()
    replies.wait(180)
    print(f"sent {time.monotonic_ns()}", flush=True)
    sock.close()


if __name__ == "__main__":
    where, mode, group_name, number = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if mode == "recv":
        receive(where, group_name, number, int(sys.argv[5]))
    else:
        send(where, group_name, number, int(sys.argv[5]), int(sys.argv[6]))
