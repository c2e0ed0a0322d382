"""The node's external vocabulary: what comes in (facts) and what goes out (commands).

Every core's step(now_ms, event) takes one of the inputs and returns a list of outputs,
which the driver (daemon or simulator) executes in order. Persist comes before any Send
that depends on it. Must never hold behaviour: these are plain frozen values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hacluster.common import NodeId

# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed; the core checks its deadlines."""


@dataclass(frozen=True, slots=True)
class PacketIn:
    """A datagram arrived. `src` is the transport address it came from, for counting and
    logs only: the sender's identity comes from the (authenticated) packet itself."""

    data: bytes
    src: str = ""


@dataclass(frozen=True, slots=True)
class PeerUnreachable:
    """The transport has positive evidence that nothing listens at a member's address
    (ICMP port unreachable seen on a connected socket)."""

    node_id: NodeId


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """A local client (tool) asked for something; `request_id` ties the Reply to it."""

    request_id: int
    name: str
    body: Any = None


@dataclass(frozen=True, slots=True)
class AgentDone:
    """A resource or fence agent finished (or timed out: rc and status say which)."""

    call_id: int
    rc: int
    status: str = "done"
    output: str = ""


@dataclass(frozen=True, slots=True)
class SchedulerDone:
    """The scheduler finished on the CIB of version `cib_version`."""

    cib_version: tuple[int, int, int]
    transition: Any


@dataclass(frozen=True, slots=True)
class Shutdown:
    """The operator asked this node to leave the cluster gracefully."""


# ---------------------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class Send:
    """Send one datagram to one member."""

    dst: NodeId
    data: bytes


@dataclass(frozen=True, slots=True)
class Multicast:
    """Send one datagram to every configured member but ourselves (udpu: a unicast each)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Persist:
    """Write `data` durably under `name` (atomically) before the outputs that follow."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class RunAgent:
    """Run an agent action; its result comes back as AgentDone(call_id)."""

    call_id: int
    agent: str
    action: str
    env: tuple[tuple[str, str], ...] = ()
    timeout_ms: int = 20_000


@dataclass(frozen=True, slots=True)
class RunScheduler:
    """Run the (slow, pure) scheduler on this CIB; the answer comes as SchedulerDone."""

    cib_version: tuple[int, int, int]
    cib_xml: bytes
    now_s: int


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer a ClientRequest."""

    request_id: int
    ok: bool
    body: Any = None
    problems: tuple[Any, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Log:
    """A state-change line for the node's log (the driver stamps the time)."""

    level: str
    message: str
