"""One cluster node as a single sans-I/O object: Totem, CPG and votequorum composed.

Owns the routing between the cores: Totem's deliveries go to CPG (payloads tagged "C")
or up to the application (tagged "A"); regular configurations go to CPG, votequorum and
the CIB manager (node_cib.py, when the node hosts a CIBReplica: CPG group "cib").
Must never do I/O: the asyncio daemon and the simulator both drive exactly this object.

API (stable; the daemon and the simulator use only this):
    node = Node(node_id, members, params, rng, quorum=settings, ring_seq=persisted,
                cib=CIBReplica(...) or None)
    outputs = node.step(now_ms, event)      # Tick, PacketIn, PeerUnreachable, Shutdown,
                                            # the local requests SendRequest, CpgJoinRequest,
                                            # CpgLeaveRequest, CpgSendRequest, ProcessExited,
                                            # or ClientRequest (see handle_request)
    node.next_deadline_ms()                 # when to Tick next (None: nothing pending)
    node.status()                           # frozen NodeStatus
Local requests are inputs like any other (raft: a proposal is a message through Step), so a
simulator trace shows them. Outputs: Send/Multicast (wire), Persist (RING_SEQ_FILE: feed it
back as ring_seq on restart), Deliver, ConfigChange, CpgDeliver, CpgConfigChange,
QuorumNotice, Reply. ClientRequest carries one of events.NodeRequest: the CPG/send requests
(checked by hacluster.node_requests, then stepped like the local inputs above),
NodeStatusQuery -> Reply(body=NodeStatus), CibQuery / CibWrite -> the CIBReplica
(Persist("cib.xml"); with its offload, ApplyJob out and ApplyDone back in), AttrUpdate / AttrdQuery / FenceRequest / FencerStatusQuery -> attrd
and the fencer (hacluster.node_services).
CIB writes: configuration writes need votequorum's quorum; a status update for one node's
node_state (CIBRequest.status_of) does not: see hacluster.node_cib for the request API.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hacluster.cib import (
    OFFLOAD_MIN_BYTES,
    ApplyDone,
    ApplyJob,
    CIBDocument,
    CIBReplica,
    CIBRequest,
    parse_cib,
    relaxng_check,
    run_apply,
)
from hacluster.common import Code, NodeId, Problem
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
    done_of,
    encode_run,
    run_encoded,
    run_scheduler,
    serialized,
)
from hacluster.cpg import Cpg, CpgStatus, Propose, message_prefix
from hacluster.events import (
    AgentDone,
    AttrUpdate,
    ClientRequest,
    ConfigChange,
    CpgConfigChange,
    CpgDeliver,
    CpgJoinRequest,
    CpgSendRequest,
    Deliver,
    FenceRequest,
    FenceResult,
    Multicast,
    NodeStatusQuery,
    PacketIn,
    PeerUnreachable,
    Persist,
    QuorumNotice,
    Reply,
    RingId,
    SchedulerDone,
    Send,
    SendRequest,
    Shutdown,
    Tick,
)
from hacluster.executor import Executor
from hacluster.node_cib import (
    CIB_GROUP,
    CIB_PID,
    CIB_REQUESTS,
    CIBOutput,
    CIBQuorum,
    CIBStatus,
    NodeCIB,
)
from hacluster.node_crm import CRMOutputs, NodeCRM
from hacluster.node_requests import LOCAL_REQUESTS, LocalRequest, request_problem
from hacluster.node_services import (
    SERVICE_GROUPS,
    SERVICE_PID,
    SERVICE_REQUESTS,
    NodeServices,
    ServiceOutputs,
    ServicesStatus,
)
from hacluster.node_setup import (
    cib_replica_for,
    initial_cib,
    params_from_config,
    quorum_from_config,
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

Input = (Tick | PacketIn | PeerUnreachable | Shutdown | ClientRequest | LocalRequest
         | AgentDone | SchedulerDone | FenceResult | ApplyDone)
# The node's own CPG groups, recognized by the canonical start of their messages (cheaper
# than decoding every payload, which runs once per message on every node).
CIB_PREFIX = message_prefix(CIB_GROUP, CIB_PID)
CRMD_PREFIX = message_prefix(CRMD_GROUP, CRMD_PID)
SERVICE_PREFIXES = tuple((g, message_prefix(g, SERVICE_PID)) for g in sorted(SERVICE_GROUPS))
Output = (Send | Multicast | Persist | Deliver | ConfigChange | CpgDeliver | CpgConfigChange
          | QuorumNotice | Reply | ApplyJob)

# drivers/ import only node, events, config and common (DESIGN.md §3). The little they need
# of the cores at the edge (sealing datagrams, checking a persisted CIB) is re-exported here,
# so this module stays the one door between the daemon and the cores.
__all__ = ["CIB_GROUP", "OFFLOAD_MIN_BYTES", "RING_SEQ_FILE", "ApplyDone", "ApplyJob", "CIBDocument", "CIBStatus", "Node", "NodeStatus",
           "cib_replica_for", "drops", "initial_cib", "params_from_config", "parse_cib",
           "quorum_from_config", "relaxng_check", "run_scheduler", "run_encoded", "done_of",
           "encode_run", "run_apply", "secauth", "serialized"]


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
        self.log = self.totem.log
        self.votequorum = Votequorum(quorum or settings_for(members), self.log)
        self.cib: NodeCIB | None = None
        self.now_ms = 0  # of the step in progress: the CIB manager is stepped with it
        if cib is not None:
            # One draw at construction seeds its own Random; it never draws from Totem's.
            self.cib = NodeCIB(cib, random.Random(rng.getrandbits(64) ^ 0xC1B))
            self._local(0, CpgJoinRequest(CIB_GROUP, CIB_PID))
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
        kind = type(event)
        if kind is ClientRequest:
            return self.handle_request(event)  # type: ignore[arg-type]
        if kind in LOCAL_REQUESTS:
            return self._local(now_ms, event)  # type: ignore[arg-type]
        if isinstance(event, ApplyDone) and self.cib is not None:
            return self._cib_outputs(*self.cib.applied(now_ms, event)) + self._cib_notify()
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
        out = self._route(now_ms, self.totem.step(now_ms, event))  # type: ignore[arg-type]
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

    def _local(self, now_ms: int, event: LocalRequest) -> list[Output]:
        """A local request: application messages go to Totem tagged APP; CPG requests go
        through the CPG core, whose proposals go to Totem tagged CPG."""
        if type(event) is SendRequest:
            return [*self.totem.step(now_ms, SendRequest(APP + event.data, event.safe))]
        return self._propose(now_ms, self.cpg.step(now_ms, event))  # type: ignore[arg-type]

    def _propose(self, now_ms: int, outputs: list[Any]) -> list[Output]:
        """CPG's outputs in order: Propose goes to Totem (a local proposal through its step),
        the rest leaves the node."""
        if len(outputs) == 1 and type(outputs[0]) is Propose:  # a local request: the hot path
            if self.totem.state is TotemState.LEFT:
                return []
            return [*self.totem.step(now_ms, SendRequest(CPG + outputs[0].payload,
                                                         outputs[0].safe))]
        out: list[Output] = []
        for item in outputs:
            if type(item) is Propose:
                if self.totem.state is not TotemState.LEFT:
                    out += self.totem.step(now_ms, SendRequest(CPG + item.payload, item.safe))
            else:
                out.append(item)
        return out

    def _send_to_group(self, now_ms: int, group: str, pid: int, data: bytes,
                       safe: bool = False) -> None:
        """A message of one of the node's own processes (CIB manager, controller, attrd,
        fencer) to its CPG group."""
        self._propose(now_ms, self.cpg.step(now_ms, CpgSendRequest(group, pid, data, safe)))

    def handle_request(self, req: ClientRequest) -> list[Output]:
        """Client input is not trusted: a malformed request gets Reply(ok=False) with a
        Problem whose code says why."""
        asked = req.request
        if isinstance(asked, NodeStatusQuery):
            return [Reply(req.request_id, True, self.status())]
        if self.totem.state is TotemState.LEFT:
            return [Reply(req.request_id, False, None,
                          (Problem(Code.NODE_LEFT, "node has left the cluster"),))]
        if isinstance(asked, CIB_REQUESTS) and self.cib is not None:
            return self._cib_outputs(*self.cib.request(self.now_ms, req))
        if isinstance(asked, SERVICE_REQUESTS) and self.services is not None:
            return self._services(self.now_ms, self.services.request(self.now_ms, req))
        problem = request_problem(asked)
        if problem is None and self.cib is not None and getattr(asked, "group", "") == CIB_GROUP:
            problem = Problem(Code.IPC_BAD_REQUEST,
                              f"group {CIB_GROUP!r} is reserved for the node's CIB manager")
        if problem is not None:
            return [Reply(req.request_id, False, None, (problem,))]
        assert isinstance(asked, LOCAL_REQUESTS)
        out = self._local(self.now_ms, asked)
        out.append(Reply(req.request_id, True))
        return out

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

    def _deliver(self, item: Deliver, quorate: bool = True) -> Sequence[Output]:
        tag, payload = item.data[:1], item.data[1:]
        if tag == APP:
            return [Deliver(item.ring_id, item.seq, item.index, item.sender, payload,
                            item.transitional)]
        if tag != CPG:
            return []
        if self.cib is not None and payload.startswith(CIB_PREFIX):
            # The CIB manager is part of every node: it hears the group from the start
            # (a CPG member only hears messages ordered after its own join).
            return self._cib_outputs(*self.cib.deliver(
                self.now_ms, item.sender, payload[len(CIB_PREFIX):], quorate)) \
                + self._cib_notify()
        if self.crm is not None and payload.startswith(CRMD_PREFIX):
            return self._crm(self.now_ms, PeerMessage(item.sender, payload[len(CRMD_PREFIX):]))
        if self.services is not None:
            for group, prefix in SERVICE_PREFIXES:
                if payload.startswith(prefix):
                    return self._services(self.now_ms, self.services.deliver(
                        self.now_ms, group, item.sender, payload[len(prefix):]))
        # CPG's step for a delivered payload is exactly cpg.deliver (a delivery never
        # proposes); called directly, as this runs once per message on every node.
        return self.cpg.deliver(item.sender, payload)

    def _cib_outputs(self, outputs: list[CIBOutput], sends: list[bytes]) -> list[Output]:
        """The CIB manager's broadcasts go out as safe CPG messages; Persist and Reply leave
        the node in order (a Persist always precedes the Reply it makes durable)."""
        for payload in sends:
            self._send_to_group(self.now_ms, CIB_GROUP, CIB_PID, payload, True)
        return list(outputs)

    def _regular(self, now_ms: int, change: ConfigChange) -> list[Output]:
        """A regular configuration, in order: CPG's nodedown changes (and its sync proposal),
        votequorum's notice, then the CIB manager, the controller and attrd/the fencer."""
        out = self._propose(now_ms, self.cpg.step(now_ms, change))
        out += self.votequorum.step(now_ms, change)
        state = self.votequorum.status()
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
        """votequorum's own deadline (the last_man_standing window); the controller hears
        when it changed quorum."""
        before = self.votequorum.status().quorate
        out: list[Output] = list(self.votequorum.step(now_ms, Tick()))
        quorate = self.votequorum.status().quorate
        if out and self.crm is not None and quorate != before:
            out += self._crm(now_ms, QuorumChanged(quorate))
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
        for data in produced.peer_sends:
            self._send_to_group(now_ms, CRMD_GROUP, CRMD_PID, data)
        if self.totem.state is not TotemState.LEFT:
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
            replies = self._cib_outputs(*self.cib.write(now_ms, -self._crm_writes, request))
            out += [r for r in replies if not (isinstance(r, Reply) and r.request_id < 0)]
        return out

    def _services(self, now_ms: int, produced: ServiceOutputs) -> list[Output]:
        """Carry what attrd and the fencer ask for: CPG messages, CIB writes, fencing
        results to the controller; agent runs and client replies leave the node."""
        for group, data in produced.sends:
            self._send_to_group(now_ms, group, SERVICE_PID, data)
        out: list[Any] = list(produced.external)
        out += self._cib_writes(now_ms, produced.cib_writes)
        for result in produced.to_controller:
            out += self._crm(now_ms, result)
        return out

    def _cib_notify(self) -> list[Output]:
        """Hand the controller each new CIB (and the end of a sync) in delivery order."""
        if self.crm is None or self.cib is None:
            return []
        seen = (self.cib.replica.doc, not self.cib.replica.awaiting_sync())
        if seen[0] is self._cib_seen[0] and seen[1] == self._cib_seen[1]:
            return []
        self._cib_seen = seen
        out = self._crm(self.now_ms, CibChanged(seen[0], seen[1],
                                                self.cib.replica.touched.take()))
        if self.services is not None:
            out += self._services(self.now_ms, self.services.cib_changed(self.now_ms, seen[0]))
        return out
