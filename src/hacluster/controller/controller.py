"""The controller core: DC election, join, the DC's transitions and every node's part in
them (run what the DC asks, record results in its own status section).

Owns the flow of DESIGN.md §3b: membership -> DC (lowest member id: every member computes
the same answer from the same ring) -> join (each member writes its own resource history,
then acks over CPG; the DC then writes node_state join fields, dc-uuid, have-quorum) ->
RunScheduler -> transition -> actions as CPG messages -> the target's executor -> results
into the CIB -> the DC matches them by transition-key. The DC's observing, scheduling and
transition running live in controller/dc.py (DcTransitions, mixed in); this module keeps
identity, membership, join, every node's own operations and shutdown. Must never do I/O or
read a clock: wall time is `now_ms + wall_offset_ms`, handed in by the owner.
Spec: Pacemaker Explained "Status", "Transitions", "Failure Response"; DESIGN.md §2, §3b.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from hacluster.cib import CIBRequest
from hacluster.common import NodeId
from hacluster.controller.dc import DcTransitions, Output
from hacluster.controller.failures import (
    failure_attrs,
)
from hacluster.controller.join import (
    cib_attrs_write,
    dc_properties_write,
    node_state_writes,
    recorded_active,
)
from hacluster.controller.lrm import LocalHistory, cleaned_up, is_failure
from hacluster.controller.messages import (
    ActionResult,
    CancelRequest,
    CibChanged,
    CibWrite,
    JoinAck,
    Leave,
    Membership,
    PeerMessage,
    PeerSend,
    QuorumChanged,
    ShutdownRequested,
    decode,
    encode,
)
from hacluster.controller.monitors import RecurringMonitors
from hacluster.controller.observe import (
    SeenOp,
    attrs_of,
    ops_by_node,
)
from hacluster.controller.records import (
    attrs_xml,
    node_names,
    node_state_of,
)
from hacluster.controller.transition import TransitionStatus
from hacluster.events import (
    AttrUpdate,
    ExecuteOp,
    FenceResult,
    OpRequest,
    OpResult,
    SchedulerDone,
    Tick,
)

log = logging.getLogger(__name__)

Input = (Membership | QuorumChanged | CibChanged | PeerMessage | OpResult | SchedulerDone
         | FenceResult | ShutdownRequested | Tick)
SHUTDOWN_ESCALATION_MS = 120_000
CREATE = frozenset({"allow-create"})


@dataclass(frozen=True, slots=True)
class ControllerStatus:
    node: str
    dc: str | None
    is_dc: bool
    joined: bool
    ring_seq: int
    transition: TransitionStatus | None
    transitions: int
    active: tuple[str, ...]
    pending_ops: int
    leaving: bool
    dropped: int


class Controller(DcTransitions):
    """One node's controller; the DC role is a mode of it, not another object."""

    def __init__(self, node_id: NodeId, node_name: str, *, wall_offset_ms: int = 0,
                 max_parallel: int = 8) -> None:
        self.node_id = node_id
        self.name = node_name
        self.wall_offset_ms = wall_offset_ms
        self.max_parallel = max_parallel
        self.history = LocalHistory(node_name)
        self.doc: Any = None
        self.synced = False
        self.members: tuple[NodeId, ...] = ()
        self.quorate = False
        self.ring_seq = -1
        self.acked_ring = -1  # the ring this node wrote its history for
        self.acks: set[str] = set()
        self.previous: tuple[NodeId, ...] = ()  # the members of the ring before this one
        self.joined_ring = -1  # DC: the ring whose join it completed
        self.pending: dict[str, OpRequest] = {}  # one-shot ops at our executor, by key
        self.monitors = RecurringMonitors(node_name)
        self._init_dc_state()
        self.shutdown_ms: int | None = None
        self.shutting: set[str] = set()  # DC: node ids that asked to shut down
        self.left = False
        self.dropped = 0
        # Booting: until this node first shares a ring with another or has quorum, or
        # dc-deadtime has passed since it started, a lone DC plans nothing (Pacemaker waits
        # dc-deadtime for a DC): a machine that boots forms a ring of its own before it
        # merges with the running cluster, and must not start what the others run.
        self.boot_ms: int | None = None
        self.booting = True

    # ------------------------------------------------------------------ contract

    def step(self, now_ms: int, event: Input) -> list[Output]:
        out: list[Output] = []
        if self.boot_ms is None:
            self.boot_ms = now_ms
        match event:
            case Membership():
                out += self._membership(now_ms, event)
            case QuorumChanged(quorate=quorate):
                self.quorate = quorate
                self.booting = self.booting and not quorate
                if self.is_dc() and self.joined_ring == self.ring_seq:
                    out += self._write_cib_attrs()
                    self._abort("quorum changed")
            case CibChanged():
                out += self._cib_changed(now_ms, event)
            case PeerMessage():
                out += self._peer(now_ms, event)
            case OpResult():
                out += self._op_result(now_ms, event)
            case SchedulerDone():
                out += self._scheduler_done(now_ms, event)
            case FenceResult():
                out += self._fence_result(event)
            case ShutdownRequested():
                out += self._shutdown_requested(now_ms)
            case Tick():
                out += self._tick(now_ms)
        if self.is_dc():
            out += self._advance(now_ms)
        out += self._maybe_leave(now_ms)
        return out

    def next_deadline_ms(self) -> int | None:
        times = [t for t in (self.recheck_ms if self.is_dc() else None,
                             self.retry_ms if self.is_dc() else None,
                             self.run.next_deadline_ms() if self.run else None,
                             self._boot_end_ms() if self.is_dc() and self.booting else None,
                             self.shutdown_ms + SHUTDOWN_ESCALATION_MS
                             if self.shutdown_ms is not None and not self.left else None)
                 if t is not None]
        return min(times) if times else None

    def status(self) -> ControllerStatus:
        return ControllerStatus(
            self.name, self.dc_name(), self.is_dc(), self.acked_ring == self.ring_seq,
            self.ring_seq, self.run.status() if self.run else None, self.transitions,
            tuple(self.history.active()), len(self.pending), self.shutdown_ms is not None,
            self.dropped)

    # ------------------------------------------------------------------ identity

    def is_dc(self) -> bool:
        return bool(self.members) and min(self.members) == self.node_id and not self.left

    def name_of(self, node_id: int) -> str:
        if self.doc is not None:
            return node_names(self.doc.root).get(int(node_id), str(int(node_id)))
        return str(int(node_id))

    def dc_name(self) -> str | None:
        return self.name_of(min(self.members)) if self.members else None

    def wall_ms(self, now_ms: int) -> int:
        return now_ms + self.wall_offset_ms

    # ------------------------------------------------------------------ membership, join

    def _membership(self, now_ms: int, event: Membership) -> list[Output]:
        self.previous = self.members
        self.members = tuple(sorted(event.members))
        self.quorate = event.quorate
        self.ring_seq = event.ring_seq
        self.booting = self.booting and len(self.members) < 2 and not self.quorate
        self.synced = False
        self.acks = set()
        self.predicted = {}
        if not self.is_dc():
            self.unrecorded = {}
        if self.run is not None:
            self._abort("membership changed")
            # Actions sent to nodes that are gone will never report: fail them now. Those
            # on members that stay still run and will report: wait for them, or the next
            # transition would not know they happened (and start a second clone instance).
            present = {self.name_of(m) for m in self.members} if self.is_dc() else set()
            targets = {syn.action.id: syn.action.node for syn in self.run.synapses}
            for aid in self.run.running():
                if targets.get(aid) not in present:
                    self.run.finish(aid, False)
        log.info("controller membership node=%s ring=%d members=%s dc=%s quorate=%s",
                 self.name, event.ring_seq, list(self.members), self.dc_name(), self.quorate)
        return []

    def _cib_changed(self, now_ms: int, event: CibChanged) -> list[Output]:
        before = self.doc
        steady = self.synced and event.synced and self.acked_ring == self.ring_seq
        self.doc = event.doc
        self.synced = event.synced
        out: list[Output] = []
        if steady and before is not None:  # not a membership sync replacing the document
            for rsc_id in cleaned_up(before.root, event.doc.root, str(int(self.node_id))):
                if self.history.forget_failure(rsc_id):
                    log.info("failure history cleaned up node=%s rsc=%s", self.name, rsc_id)
        if self.synced and self.acked_ring != self.ring_seq and self.ring_seq >= 0:
            # Join: our own history is the truth about this node; then say so to the DC.
            self.acked_ring = self.ring_seq
            out += self._write_lrm()
            out.append(PeerSend(encode(JoinAck(self.name, self.ring_seq))))
            if self.is_dc():
                out += self._maybe_finish_join(now_ms)
        if self.is_dc() and self.joined_ring == self.ring_seq and before is not None:
            self._observe(now_ms, before, event.touched)
        else:
            self.ops_stale = True
        return out

    def _peer(self, now_ms: int, event: PeerMessage) -> list[Output]:
        message = decode(event.data)
        if message is None:
            self.dropped += 1
            return []
        if isinstance(message, JoinAck):
            if self.is_dc() and message.ring_seq == self.ring_seq:
                self.acks.add(message.node)
                return self._maybe_finish_join(now_ms)
            return []
        if isinstance(message, ActionResult):
            aid = self.action_keys.pop(message.transition_key, None)
            if self.is_dc() and aid is not None and self.run is not None:
                self.run.finish(aid, message.rc == 0 and message.op_status == 0)
            return []
        if message.target != self.name or message.dc != self.dc_name():
            return []
        if isinstance(message, CancelRequest):
            return self._cancel(message.rsc_id, message.task, message.interval_ms,
                                message.transition_key)
        return self._execute(message.op)

    def _maybe_finish_join(self, now_ms: int) -> list[Output]:
        """The join completes once every member that is new to this ring has written its
        history (its ack follows its write in the agreed order). Members of the previous
        ring wrote theirs then, and the CIB sync keeps each member's own node_state: a
        node loss needs no round of acks, which keeps the failover path short."""
        wanted = {self.name_of(m) for m in self.members if m not in self.previous}
        if self.joined_ring == self.ring_seq or not self.synced or not wanted <= self.acks:
            return []
        self.joined_ring = self.ring_seq
        log.info("dc join complete node=%s ring=%d members=%s", self.name, self.ring_seq,
                 sorted(wanted))
        self._see_ops(ops_by_node(self.doc.root), full=True)  # landed while joining
        self.seen_attrs = attrs_of(self.doc.root)
        self.need_schedule = True
        return self._write_node_states() + self._write_cib_attrs()

    def _write_node_states(self) -> list[Output]:
        return list(node_state_writes(self.doc.root, self.members, self.shutting))

    def _write_cib_attrs(self) -> list[Output]:
        out: list[Output] = [cib_attrs_write(self.quorate, self.members,
                                             str(int(self.node_id)))]
        props = dc_properties_write(self.doc.root) if self.quorate else None
        return out + [props] if props is not None else out

    # ------------------------------------------------------------------ every node: ops

    def _execute(self, op: OpRequest) -> list[Output]:
        out: list[Output] = []
        if op.action == "delete":
            # Forget the resource's history here (an orphan, or another agent's history).
            self.monitors.cancel(op.rsc_id)
            self.history.forget(op.rsc_id)
            return self._write_lrm() + [PeerSend(encode(ActionResult(
                self.name, op.transition_key, 0, 0)))]
        if op.interval_ms > 0:  # a recurring op of the graph: runs until cancelled
            return list(self.monitors.start(op))
        if op.action in ("stop", "demote", "promote", "migrate_to"):
            # Its recurring ops end before the resource changes state; the graph starts
            # those of the new role after it.
            out += self.monitors.cancel(op.rsc_id)
            self.history.drop_recurring(op.rsc_id)
        self.pending[op.transition_key or f"{op.rsc_id}_{op.action}"] = op
        out.append(ExecuteOp(op))
        return out

    def _cancel(self, rsc_id: str, task: str, interval_ms: int, key: str) -> list[Output]:
        """A graph cancel action: the recurring op ends and leaves this node's history."""
        out: list[Output] = list(self.monitors.cancel_one(rsc_id, task, interval_ms))
        if self.history.drop_op(rsc_id, task, interval_ms):
            out += self._write_lrm()
        log.info("cancelled %s_%s_%d on %s", rsc_id, task, interval_ms, self.name)
        return out + [PeerSend(encode(ActionResult(self.name, key, 0, 0)))]

    def _op_result(self, now_ms: int, result: OpResult) -> list[Output]:
        op = result.op
        wall_s = self.wall_ms(now_ms) // 1000
        if op.interval_ms == 0:
            self.pending.pop(op.transition_key or f"{op.rsc_id}_{op.action}", None)
        elif not self.monitors.is_running(op.rsc_id, op.action, op.interval_ms):
            return []  # a cancelled monitor's last word
        if op.action == "notify":  # never recorded in the CIB: the DC hears it directly
            return [PeerSend(encode(ActionResult(self.name, op.transition_key, result.rc,
                                                 result.op_status)))]
        self.history.record(result, wall_s)
        log.info("result of %s operation for %s on %s: rc=%d status=%d", op.action, op.rsc_id,
                 self.name, result.rc, result.op_status)
        out = self._write_lrm()  # the whole <lrm>: entries may have gone (see _write_lrm)
        if self.is_dc() and self.doc is not None:
            # The DC's own result: act on it now (go on with the transition, or schedule the
            # recovery), not after the CIB round; scheduling copies carry its history.
            seen = SeenOp(str(int(self.node_id)), op.rsc_id, op.action, op.interval_ms,
                          str(result.call_id), result.rc, result.op_status, op.transition_key,
                          wall_s)
            self.results += 1
            self.unrecorded[(op.rsc_id, seen.call_id)] = self.results
            self._finish_action(seen)
        probe = op.action == "monitor" and op.interval_ms == 0
        if is_failure(result) and not probe:
            out += self._count_failure(op, wall_s)
        return out

    def _count_failure(self, op: OpRequest, wall_s: int) -> list[Output]:
        if self.doc is None:
            return []
        attrs = failure_attrs(self.doc.root, str(int(self.node_id)), op.rsc_id, op.action,
                              op.interval_ms, wall_s)
        # Through attrd, as Pacemaker's controller does: one writer, no lost updates.
        return [AttrUpdate(self.name, name, value) for name, value in attrs.items()]

    def _write_lrm(self, only: str | None = None) -> list[Output]:
        """This node's history into its own node_state: the whole <lrm> (replaced), or with
        `only`, that resource's entries merged in (a smaller write on the failover path)."""
        node_id = str(int(self.node_id))
        xml = self.history.lrm_xml(node_id, only)
        state = node_state_of(self.doc.root, node_id) if self.doc is not None else None
        if only is None and state is not None and state.find("lrm") is not None:
            return [CibWrite(CIBRequest("replace", xml, "status", status_of=node_id))]
        wrapped = attrs_xml("node_state", {"id": node_id, "uname": self.name}, xml)
        return [CibWrite(CIBRequest("modify", wrapped, "status", options=CREATE,
                                    status_of=node_id))]

    # ------------------------------------------------------------------ shutdown

    def _shutdown_requested(self, now_ms: int) -> list[Output]:
        if self.shutdown_ms is not None:
            return []
        self.shutdown_ms = now_ms
        log.info("shutdown requested node=%s: stopping resources before leaving", self.name)
        return [AttrUpdate(self.name, "shutdown", str(self.wall_ms(now_ms) // 1000))]

    def _maybe_leave(self, now_ms: int) -> list[Output]:
        if self.shutdown_ms is None or self.left:
            return []
        escalated = now_ms >= self.shutdown_ms + SHUTDOWN_ESCALATION_MS
        idle = not self.history.active() and not self.pending
        # Leave once nothing runs here and the CIB says so (the stops are recorded, so the
        # next DC does not think the resources still run on a node that left).
        if not escalated and not (idle and not recorded_active(
                self.doc.root if self.doc is not None else None, str(int(self.node_id)))):
            return []
        self.left = True
        log.info("leaving node=%s resources stopped=%s", self.name, not escalated)
        return [Leave()]
