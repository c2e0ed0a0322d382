"""The controller core: DC election, join, the DC's transitions and every node's part in
them (run what the DC asks, record results in its own status section).

Owns the flow of DESIGN.md §3b: membership -> DC (lowest member id: every member computes
the same answer from the same ring) -> join (each member writes its own resource history,
then acks over CPG; the DC then writes node_state join fields, dc-uuid, have-quorum) ->
RunScheduler -> transition -> actions as CPG messages -> the target's executor -> results
into the CIB -> the DC matches them by transition-key. Must never do I/O or read a clock:
wall time is `now_ms + wall_offset_ms`, handed in by the owner.
Spec: Pacemaker Explained "Status", "Transitions", "Failure Response"; DESIGN.md §2, §3b.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from hacluster.cib import CIBRequest, copy_element, serialize
from hacluster.common import NodeId, duration_ms
from hacluster.controller.failures import (
    Prediction,
    apply_prediction,
    failure_attrs,
    is_predicted,
    predict,
    settle,
)
from hacluster.controller.join import (
    cib_attrs_write,
    dc_properties_write,
    forget_node,
    node_state_writes,
    patch_membership,
    patch_own_history,
    recorded_active,
)
from hacluster.controller.lrm import LocalHistory, is_failure
from hacluster.controller.messages import (
    ActionResult,
    CibChanged,
    CibWrite,
    ExecuteRequest,
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
from hacluster.controller.notify import notify_meta
from hacluster.controller.observe import (
    SeenOp,
    attrs_of,
    expired_failures,
    new_ops,
    ops_of,
    recheck_wall_ms,
)
from hacluster.controller.records import (
    attrs_xml,
    cluster_property,
    node_names,
    node_state_of,
    op_request,
    target_rc_of,
    transition_key,
)
from hacluster.controller.transition import TransitionRun, TransitionStatus
from hacluster.events import (
    AttrUpdate,
    CancelOp,
    ExecuteOp,
    FenceRequest,
    FenceResult,
    OpRequest,
    OpResult,
    RunScheduler,
    SchedulerDone,
    Tick,
)

log = logging.getLogger(__name__)

Input = (Membership | QuorumChanged | CibChanged | PeerMessage | OpResult | SchedulerDone
         | FenceResult | ShutdownRequested | Tick)
Output = (CibWrite | PeerSend | ExecuteOp | CancelOp | RunScheduler | FenceRequest | AttrUpdate
          | Leave)
ACTION_SLACK_MS = 20_000  # beyond an op's own timeout before the DC gives up on it
FENCE_TIMEOUT_MS = 120_000
SHUTDOWN_ESCALATION_MS = 120_000
RETRY_MS = 1000
DC_DEADTIME = "20s"  # Pacemaker's default dc-deadtime
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


def max_attempts(text: str) -> int:
    """stonith-max-attempts as Pacemaker reads it: a score; below 1 means the default 10."""
    word = text.strip().upper().lstrip("+")
    value = 1_000_000 if word == "INFINITY" else int(word) if word.isdigit() else 0
    return value if value >= 1 else 10


class Controller:
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
        self.monitors = RecurringMonitors(str(int(node_id)), node_name)
        # DC state
        self.run: TransitionRun | None = None
        self.transitions = 0
        self.action_keys: dict[str, int] = {}
        self.fence_ids: dict[str, int] = {}
        # failed fencing attempts per target, heard by every node (a new DC goes on
        # counting); a success resets them (Pacemaker's stonith-max-attempts)
        self.fence_failures: dict[str, int] = {}
        self.fencing_gave_up = 0  # DC: the current run's fencing failures past the maximum
        self.scheduling: tuple[int, int, int] | None = None
        self.need_schedule = False
        self.seen_ops: dict[Any, SeenOp] = {}
        self.seen_attrs: frozenset[tuple[str, str, str]] = frozenset()
        self.predicted: Prediction = {}  # fail counts a failing node is about to write
        # (rsc, call) -> order: results of the DC's own executor it acted on before the CIB
        # showed them; once the CIB shows one, it has every one before it (whole-lrm writes)
        self.unrecorded: dict[tuple[str, str], int] = {}
        self.results = 0
        self.recheck_ms: int | None = None
        self.shutdown_ms: int | None = None
        self.run_started_ms = 0
        self.retry_ms: int | None = None  # DC: no scheduling before (a transition that
        # failed the moment it started would otherwise be planned again in a tight loop)
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
        self.doc = event.doc
        self.synced = event.synced
        out: list[Output] = []
        if self.synced and self.acked_ring != self.ring_seq and self.ring_seq >= 0:
            # Join: our own history is the truth about this node; then say so to the DC.
            self.acked_ring = self.ring_seq
            out += self._write_lrm()
            out.append(PeerSend(encode(JoinAck(self.name, self.ring_seq))))
            if self.is_dc():
                out += self._maybe_finish_join(now_ms)
        if self.is_dc() and self.joined_ring == self.ring_seq and before is not None:
            self._observe(now_ms, before)
        return out + self._maintenance(now_ms)

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
        self._see_ops(ops_of(self.doc.root))  # results that landed while joining
        self.seen_attrs = attrs_of(self.doc.root)
        self.need_schedule = True
        return self._write_node_states() + self._write_cib_attrs()

    def _write_node_states(self) -> list[Output]:
        return list(node_state_writes(self.doc.root, self.members, self.shutting))

    def _patch_membership(self, root: Any) -> None:
        patch_membership(root, self.quorate, self.members, self.shutting)

    def _patch_own_history(self, root: Any) -> None:
        if self.unrecorded:
            node_id = str(int(self.node_id))
            patch_own_history(root, node_id, self.history.lrm_xml(node_id))

    def _forget_node(self, node_id: str) -> list[Output]:
        return list(forget_node(self.doc.root, node_id))

    def _write_cib_attrs(self) -> list[Output]:
        out: list[Output] = [cib_attrs_write(self.quorate, self.members,
                                             str(int(self.node_id)))]
        props = dc_properties_write(self.doc.root) if self.quorate else None
        return out + [props] if props is not None else out

    # ------------------------------------------------------------------ DC: observing

    def _observe(self, now_ms: int, before: Any) -> None:
        root = self.doc.root
        log.debug("dc sees cib version=%s before=%s", self.doc.version, before.version)
        if before.version[:2] != self.doc.version[:2]:
            self._abort("configuration changed")
        self._see_ops(ops_of(root))
        attrs = attrs_of(root)
        self.shutting = {node for node, name, _ in attrs if name == "shutdown"} | {
            n for n in self.shutting if NodeId(int(n)) not in self.members}
        if attrs != self.seen_attrs:
            # A fail count the last scheduler run already counted is no news.
            if not is_predicted(self.seen_attrs, attrs, self.predicted):
                self._abort("node attributes changed")
            self.seen_attrs = attrs
        self.predicted = settle(root, self.predicted)

    def _see_ops(self, ops: dict[Any, SeenOp]) -> None:
        handled = 0
        for seen in new_ops(self.seen_ops, ops):
            order = self.unrecorded.get((seen.rsc_id, seen.call_id)) \
                if seen.node_id == str(int(self.node_id)) else None
            if order is None:
                self._finish_action(seen)
            handled = max(handled, order or 0)  # the DC's own: acted on when it ran
        # whole-lrm writes: a CIB that shows one own result shows every one before it
        self.unrecorded = {k: v for k, v in self.unrecorded.items() if v > handled}
        self.seen_ops = ops

    def _finish_action(self, seen: SeenOp) -> None:
        """An op result, seen in the CIB or (the DC's own) reported by its executor."""
        target = target_rc_of(seen.transition_key)
        probe = seen.operation == "monitor" and seen.interval_ms == 0
        unexpected = seen.op_status != 0 or target is None or seen.rc != target
        aid = self.action_keys.get(seen.transition_key) if seen.interval_ms == 0 else None
        if aid is not None and self.run is not None:
            failed = seen.op_status != 0 or (seen.rc != target and not (probe and seen.rc in
                                                                         (0, 7, 8)))
            if self.run.finish(aid, not failed):
                del self.action_keys[seen.transition_key]
        if not probe and (seen.op_status != 0 or seen.rc != (0 if target is None else target)):
            # the failing node counts it (_count_failure): count it in the next run already
            self.predicted.update(predict(self.doc.root, seen.node_id, seen.rsc_id,
                                          seen.operation, seen.interval_ms,
                                          seen.last_rc_change))
        if unexpected:
            self._abort(f"unexpected result {seen.rsc_id} {seen.operation} rc={seen.rc} "
                        f"on {seen.node_id}")

    def _abort(self, reason: str) -> None:
        self.need_schedule = True
        if self.run is not None and not self.run.aborted:
            log.info("transition aborted id=%d reason=%s", self.run.transition_id, reason)
            self.run.abort(reason)

    # ------------------------------------------------------------------ DC: scheduling

    def _advance(self, now_ms: int) -> list[Output]:
        out: list[Output] = []
        if self.joined_ring != self.ring_seq or not self.synced:
            return out
        while self.run is not None:
            ready = self.run.ready()
            for action in ready:
                out += self._fire(now_ms, action)
            if self.run.is_finished():
                st = self.run.status()
                log.info("transition %s id=%d actions=%d failed=%d",
                         "aborted" if st.aborted else "complete", st.transition_id, st.actions,
                         st.failed)
                # (an abort by a change has set need_schedule already: _abort)
                if st.failed > self.fencing_gave_up:
                    self.need_schedule = True
                elif st.failed:
                    log.warning("fencing gave up: no new transition until something changes")
                self.fencing_gave_up = 0
                if st.failed and now_ms == self.run_started_ms:
                    log.warning("transition failed at once id=%d: next one in %d ms",
                                st.transition_id, RETRY_MS)
                    self.retry_ms = now_ms + RETRY_MS
                self.run = None
                self.action_keys = {}
                break
            if not any(a.pseudo or a.rsc is None and a.task != "stonith" for a in ready):
                break
        if self.retry_ms is not None and now_ms >= self.retry_ms:
            self.retry_ms = None
        if self.booting and now_ms >= self._boot_end_ms():
            self.booting = False
            log.info("dc-deadtime passed node=%s: planning alone", self.name)
        if self.run is None and self.need_schedule and self.scheduling is None \
                and self.retry_ms is None and not self.booting:
            out += self._clear_expired(now_ms)
            out.append(self._run_scheduler(now_ms))
        return out

    def _boot_end_ms(self) -> int:
        deadtime = cluster_property(self.doc.root, "dc-deadtime", DC_DEADTIME) \
            if self.doc is not None else DC_DEADTIME
        return (self.boot_ms or 0) + duration_ms(deadtime, duration_ms(DC_DEADTIME))

    def _clear_expired(self, now_ms: int) -> list[Output]:
        """Fail counts past their failure-timeout are cleared (through attrd)."""
        out: list[Output] = []
        for node_id, key in expired_failures(self.doc.root, self.wall_ms(now_ms)):
            node = self.name_of(int(node_id))
            log.info("failure expired node=%s op=%s: fail-count cleared", node, key)
            out += [AttrUpdate(node, f"fail-count-{key}", None),
                    AttrUpdate(node, f"last-failure-{key}", None)]
        return out

    def _run_scheduler(self, now_ms: int) -> RunScheduler:
        self.need_schedule = False
        root = copy_element(self.doc.root)
        self._patch_membership(root)
        self._patch_own_history(root)
        self.predicted = settle(self.doc.root, self.predicted)
        apply_prediction(root, self.predicted)
        self.scheduling = tuple(self.doc.version)
        wall = self.wall_ms(now_ms)
        self.recheck_ms = recheck_wall_ms(root, wall) - self.wall_offset_ms
        log.debug("scheduler run requested cib=%s", self.doc.version)
        return RunScheduler(tuple(self.doc.version), serialize(root, False), wall // 1000)

    def _scheduler_done(self, now_ms: int, event: SchedulerDone) -> list[Output]:
        log.debug("scheduler done cib=%s", event.cib_version)
        if not self.is_dc() or self.scheduling is None \
                or tuple(event.cib_version) != self.scheduling:
            self.dropped += 1
            return []
        self.scheduling = None
        if self.need_schedule or self.run is not None or event.transition is None:
            if event.transition is None:
                log.warning("scheduler failed: the cluster stays as it is")
            return []  # stale: something changed while it ran; _advance asks again
        synapses = tuple(event.transition.synapses)
        self.transitions += 1
        if not synapses:
            log.debug("transition empty id=%d", self.transitions)
            return []
        log.info("transition started id=%d actions=%d", self.transitions, len(synapses))
        limit = cluster_property(self.doc.root, "batch-limit", "0")
        parallel = int(limit) if limit.isdigit() and int(limit) > 0 else self.max_parallel
        self.run = TransitionRun(self.transitions, synapses, parallel)
        self.run_started_ms = now_ms
        return []

    def _fire(self, now_ms: int, action: Any) -> list[Output]:
        assert self.run is not None
        tid = self.run.transition_id
        if action.pseudo or (action.rsc is None and action.task != "stonith"):
            self.run.fire(action.id, None)
            self.run.finish(action.id, True)
            return []
        if action.task == "stonith":
            request_id = f"{tid}:{action.id}"
            self.fence_ids[request_id] = action.id
            self.run.fire(action.id, now_ms + FENCE_TIMEOUT_MS)
            log.info("fencing node=%s transition=%d", action.node, tid)
            return [FenceRequest(action.node, "reboot", self.name, request_id)]
        target = 7 if action.task == "monitor" else 0
        key = transition_key(action.id, tid, target, str(int(min(self.members))))
        task = "notify" if action.task.endswith("_notify") else action.task
        # an anonymous clone instance runs under its history's id (its primitive's plain id)
        op = op_request(self.doc.root, action.history_id or action.rsc, task, 0, key,
                        action.node, self.wall_ms(now_ms) // 1000, action.rsc)
        if op is not None and task == "notify":
            op = replace(op, meta=(*op.meta, *notify_meta(
                self.doc.root, (syn.action for syn in self.run.synapses), action)))
        if op is not None and task in ("migrate_to", "migrate_from") and action.peer:
            # OCF: a migrating agent learns both ends (CRM_meta_migrate_source/target).
            source, target = (action.node, action.peer) if task == "migrate_to" \
                else (action.peer, action.node)
            op = replace(op, meta=(*op.meta, ("migrate_source", source),
                                   ("migrate_target", target)))
        if op is None:
            self.run.fire(action.id, None)
            self.run.finish(action.id, False)
            return []
        self.action_keys[key] = action.id
        self.run.fire(action.id, now_ms + op.timeout_ms + ACTION_SLACK_MS)
        log.debug("action fired %s %s on %s key=%s", action.rsc, action.task, action.node, key)
        if action.node == self.name:
            return self._execute(op)
        return [PeerSend(encode(ExecuteRequest(self.name, action.node, op)))]

    def _fence_result(self, event: FenceResult) -> list[Output]:
        aid = self.fence_ids.pop(event.request_id, None)
        out: list[Output] = []
        if event.ok and self.is_dc():
            victim = next((str(i) for i, n in node_names(self.doc.root).items()
                           if n == event.target), None)
            if victim is not None:
                out.append(CibWrite(CIBRequest("modify", attrs_xml("node_state", {
                    "id": victim, "uname": event.target, "in_ccm": "false", "crmd": "offline",
                    "join": "down", "expected": "down",
                    "crm-debug-origin": "send_stonith_update"}), "status",
                    options=CREATE, status_of=victim)))
                out += self._forget_node(victim)
        if event.action != "on" and (aid is not None or not self.is_dc()):
            self._count_fencing(event)
        if aid is not None and self.run is not None:
            self.run.finish(aid, event.ok)
            if not event.ok and self._too_many_fence_failures(event.target):
                self.fencing_gave_up += 1
        return out

    def _count_fencing(self, event: FenceResult) -> None:
        if event.ok:
            self.fence_failures.pop(event.target, None)
        else:
            self.fence_failures[event.target] = self.fence_failures.get(event.target, 0) + 1

    def _too_many_fence_failures(self, target: str) -> bool:
        """stonith-max-attempts: after that many failures the DC stops asking again at
        once; a later change (CIB, attribute, membership, recheck) plans it anew."""
        count = self.fence_failures.get(target, 0)
        maximum = max_attempts(cluster_property(self.doc.root, "stonith-max-attempts", "10")
                               if self.doc is not None else "10")
        if count >= maximum:
            log.warning("too many failures (%d) to fence %s: giving up for now", count, target)
            return True
        return False

    def _tick(self, now_ms: int) -> list[Output]:
        if self.run is not None:
            for aid in self.run.expired(now_ms):
                log.warning("action timed out id=%d transition=%d", aid, self.run.transition_id)
                self.run.finish(aid, False)
        if self.is_dc() and self.recheck_ms is not None and now_ms >= self.recheck_ms:
            self.recheck_ms = None
            self.need_schedule = True
        return []

    # ------------------------------------------------------------------ every node: ops

    def _execute(self, op: OpRequest) -> list[Output]:
        out: list[Output] = []
        if op.action == "delete":
            # Forget the resource's history here (an orphan, or another agent's history).
            self.monitors.cancel(op.rsc_id)
            self.history.forget(op.rsc_id)
            return self._write_lrm() + [PeerSend(encode(ActionResult(
                self.name, op.transition_key, 0, 0)))]
        if op.action in ("stop", "demote", "promote"):
            out += self.monitors.cancel(op.rsc_id)
        self.pending[op.transition_key or f"{op.rsc_id}_{op.action}"] = op
        out.append(ExecuteOp(op))
        return out

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
        if result.rc == 0 and result.op_status == 0 and op.action in (
                "start", "promote", "demote", "migrate_from"):  # migrate_from: up here now
            out += self.monitors.start(self.doc.root if self.doc is not None else None, op,
                                       wall_s)
        return out

    def _maintenance(self, now_ms: int) -> list[Output]:
        out, changed = self.monitors.maintenance(self.doc.root, self.history,
                                                 self.wall_ms(now_ms) // 1000)
        return [*out, *self._write_lrm()] if changed else list(out)

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
