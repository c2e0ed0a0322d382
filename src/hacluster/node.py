"""One cluster node as a single sans-I/O object: Totem, CPG and votequorum composed.

Owns the routing between the cores: Totem's deliveries go to CPG (payloads tagged "C")
or up to the application (tagged "A"); regular configurations go to CPG, votequorum and
the CIB manager (node_cib.py, when the node hosts a CIBReplica: CPG group "cib").
Must never do I/O: the asyncio daemon and the simulator both drive exactly this object.

API (stable; the daemon and the simulator use only this):
    node = Node(node_id, members, params, rng, quorum=settings, ring_seq=persisted,
                cib=CIBReplica(...) or None)
    outputs = node.step(now_ms, event)      # Tick, PacketIn, PeerUnreachable, Shutdown,
                                            # or ClientRequest (see handle_request)
    node.next_deadline_ms()                 # when to Tick next (None: nothing pending)
    node.status()                           # frozen NodeStatus
    node.send(data, safe=False)             # totem message -> events.Deliver everywhere
    node.cpg_join(group, pid) / node.cpg_leave(group, pid) / node.cpg_send(group, pid, data)
    node.cpg_process_exit(pid)              # the process died: "procdown" in its groups
Outputs: Send/Multicast (wire), Persist (RING_SEQ_FILE: feed it back as ring_seq on
restart), Deliver, ConfigChange, CpgDeliver, CpgConfigChange, QuorumNotice, Reply.
ClientRequest names: "send" {data}, "cpg_join"/"cpg_leave" {group, pid},
"cpg_send" {group, pid, data}, "cpg_process_exit" {pid}, "status" -> Reply(body=NodeStatus),
"cib_query" / "cib_request" (see hacluster.api.env) -> the CIBReplica; Persist("cib.xml").
CIB writes: configuration writes need votequorum's quorum; a status update for one node's
node_state (CIBRequest.status_of) does not: see hacluster.node_cib for the request API.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hacluster.cib import (
    CIBDocument,
    CIBReplica,
    CIBRequest,
    Lineage,
    apply_request,
    empty_cib,
    parse_cib,
    parse_persisted,
    persisted_bytes,
)
from hacluster.common import NodeId
from hacluster.config import ClusterConfig
from hacluster.controller import (
    CRMD_GROUP,
    CRMD_PID,
    CibChanged,
    Controller,
    ControllerStatus,
    Membership,
    PeerMessage,
    QuorumChanged,
    ShutdownRequested,
    run_scheduler,
)
from hacluster.cpg import MAX_GROUP, MESSAGE, Cpg, CpgStatus, decode_op
from hacluster.events import (
    AgentDone,
    AttrUpdate,
    ClientRequest,
    ConfigChange,
    CpgConfigChange,
    CpgDeliver,
    Deliver,
    FenceRequest,
    FenceResult,
    Multicast,
    PacketIn,
    PeerUnreachable,
    Persist,
    QuorumNotice,
    Reply,
    RingId,
    SchedulerDone,
    Send,
    Shutdown,
    Tick,
)
from hacluster.executor import Executor
from hacluster.node_cib import CIB_GROUP, CIB_PID, CIB_REQUESTS, CIBQuorum, CIBStatus, NodeCIB
from hacluster.node_crm import CRMOutputs, NodeCRM
from hacluster.node_services import (
    SERVICE_GROUPS,
    SERVICE_PID,
    SERVICE_REQUESTS,
    NodeServices,
    ServiceOutputs,
    ServicesStatus,
)
from hacluster.quorum import QuorumSettings, QuorumState, Votequorum, settings_for
from hacluster.totem import (
    RING_SEQ_FILE,
    Totem,
    TotemParams,
    TotemState,
    TotemStatus,
    drops,
    secauth,
)

APP = b"A"
CPG = b"C"

Input = (Tick | PacketIn | PeerUnreachable | Shutdown | ClientRequest | AgentDone
         | SchedulerDone | FenceResult)
Output = (Send | Multicast | Persist | Deliver | ConfigChange | CpgDeliver | CpgConfigChange
          | QuorumNotice | Reply)

# drivers/ import only node, events, config and common (DESIGN.md §3). The little they need
# of the cores at the edge (sealing datagrams, checking a persisted CIB) is re-exported here,
# so this module stays the one door between the daemon and the cores.
__all__ = ["CIB_GROUP", "RING_SEQ_FILE", "CIBDocument", "CIBStatus", "Node", "NodeStatus",
           "cib_replica_for", "drops", "initial_cib", "params_from_config", "parse_cib",
           "quorum_from_config", "run_scheduler", "secauth"]


@dataclass(frozen=True, slots=True)
class NodeStatus:
    node_id: NodeId
    totem: TotemStatus
    quorum: QuorumState
    cpg: CpgStatus
    cib: CIBStatus | None = None
    controller: ControllerStatus | None = None
    services: ServicesStatus | None = None  # attrd and the fencer

    @property
    def state(self) -> TotemState:
        return self.totem.state

    @property
    def ring_id(self) -> RingId:
        return self.totem.ring_id

    @property
    def members(self) -> tuple[NodeId, ...]:
        return self.totem.members

    @property
    def quorate(self) -> bool:
        return self.quorum.quorate


class Node:
    """Totem + CPG + votequorum of one node, behind one step() contract."""

    def __init__(self, node_id: NodeId, members: Sequence[NodeId], params: TotemParams | None = None,
                 rng: random.Random | None = None, *, quorum: QuorumSettings | None = None,
                 ring_seq: int = 0, logger: Any = None, cib: CIBReplica | None = None,
                 crm: bool = False, executor: Any = None, wall_offset_ms: int = 0,
                 rsctmp_dir: str = "") -> None:
        self.node_id = node_id
        rng = rng or random.Random(node_id)
        self.totem = Totem(node_id, members, params or TotemParams(), rng,
                           ring_seq=ring_seq, logger=logger)
        self.cpg = Cpg(node_id)
        self.votequorum = Votequorum(quorum or settings_for(members))
        self.log = self.totem.log
        self.cib: NodeCIB | None = None
        self.now_ms = 0  # of the step in progress: the CIB manager is stepped with it
        if cib is not None:
            # One draw at construction seeds its own Random; it never draws from Totem's.
            self.cib = NodeCIB(cib, random.Random(rng.getrandbits(64) ^ 0xC1B))
            self.cpg_join(CIB_GROUP, CIB_PID)
        # The cluster manager (controller + executor) needs the CIB: it is its log.
        self.crm: NodeCRM | None = None
        self._cib_seen: tuple[Any, bool] = (None, True)
        self._crm_writes = 0
        if crm and cib is not None:
            controller = Controller(node_id, cib.node_name, wall_offset_ms=wall_offset_ms)
            if executor is None:
                # Agents keep their state under HA_RSCTMP: one directory per node, so nodes
                # sharing a host never see each other's resources as running.
                executor = Executor(cib.node_name, rsctmp_dir)
            self.crm = NodeCRM(controller, executor)
        # attrd and the fencer run wherever the cluster manager does.
        self.services = NodeServices(cib.node_name) if self.crm is not None and cib else None

    def step(self, now_ms: int, event: Input) -> list[Output]:
        self.now_ms = max(self.now_ms, now_ms)
        if isinstance(event, ClientRequest):
            return self.handle_request(event)
        if self.crm is not None:
            if isinstance(event, AgentDone) and self.services and self.services.owns(event):
                return self._services(now_ms, self.services.agent_done(now_ms, event))
            if isinstance(event, AgentDone | SchedulerDone | FenceResult):
                return self._crm(now_ms, event)
            if isinstance(event, Shutdown) and self.totem.state is not TotemState.LEFT:
                # Resources stop (or move) first; the controller says when to leave.
                return self._crm(now_ms, ShutdownRequested())
        assert not isinstance(event, AgentDone | SchedulerDone | FenceResult), \
            "resource events need a node with a cluster manager"
        out = self._route(now_ms, self.totem.step(now_ms, event))
        if isinstance(event, Tick):
            out += self._quorum_time(now_ms)
            if self.crm is not None and self._is_due(self.crm.next_deadline_ms(), now_ms):
                out += self._crm(now_ms, Tick())
            if self.services is not None and self._is_due(self.services.next_deadline_ms(),
                                                          now_ms):
                out += self._services(now_ms, self.services.tick(now_ms))
        return out

    def has_left(self) -> bool:
        """The node has left the ring (after Shutdown, once its resources stopped)."""
        return self.totem.state is TotemState.LEFT

    @staticmethod
    def _is_due(deadline: int | None, now_ms: int) -> bool:
        return deadline is not None and deadline <= now_ms

    def next_deadline_ms(self) -> int | None:
        times = [t for t in (self.totem.next_deadline_ms(), self.votequorum.next_deadline_ms(),
                             self.crm.next_deadline_ms() if self.crm else None,
                             self.services.next_deadline_ms() if self.services else None)
                 if t is not None]
        return min(times) if times else None

    def status(self) -> NodeStatus:
        return NodeStatus(self.node_id, self.totem.status(), self.votequorum.state,
                          self.cpg.status(), self.cib.status() if self.cib else None,
                          self.crm.status() if self.crm else None,
                          self.services.status() if self.services else None)

    # ------------------------------------------------------------------ local clients

    def send(self, data: bytes, safe: bool = False) -> None:
        self.totem.send(APP + data, safe)

    def cpg_join(self, group: str, pid: int) -> None:
        self.totem.send(CPG + self.cpg.join_payload(group, pid))

    def cpg_leave(self, group: str, pid: int) -> None:
        self.totem.send(CPG + self.cpg.leave_payload(group, pid))

    def cpg_send(self, group: str, pid: int, data: bytes) -> None:
        self.totem.send(CPG + self.cpg.message_payload(group, pid, data))

    def cpg_process_exit(self, pid: int) -> None:
        """A local process died: it leaves each of its groups with reason "procdown"."""
        for group, member_pid in sorted(self.cpg.local):
            if member_pid == pid:
                self.totem.send(CPG + self.cpg.leave_payload(group, pid, "procdown"))

    def handle_request(self, req: ClientRequest) -> list[Output]:
        """Client input is not trusted: a malformed request gets Reply(ok=False)."""
        body = req.body if isinstance(req.body, dict) else {}
        if self.totem.state is TotemState.LEFT and req.name != "status":
            return [Reply(req.request_id, False, "node has left the cluster")]
        if req.name == "status":
            return [Reply(req.request_id, True, self.status())]
        if req.name in CIB_REQUESTS and self.cib is not None:
            return self._cib_outputs(*self.cib.request(self.now_ms, req))
        if req.name in SERVICE_REQUESTS and self.services is not None:
            return self._services(self.now_ms, self.services.request(self.now_ms, req))
        problem = _request_problem(req.name, body)
        if not problem and self.cib is not None and body.get("group") == CIB_GROUP:
            problem = f"group {CIB_GROUP!r} is reserved for the node's CIB manager"
        if problem:
            return [Reply(req.request_id, False, problem)]
        match req.name:
            case "send":
                self.send(bytes(body["data"]), bool(body.get("safe", False)))
            case "cpg_join":
                self.cpg_join(body["group"], body["pid"])
            case "cpg_leave":
                self.cpg_leave(body["group"], body["pid"])
            case "cpg_send":
                self.cpg_send(body["group"], body["pid"], bytes(body["data"]))
            case "cpg_process_exit":
                self.cpg_process_exit(body["pid"])
        return [Reply(req.request_id, True)]

    # ------------------------------------------------------------------ routing

    def _route(self, now_ms: int, outputs: list[Any]) -> list[Output]:
        out: list[Output] = []
        quorate = self._recovery_quorate(outputs)
        for item in outputs:
            if isinstance(item, Deliver):
                out += self._deliver(item, quorate)
            elif isinstance(item, ConfigChange):
                out.append(item)
                if item.kind == "regular":
                    out += self._regular(now_ms, item)
                    quorate = True
            else:
                out.append(item)
        return out

    def _recovery_quorate(self, outputs: list[Any]) -> bool:
        """When Totem installs a new ring it first flushes the old ring's messages, which
        not every old member may hold: the CIB applies configuration writes among them only
        when votequorum would call the survivors (the transitional configuration) quorate."""
        for item in outputs:
            if isinstance(item, ConfigChange) and item.kind == "transitional":
                return self.cib is None or self.votequorum.is_quorate_with(item.members)
        return True

    def _deliver(self, item: Deliver, quorate: bool = True) -> list[Output]:
        tag, payload = item.data[:1], item.data[1:]
        if tag == APP:
            return [Deliver(item.ring_id, item.seq, item.index, item.sender, payload,
                            item.transitional)]
        if tag == CPG:
            op = decode_op(payload)
            if self.cib is not None and isinstance(op, tuple) and op[0] == MESSAGE \
                    and op[1] == CIB_GROUP and op[2] == CIB_PID:
                # The CIB manager is part of every node: it hears the group from the start
                # (a CPG member only hears messages ordered after its own join).
                return self._cib_outputs(*self.cib.deliver(self.now_ms, item.sender,
                                                           op[3], quorate)) + self._cib_notify()
            if self.crm is not None and isinstance(op, tuple) and op[0] == MESSAGE \
                    and op[1] == CRMD_GROUP and op[2] == CRMD_PID:
                return self._crm(self.now_ms, PeerMessage(item.sender, op[3]))
            if self.services is not None and isinstance(op, tuple) and op[0] == MESSAGE \
                    and op[1] in SERVICE_GROUPS and op[2] == SERVICE_PID:
                return self._services(self.now_ms, self.services.deliver(
                    self.now_ms, op[1], item.sender, op[3]))
            return list(self.cpg.deliver(item.sender, payload))
        return []

    def _cib_outputs(self, outputs: list[Persist | Reply], sends: list[bytes]) -> list[Output]:
        """The CIB manager's broadcasts go out as safe CPG messages; Persist and Reply leave
        the node in order (a Persist always precedes the Reply it makes durable)."""
        if self.totem.state is not TotemState.LEFT:
            for payload in sends:
                self.totem.send(CPG + self.cpg.message_payload(CIB_GROUP, CIB_PID, payload),
                                True)
        return list(outputs)

    def _regular(self, now_ms: int, change: ConfigChange) -> list[Output]:
        before = self.votequorum.state.quorate
        state = self.votequorum.on_configuration(now_ms, change.members)
        out: list[Output] = []
        cpg_out, sync = self.cpg.configuration(change.members, change.left)
        out += cpg_out
        if self.totem.state is not TotemState.LEFT:
            self.totem.send(CPG + sync)
        if state.quorate != before:
            self.log.info("quorum %s members=%s", "gained" if state.quorate else "lost",
                          list(change.members))
        out.append(QuorumNotice(state.quorate, change.ring_id, change.members,
                                state.total_votes, state.quorum))
        if self.cib is not None:
            votes = tuple((n, self.votequorum.settings.votes.get(n, 0)) for n in change.members)
            quorum = CIBQuorum(state.quorate, state.quorum, votes)
            out += self._cib_outputs(*self.cib.membership(now_ms, change.members,
                                                          change.ring_id.seq, quorum))
        if self.crm is not None:
            out += self._crm(now_ms, Membership(change.members, state.quorate,
                                                change.ring_id.seq))
        if self.services is not None:
            out += self._services(now_ms, self.services.membership(now_ms, change.members))
            out += self._cib_notify()
        return out

    def _quorum_time(self, now_ms: int) -> list[Output]:
        deadline = self.votequorum.next_deadline_ms()
        if deadline is None or deadline > now_ms:
            return []
        before = self.votequorum.state
        state = self.votequorum.on_time(now_ms)
        if state == before:
            return []
        out: list[Output] = [QuorumNotice(state.quorate, self.totem.status().ring_id,
                                          state.members, state.total_votes, state.quorum)]
        if self.crm is not None and state.quorate != before.quorate:
            out += self._crm(now_ms, QuorumChanged(state.quorate))
        return out

    # ------------------------------------------------------------------ cluster manager

    def _crm(self, now_ms: int, event: Any) -> list[Output]:
        """Step the cluster manager and carry what it asks for: CIB writes to the replica
        (its Replies are the controller's, not a client's: dropped), "crmd" messages over
        CPG, the leave to Totem; the rest (RunAgent, RunScheduler, ...) leaves the node."""
        assert self.crm is not None and self.cib is not None
        produced: CRMOutputs = self.crm.step(now_ms, event)
        out: list[Any] = [o for o in produced.external
                          if not (self.services and isinstance(o, FenceRequest | AttrUpdate))]
        out += self._cib_writes(now_ms, produced.cib_writes)
        if self.totem.state is not TotemState.LEFT:
            for data in produced.peer_sends:
                self.totem.send(CPG + self.cpg.message_payload(CRMD_GROUP, CRMD_PID, data))
            if produced.leave:
                out += self._route(now_ms, self.totem.step(now_ms, Shutdown()))
        for request in produced.external:
            if self.services is not None and isinstance(request, FenceRequest):
                out += self._services(now_ms, self.services.fence(now_ms, request))
            elif self.services is not None and isinstance(request, AttrUpdate):
                out += self._services(now_ms, self.services.attr_update(now_ms, request))
        return out

    def _cib_writes(self, now_ms: int, requests: list[CIBRequest]) -> list[Output]:
        """The node's own writes (controller, attrd) go to the replica; their Replies are
        not a client's and are dropped."""
        assert self.cib is not None
        out: list[Output] = []
        for request in requests:
            self._crm_writes += 1
            replies = self._cib_outputs(*self.cib.request(now_ms, ClientRequest(
                -self._crm_writes, "cib_request", request)))
            out += [r for r in replies if not (isinstance(r, Reply) and r.request_id < 0)]
        return out

    def _services(self, now_ms: int, produced: ServiceOutputs) -> list[Output]:
        """Carry what attrd and the fencer ask for: CPG messages, CIB writes, fencing
        results to the controller; agent runs and client replies leave the node."""
        if self.totem.state is not TotemState.LEFT:
            for group, data in produced.sends:
                self.totem.send(CPG + self.cpg.message_payload(group, SERVICE_PID, data))
        out: list[Any] = list(produced.external)
        out += self._cib_writes(now_ms, produced.cib_writes)
        for result in produced.to_controller:
            out += self._crm(now_ms, result)
        return out

    def _cib_notify(self) -> list[Output]:
        """Hand the controller each new CIB (and the end of a sync) in delivery order."""
        if self.crm is None or self.cib is None:
            return []
        seen = (self.cib.replica.doc, not self.cib.replica.syncing)
        if seen[0] is self._cib_seen[0] and seen[1] == self._cib_seen[1]:
            return []
        self._cib_seen = seen
        out = self._crm(self.now_ms, CibChanged(seen[0], seen[1]))
        if self.services is not None:
            out += self._services(self.now_ms, self.services.cib_changed(self.now_ms, seen[0]))
        return out


REQUEST_FIELDS = MappingProxyType({
    "send": ("data",), "cpg_join": ("group", "pid"), "cpg_leave": ("group", "pid"),
    "cpg_send": ("group", "pid", "data"), "cpg_process_exit": ("pid",)})
MAX_REQUEST_DATA = 1 << 20


def _request_problem(name: str, body: dict[str, Any]) -> str:
    """Why a client request cannot be served ("" when it can)."""
    if name not in REQUEST_FIELDS:
        return f"unknown request {name!r}"
    for key in REQUEST_FIELDS[name]:
        if key not in body:
            return f"{name} needs {key!r}"
    if "data" in body and (not isinstance(body["data"], bytes | bytearray)
                           or len(body["data"]) > MAX_REQUEST_DATA):
        return "data must be bytes of at most 1 MiB"
    if "pid" in body and (not isinstance(body["pid"], int) or not 0 <= body["pid"] < 1 << 32):
        return "pid must be an unsigned 32-bit integer"
    if "group" in body:
        group = body["group"]
        if not isinstance(group, str) or not 0 < len(group.encode()) <= MAX_GROUP:
            return f"group must be a name of 1..{MAX_GROUP} bytes"
    return ""


def params_from_config(config: ClusterConfig) -> TotemParams:
    """TotemParams from hacluster.config's ClusterConfig (its TotemConfig's effective ms)."""
    t = config.totem
    netmtu = t.netmtu if "netmtu" in t.configured else 1500
    return TotemParams(
        token_ms=t.token_ms, token_retransmit_ms=t.token_retransmit_ms,
        hold_ms=min(t.hold_ms, t.token_retransmit_ms - 1), consensus_ms=t.consensus_ms,
        join_ms=t.join_ms, merge_ms=t.merge_ms, downcheck_ms=t.downcheck_ms,
        fail_recv_const=t.fail_recv_const, seqno_unchanged_const=t.seqno_unchanged_const,
        window_size=t.window_size, max_messages=t.max_messages,
        miss_count_const=t.miss_count_const, send_join_ms=t.send_join_ms,
        netmtu=max(576, min(netmtu, 60_000)))


def quorum_from_config(config: ClusterConfig) -> QuorumSettings:
    """QuorumSettings from ClusterConfig's nodelist votes and quorum section."""
    q = config.quorum
    votes = {NodeId(n.nodeid): n.quorum_votes for n in config.nodes}
    atb_node = NodeId(int(q.auto_tie_breaker_node)) if q.auto_tie_breaker_node.isdigit() else None
    return QuorumSettings(
        votes=votes, expected_votes=q.expected_votes_configured, two_node=q.two_node,
        wait_for_all=q.wait_for_all, last_man_standing=q.last_man_standing,
        last_man_standing_window_ms=q.last_man_standing_window_ms,
        auto_tie_breaker=q.auto_tie_breaker, auto_tie_breaker_node=atb_node)


def initial_cib(members: Sequence[NodeId], names: Mapping[NodeId, str]) -> CIBDocument:
    """An empty CIB with one <node> per configured node: the same bytes on every node, so
    a cluster that starts from nothing agrees at once (any persisted copy wins over it)."""
    nodes = "".join(f'<node id="{int(n)}" uname="{names.get(n) or int(n)}"/>'
                    for n in members)
    return apply_request(empty_cib(), CIBRequest("replace", f"<nodes>{nodes}</nodes>",
                                                 "nodes"))[0]


def cib_replica_for(node_id: NodeId, members: Sequence[NodeId], names: Mapping[NodeId, str],
                    persisted: bytes | None) -> tuple[CIBReplica, bytes | None]:
    """The node's CIB replica from its persisted copy (already checked by its digest), or
    from initial_cib on a first boot; second: the bytes to persist first (None if any).
    Its quorum is the node's votequorum (one quorum: the Node hands it on)."""
    first_boot = persisted is None
    if persisted is None:
        document, lineage = initial_cib(members, names), Lineage()
    else:
        document, lineage = parse_persisted(persisted)
    name = names.get(node_id) or str(int(node_id))
    replica = CIBReplica(node_id, document, lineage=lineage, node_name=name)
    return replica, persisted_bytes(document, lineage) if first_boot else None
