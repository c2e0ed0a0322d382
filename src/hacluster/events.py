"""The node's external vocabulary: what comes in (facts) and what goes out (commands).

Every core's step(now_ms, event) takes one of the inputs and returns a list of outputs,
which the driver (daemon or simulator) executes in order. Persist comes before any Send
that depends on it. Must never hold behaviour: these are plain frozen values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from hacluster import replies
from hacluster.common import Codec, NodeId, Problem

# The reply bodies (hacluster.replies), re-exported: the IPC vocabulary is one import.
AttrValue = replies.AttrValue
AttrValues = replies.AttrValues
CibText = replies.CibText
CibWritten = replies.CibWritten
DaemonPid = replies.DaemonPid
FenceEvent = replies.FenceEvent
FenceOutcome = replies.FenceOutcome
FencerReport = replies.FencerReport
ReplyBody = replies.ReplyBody
CmapEntry = replies.CmapEntry
DaemonIdentity = replies.DaemonIdentity
DaemonReport = replies.DaemonReport
RingView = replies.RingView
Subscribed = replies.Subscribed

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
    """A local client (tool) asked for something (one of NodeRequest, defined with the IPC
    vocabulary at the end of this module); `request_id` ties the Reply to it."""

    request_id: int
    request: NodeRequest


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A local client asked to send `data` to every node in agreed (or, `safe`, safe) order:
    it comes back as Deliver on every member."""

    data: bytes
    safe: bool = False


@dataclass(frozen=True, slots=True)
class CpgJoinRequest:
    """Local process `pid` asked to join closed process group `group`."""

    group: str
    pid: int


@dataclass(frozen=True, slots=True)
class CpgLeaveRequest:
    """Local process `pid` asked to leave `group` (reason "leave"; "procdown" when its
    connection went away)."""

    group: str
    pid: int
    reason: str = "leave"


@dataclass(frozen=True, slots=True)
class CpgSendRequest:
    """Local process `pid` asked to send `data` to `group` (`safe`: delivered only once every
    member holds it)."""

    group: str
    pid: int
    data: bytes
    safe: bool = False


@dataclass(frozen=True, slots=True)
class ProcessExited:
    """Local process `pid` died: it leaves each of its groups with reason "procdown"."""

    pid: int


@dataclass(frozen=True, slots=True)
class AgentDone:
    """A resource or fence agent finished (or timed out: rc and status say which).
    `status` is "done" (rc is the agent's), "timeout" (its process group was killed),
    "not installed", "signal" (it died of one) or "error" (it could not be executed);
    `output` is the tail of its stdout and stderr, or the runner's reason."""

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
    stdin: str = ""  # fence agents read their parameters as key=value lines here


@dataclass(frozen=True, slots=True)
class SchedulingView:
    """What the DC knows beyond its CIB copy (hacluster.controller.scheduling lays it over)."""
    quorate: bool
    members: tuple[int, ...]
    shutting: tuple[str, ...] = ()
    own_node: str = ""  # "": the DC's own <lrm> in the CIB is current
    own_lrm_xml: str = ""
    predicted: tuple[tuple[str, str, str], ...] = ()  # (node id, name, value) about to land


@dataclass(frozen=True, slots=True)
class RunScheduler:
    """Run the (slow, pure) scheduler on this CIB; the answer comes as SchedulerDone. The DC
    gives `cib` (a CIBDocument, never encoded) and no bytes: the runner serializes it."""
    cib_version: tuple[int, int, int]
    cib_xml: bytes
    now_s: int
    cib: Any = None
    view: SchedulingView | None = None


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


# ------------------------------------------------- membership and group communication
# Added by the Totem/CPG/quorum area. Values only, like everything above.


@dataclass(frozen=True, slots=True, order=True)
class RingId:
    """A Totem ring: its representative (lowest member id) and a strictly increasing seq."""

    rep: NodeId
    seq: int

    def __str__(self) -> str:
        return f"{self.rep}.{self.seq}"


@dataclass(frozen=True, slots=True)
class Deliver:
    """An application message delivered in agreed order on ring `ring_id` (position `seq`,
    `index` within a packed datagram). `transitional` marks delivery in the transitional
    configuration (EVS: after a hole that no survivor could fill)."""

    ring_id: RingId
    seq: int
    index: int
    sender: NodeId
    data: bytes
    transitional: bool = False


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """A configuration change delivered in line with the messages (EVS): `kind` is
    "transitional" (survivors of the old ring) then "regular" (the new ring)."""

    kind: str
    ring_id: RingId
    members: tuple[NodeId, ...]
    joined: tuple[NodeId, ...] = ()
    left: tuple[NodeId, ...] = ()


@dataclass(frozen=True, slots=True)
class CpgDeliver:
    """A message of closed process group `group`, delivered in agreed order."""

    group: str
    node_id: NodeId
    pid: int
    data: bytes


@dataclass(frozen=True, slots=True)
class CpgConfigChange:
    """Membership of a group changed. `joined`/`left` hold (node_id, pid, reason) with
    reason one of "join", "leave", "nodedown", "procdown"; members are (node_id, pid)."""

    group: str
    members: tuple[tuple[NodeId, int], ...]
    joined: tuple[tuple[NodeId, int, str], ...] = ()
    left: tuple[tuple[NodeId, int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class QuorumNotice:
    """Quorum was gained or lost on this node (votequorum's view after a regular
    configuration)."""

    quorate: bool
    ring_id: RingId
    members: tuple[NodeId, ...]
    total_votes: int
    quorum: int


# ------------------------------------------------------------- cluster manager vocabulary
# Shared by the controller, the executor, attrd and the fencer; node.py routes between
# them (core siblings never import each other). Values only.


@dataclass(frozen=True, slots=True)
class OpRequest:
    """One resource operation to run on this node (what Pacemaker's controller asks its
    executor for). `rsc_id` is the lrm_resource id as Pacemaker records it (clone instance
    suffix included for unique clones); `params` become OCF_RESKEY_<name>, `meta` become
    OCF_RESKEY_CRM_meta_<name> (timeout, interval, clone ids, notify variables).
    `transition_key` is Pacemaker's "<action id>:<transition id>:<target rc>:<DC uuid>"."""

    rsc_id: str
    rsc_class: str
    provider: str
    agent_type: str
    action: str
    interval_ms: int = 0
    timeout_ms: int = 20_000
    params: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    transition_key: str = ""


@dataclass(frozen=True, slots=True)
class ExecuteOp:
    """Input to the executor: run `op` (a recurring monitor keeps running at its interval
    until cancelled or the resource stops)."""

    op: OpRequest


@dataclass(frozen=True, slots=True)
class CancelOp:
    """Input to the executor: stop a recurring operation."""

    rsc_id: str
    action: str
    interval_ms: int


@dataclass(frozen=True, slots=True)
class OpResult:
    """Output of the executor: one completed operation (each run of a recurring monitor
    whose result changed, every one-shot operation). `rc` is the OCF exit code;
    `op_status` Pacemaker's execution status (0 done, 1 cancelled, 2 timed out,
    3 not supported, 4 error, 5 not installed, 6 not connected, 7 invalid).
    Times are monotonic milliseconds; the controller turns them into CIB fields."""

    op: OpRequest
    call_id: int
    rc: int
    op_status: int
    started_ms: int
    exec_time_ms: int
    queue_time_ms: int = 0
    output: str = ""
    exit_reason: str = ""  # the agent's ocf-exit-reason, or the executor's why


@dataclass(frozen=True, slots=True)
class AttrUpdate:
    """Set (value not None) or delete (None) a node attribute through attrd;
    `lifetime` is "reboot" (transient, status section) or "forever" (nodes section);
    `dampen_ms` delays the write so a flapping value settles first; `private` (if this
    creates the attribute) keeps it out of the CIB for good; `delay_only` changes only the
    attribute's dampening (attrd_updater -Y), `value` unused."""

    node: str
    name: str
    value: str | None
    lifetime: str = "reboot"
    dampen_ms: int = 0
    private: bool = False
    delay_only: bool = False


@dataclass(frozen=True, slots=True)
class AttrdRefresh:
    """attrd_updater -R: the attrd writer writes every (not private) value to the CIB again."""


@dataclass(frozen=True, slots=True)
class FenceRequest:
    """Ask the fencer to fence `target` (action "reboot", "off" or "on")."""

    target: str
    action: str = "reboot"
    origin: str = ""
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class FenceResult:
    """A fencing operation finished: `ok` only when a device confirmed it."""

    target: str
    action: str
    ok: bool
    request_id: str = ""
    device: str = ""
    reason: str = ""
    origin: str = ""  # the node that asked
    executioner: str = ""  # the node whose fencer ran the device


# ------------------------------------------------------------------ the IPC vocabulary
# What a local tool may ask haclusterd over its Unix socket, and how the answer comes back.
# The node serves NodeRequest (as ClientRequest); the daemon answers DaemonRequest itself.
# AttrUpdate (node "" = this node) and FenceRequest (origin and request_id are the node's to
# set) are requests as they are; the pushed events (PushedEvent) are the node's outputs as
# they are. IPC_CODEC encodes every frame but the binary cpg_send of hacluster.common.ipcwire.


@dataclass(frozen=True, slots=True)
class NodeStatusQuery:
    """The node's status()."""


@dataclass(frozen=True, slots=True)
class CibQuery:
    """The whole CIB as text: Reply body CibText."""


@dataclass(frozen=True, slots=True)
class CibWrite:
    """A CIB write (a CIBRequest's bytes); answered CibWritten once applied in agreed
    order, or with the problems why not."""

    request: bytes


@dataclass(frozen=True, slots=True)
class AttrdQuery:
    """The values of attribute `name` on `node` ("" = this node) or on every node."""

    name: str
    node: str = ""
    all_nodes: bool = False


@dataclass(frozen=True, slots=True)
class FencerStatusQuery:
    """The fencer's devices and history."""


@dataclass(frozen=True, slots=True)
class DaemonPing:
    """Is the daemon there (its pid)."""


@dataclass(frozen=True, slots=True)
class DaemonStatus:
    """Everything the tools show: settings, core status, transport counters."""


@dataclass(frozen=True, slots=True)
class DaemonShutdown:
    """Stop the daemon (its node leaves the cluster first)."""


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Push the node's outputs of these class names ("*": all) to this connection."""

    events: tuple[str, ...] = ("*",)


NodeRequest = (NodeStatusQuery | SendRequest | CpgJoinRequest | CpgLeaveRequest | CpgSendRequest
               | ProcessExited | CibQuery | CibWrite | AttrUpdate | AttrdRefresh | AttrdQuery
               | FenceRequest | FencerStatusQuery)
DaemonRequest = DaemonPing | DaemonStatus | DaemonShutdown | Subscribe


@dataclass(frozen=True, slots=True)
class IpcRequest:
    """One request frame: `id` is the client's, echoed in the IpcReply."""

    id: int
    request: NodeRequest | DaemonRequest


@dataclass(frozen=True, slots=True)
class IpcReply:
    """The answer to IpcRequest `id` (None: the connection itself was refused); `body` is
    None for a plain acknowledgement or a refusal."""

    id: int | None
    ok: bool
    body: ReplyBody | None = None
    problems: tuple[Problem, ...] = ()


# What a subscribed connection receives: each pushed output as itself (Subscribe names the
# class names), CPG payloads as bytes, byte-exact.
PushedEvent = Deliver | ConfigChange | CpgDeliver | CpgConfigChange | QuorumNotice
PUSHED_EVENTS: tuple[type, ...] = get_args(PushedEvent)


IPC_CODEC = Codec({
    "ipc.request": IpcRequest, "ipc.reply": IpcReply,
    "push.deliver": Deliver, "push.config": ConfigChange, "push.cpg.deliver": CpgDeliver,
    "push.cpg.config": CpgConfigChange, "push.quorum": QuorumNotice,
    "node.status": NodeStatusQuery, "node.send": SendRequest, "cpg.join": CpgJoinRequest,
    "cpg.leave": CpgLeaveRequest, "cpg.send": CpgSendRequest, "cpg.exited": ProcessExited,
    "cib.query": CibQuery, "cib.write": CibWrite, "attrd.update": AttrUpdate,
    "attrd.refresh": AttrdRefresh,
    "attrd.query": AttrdQuery, "stonith.fence": FenceRequest, "stonith.status": FencerStatusQuery,
    "daemon.ping": DaemonPing, "daemon.status": DaemonStatus, "daemon.shutdown": DaemonShutdown,
    "daemon.subscribe": Subscribe, **replies.REPLY_TAGS})
