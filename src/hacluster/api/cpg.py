"""A local process's closed process group (CPG) connection through haclusterd.

Owns the client side of CPG for tools, the demo and tests (the role of corosync's libcpg):
subscribe to the pushed outputs, join or leave a group under a process id, send to a group,
and read the pushed events (CpgDeliver's data: the bytes sent). Must never interpret
deliveries: callers read the events.
"""

from __future__ import annotations

from collections.abc import Iterator

from hacluster.api.env import DEFAULT_TIMEOUT_MS, Client
from hacluster.events import (
    CpgConfigChange,
    CpgDeliver,
    CpgJoinRequest,
    CpgLeaveRequest,
    CpgSendRequest,
    PushedEvent,
    Subscribe,
)

__all__ = ["CpgClient", "CpgConfigChange", "CpgDeliver", "PushedEvent"]


class CpgClient:
    """One connection to the local daemon, used as a CPG process (or several)."""

    def __init__(self, state_dir_path: str | None = None,
                 timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.client = Client(state_dir_path, timeout_ms)

    def __enter__(self) -> CpgClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def subscribe(self, *kinds: str) -> None:
        """Push these output class names (none given: every output) to this connection."""
        self.client.call(Subscribe(tuple(kinds) or ("*",)))

    def join(self, group: str, pid: int) -> None:
        self.client.call(CpgJoinRequest(group, pid))

    def leave(self, group: str, pid: int) -> None:
        self.client.call(CpgLeaveRequest(group, pid))

    def send(self, group: str, pid: int, data: bytes, safe: bool = False) -> None:
        self.client.call(CpgSendRequest(group, pid, data, safe))

    def events(self) -> Iterator[PushedEvent]:
        return self.client.events()

