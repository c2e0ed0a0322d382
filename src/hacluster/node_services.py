"""The node's attrd and fencer (Pacemaker's pacemaker-attrd and pacemaker-fenced) behind one
object for node.py.

Owns the hand-offs around these two cores: attrd's messages travel in CPG group "attrd",
its writes become CIB requests (hacluster.cib's node-attribute layout, node names mapped to
ids by the CIB's nodes section); the controller's FenceRequests go to the local fencer, whose
agent runs leave the node and whose results go back to the controller and to every peer
(CPG group "stonith-ng", for their history and their controller); the clients' requests
attrd_update / attrd_query / stonith_fence / stonith_status are answered here (see
hacluster.api.attrd and hacluster.api.fencing). Must never do I/O or touch Totem or the CIB
itself: node.py carries what ServiceOutputs lists, in order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from hacluster.attrd import (
    ATTRD_GROUP,
    Attrd,
    AttrdDeliver,
    AttrdMembers,
    AttrdSend,
    AttrdStatus,
    AttrWrite,
)
from hacluster.cib import CIBDocument, CIBRequest, node_attribute_request
from hacluster.common import Code, Codec, NodeId, Problem
from hacluster.events import (
    AgentDone,
    AttrdQuery,
    AttrdRefresh,
    AttrUpdate,
    AttrValues,
    ClientRequest,
    FenceOutcome,
    FenceRequest,
    FenceResult,
    FencerReport,
    FencerStatusQuery,
    Reply,
    Tick,
)
from hacluster.fencing import RUN_ID_BASE, Fencer, FencerStatus, config_from_cib

log = logging.getLogger(__name__)

SERVICE_PID = 0  # the node's own attrd / fencer, not a client process
STONITH_GROUP = "stonith-ng"
SERVICE_GROUPS = frozenset({ATTRD_GROUP, STONITH_GROUP})
SERVICE_REQUESTS = (AttrUpdate, AttrdRefresh, AttrdQuery, FenceRequest, FencerStatusQuery)
FENCE_WIRE = Codec({"stonith.result": FenceResult})


@dataclass(slots=True)
class ServiceOutputs:
    external: list[Any] = field(default_factory=list)  # RunAgent, Reply (clients)
    to_controller: list[FenceResult] = field(default_factory=list)
    cib_writes: list[CIBRequest] = field(default_factory=list)
    sends: list[tuple[str, bytes]] = field(default_factory=list)  # (CPG group, payload)


@dataclass(frozen=True, slots=True)
class ServicesStatus:
    attrd: AttrdStatus
    fencer: FencerStatus
    unwritable: int  # attribute writes for a node the CIB does not name


class NodeServices:
    """attrd + fencer of node `node_name`."""

    def __init__(self, node_name: str) -> None:
        self.node_name = node_name
        self.attrd = Attrd(node_name)
        self.fencer = Fencer(node_name)
        self._ids: dict[str, str] = {}  # node name -> CIB node id
        self._names: dict[NodeId, str] = {}
        self._members: tuple[NodeId, ...] = ()
        self._config_version: tuple[int, int] | None = None
        self._waiters: dict[str, list[int]] = {}  # fence request id -> client request ids
        self._fence_requests = 0
        self._unwritable = 0

    def owns(self, done: AgentDone) -> bool:
        return done.call_id >= RUN_ID_BASE

    def next_deadline_ms(self) -> int | None:
        times = [t for t in (self.attrd.next_deadline_ms(), self.fencer.next_deadline_ms())
                 if t is not None]
        return min(times) if times else None

    def status(self) -> ServicesStatus:
        return ServicesStatus(self.attrd.status(), self.fencer.status(), self._unwritable)

    # ------------------------------------------------------------------- inputs

    def cib_changed(self, now_ms: int, doc: CIBDocument | None) -> ServiceOutputs:
        """Node names and ids, and (when the configuration changed) the fence devices."""
        out = ServiceOutputs()
        if doc is None:
            return out
        names = {NodeId(int(str(n.get("id")))): str(n.get("uname"))
                 for n in doc.root.iterfind("configuration/nodes/node")
                 if str(n.get("id", "")).isdigit() and n.get("uname")}
        if names != self._names:
            self._names = names
            self._ids = {name: str(int(node_id)) for node_id, name in names.items()}
            self._attrd(now_ms, AttrdMembers(self._member_names()), out)
        version = (doc.version[0], doc.version[1])
        if version != self._config_version:
            self._config_version = version
            self.fencer.step(now_ms, config_from_cib(doc.root))
        return out

    def membership(self, now_ms: int, members: tuple[NodeId, ...]) -> ServiceOutputs:
        self._members = tuple(sorted(members))
        out = ServiceOutputs()
        self._attrd(now_ms, AttrdMembers(self._member_names()), out)
        return out

    def deliver(self, now_ms: int, group: str, sender: NodeId, data: bytes) -> ServiceOutputs:
        out = ServiceOutputs()
        if group == ATTRD_GROUP:
            self._attrd(now_ms, AttrdDeliver(self._name_of(sender), data), out)
        elif group == STONITH_GROUP and self._names.get(sender) != self.node_name:
            result = FENCE_WIRE.decode(data, FenceResult)
            if result is not None:
                self.fencer.step(now_ms, result)
                out.to_controller.append(result)
        return out

    def attr_update(self, now_ms: int, update: AttrUpdate) -> ServiceOutputs:
        """The controller's own attribute updates (fail counts, shutdown)."""
        out = ServiceOutputs()
        self._attrd(now_ms, update, out)
        return out

    def fence(self, now_ms: int, request: FenceRequest) -> ServiceOutputs:
        out = ServiceOutputs()
        self._fencer(now_ms, request, out)
        return out

    def agent_done(self, now_ms: int, done: AgentDone) -> ServiceOutputs:
        out = ServiceOutputs()
        self._fencer(now_ms, done, out)
        return out

    def tick(self, now_ms: int) -> ServiceOutputs:
        out = ServiceOutputs()
        self._attrd(now_ms, Tick(), out)
        self._fencer(now_ms, Tick(), out)
        return out

    def request(self, now_ms: int, req: ClientRequest) -> ServiceOutputs:
        """A client's attrd / stonith request; malformed ones get Reply(ok=False)."""
        out = ServiceOutputs()
        match req.request:
            case AttrUpdate() as update:
                problem = attr_update_problem(update)
                if problem is not None:
                    out.external.append(Reply(req.request_id, False, None, (problem,)))
                    return out
                self._attrd(now_ms, replace(update, node=update.node or self.node_name), out)
                out.external.append(Reply(req.request_id, True))
            case AttrdRefresh():
                self._attrd(now_ms, req.request, out)
                out.external.append(Reply(req.request_id, True))
            case AttrdQuery(name, node, all_nodes):
                where = None if all_nodes and not node else node or self.node_name
                values = AttrValues(self.node_name, self.attrd.query(name, where))
                out.external.append(Reply(req.request_id, True, values))
            case FenceRequest(target, action):
                self._fence_requests += 1
                request_id = f"{self.node_name}-admin-{self._fence_requests}"
                self._waiters.setdefault(request_id, []).append(req.request_id)
                self._fencer(now_ms, FenceRequest(target, action, self.node_name, request_id), out)
            case FencerStatusQuery():
                fencer = self.fencer.status()
                out.external.append(Reply(req.request_id, True, FencerReport(
                    fencer.devices, now_ms, fencer.history)))
        return out

    # ------------------------------------------------------------------- cores

    def _attrd(self, now_ms: int, event: Any, out: ServiceOutputs) -> None:
        for item in self.attrd.step(now_ms, event):
            if isinstance(item, AttrdSend):
                out.sends.append((ATTRD_GROUP, item.data))
            elif isinstance(item, AttrWrite):
                node_id = self._ids.get(item.node)
                if node_id is None:
                    self._unwritable += 1
                    log.warning("attribute for an unknown node not written node=%s name=%s",
                                item.node, item.name)
                    continue
                out.cib_writes.append(node_attribute_request(node_id, item.node, item.name,
                                                             item.value, item.lifetime))

    def _fencer(self, now_ms: int, event: Any, out: ServiceOutputs) -> None:
        told: set[tuple[str, str]] = set()
        for item in self.fencer.step(now_ms, event):
            if not isinstance(item, FenceResult):
                out.external.append(item)  # RunAgent
                continue
            out.to_controller.append(item)
            if (item.target, item.action) not in told:
                # Merged requests share one outcome: peers need to hear it once.
                told.add((item.target, item.action))
                out.sends.append((STONITH_GROUP, FENCE_WIRE.encode(item)))
            for client in self._waiters.pop(item.request_id, []):
                out.external.append(Reply(client, True, FenceOutcome(
                    item.ok, item.device, item.reason)))

    def _name_of(self, node_id: NodeId) -> str:
        return self._names.get(node_id, str(int(node_id)))

    def _member_names(self) -> tuple[str, ...]:
        return tuple(sorted(self._name_of(m) for m in self._members))


def attr_update_problem(update: AttrUpdate) -> Problem | None:
    """Why a client's attribute update cannot be applied (None when it can)."""
    if not update.name:
        return Problem(Code.ATTR_INVALID, "an attribute update needs a name")
    if update.lifetime not in ("reboot", "forever"):
        return Problem(Code.ATTR_INVALID, f"lifetime {update.lifetime!r} is not reboot or forever")
    if update.dampen_ms < 0:
        return Problem(Code.ATTR_INVALID, "dampening cannot be negative")
    return None
