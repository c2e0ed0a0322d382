"""The DC's side of the controller: what it notices in each new CIB, when it runs the
scheduler, and how it runs a transition (firing actions, fencing, timeouts, aborts).

Owns the DC state (the running TransitionRun, the action keys it waits for, the op results
and node attributes it has seen, the fail counts it predicts, the recheck and retry times,
the fencing failure counts of stonith-max-attempts) and the methods that change it. A mixin
of Controller, which owns identity, membership, join and every node's own operations: one
object, split by responsibility. Must never do I/O or read a clock (DESIGN.md §2).
Spec: Pacemaker Explained "Transitions", "Failure Response", "Fencing" (stonith-max-attempts).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hacluster.cib import CIBRequest
from hacluster.common import NodeId, duration_ms, parse_score
from hacluster.controller.failures import (
    Prediction,
    is_predicted,
    predict,
    settle,
)
from hacluster.controller.join import forget_node
from hacluster.controller.lrm import LocalHistory
from hacluster.controller.messages import (
    CancelRequest,
    CibWrite,
    ExecuteRequest,
    Leave,
    PeerSend,
    encode,
)
from hacluster.controller.notify import notify_meta
from hacluster.controller.observe import (
    NodeOps,
    SeenOp,
    attrs_of,
    expired_failures,
    new_node_ops,
    ops_by_node,
    recheck_wall_ms,
)
from hacluster.controller.records import (
    DEFAULT_TIMEOUT_MS,
    attrs_xml,
    cluster_property,
    node_names,
    op_request,
    recurring_target_rc,
    target_rc_of,
    transition_key,
)
from hacluster.controller.transition import TransitionRun
from hacluster.events import (
    AttrUpdate,
    CancelOp,
    ExecuteOp,
    FenceRequest,
    FenceResult,
    OpRequest,
    RunScheduler,
    SchedulerDone,
    SchedulingView,
)

log = logging.getLogger("hacluster.controller.controller")  # one logger for the controller

Output = (CibWrite | PeerSend | ExecuteOp | CancelOp | RunScheduler | FenceRequest | AttrUpdate
          | Leave)
ACTION_SLACK_MS = 20_000  # beyond an op's own timeout before the DC gives up on it
FENCE_TIMEOUT_MS = 120_000
RETRY_MS = 1000
DC_DEADTIME = "20s"  # Pacemaker's default dc-deadtime
CREATE = frozenset({"allow-create"})


def max_attempts(text: str) -> int:
    """stonith-max-attempts as Pacemaker reads it: a score; below 1 means the default 10."""
    value = parse_score(text) or 0
    return value if value >= 1 else 10


class DcTransitions:
    """The DC's scheduling and transitions (mixed into Controller)."""

    # Owned by Controller (identity, membership, join), read here.
    node_id: NodeId
    name: str
    wall_offset_ms: int
    max_parallel: int
    history: LocalHistory
    doc: Any
    synced: bool
    members: tuple[NodeId, ...]
    quorate: bool
    ring_seq: int
    joined_ring: int
    shutting: set[str]
    boot_ms: int | None
    booting: bool
    dropped: int

    if TYPE_CHECKING:
        def is_dc(self) -> bool: ...
        def name_of(self, node_id: int) -> str: ...
        def wall_ms(self, now_ms: int) -> int: ...
        def _execute(self, op: OpRequest) -> list[Output]: ...
        def _cancel(self, rsc_id: str, task: str, interval_ms: int,
                    key: str) -> list[Output]: ...

    def _init_dc_state(self) -> None:
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
        self.seen_ops: NodeOps = {}  # the op entries of the CIB seen last, by node id
        self.ops_stale = True  # a CIB went by unobserved: the next look is a full one
        self.seen_attrs: frozenset[tuple[str, str, str]] = frozenset()
        self.predicted: Prediction = {}  # fail counts a failing node is about to write
        # (rsc, call) -> order: results of the DC's own executor it acted on before the CIB
        # showed them; once the CIB shows one, it has every one before it (whole-lrm writes)
        self.unrecorded: dict[tuple[str, str], int] = {}
        self.results = 0
        self.recheck_ms: int | None = None
        self.run_started_ms = 0
        self.retry_ms: int | None = None  # DC: no scheduling before (a transition that
        # failed the moment it started would otherwise be planned again in a tight loop)

    def _forget_node(self, node_id: str) -> list[Output]:
        return list(forget_node(self.doc.root, node_id))


    # ------------------------------------------------------------------ DC: observing

    def _observe(self, now_ms: int, before: Any, touched: frozenset[str] | None) -> None:
        """A new CIB: its op results (only the node_states `touched` since the copy seen
        before, unless that copy was not looked at; None: all) and node attributes."""
        root = self.doc.root
        log.debug("dc sees cib version=%s before=%s", self.doc.version, before.version)
        if before.version[:2] != self.doc.version[:2]:
            self._abort("configuration changed")
        only = None if self.ops_stale else touched
        self._see_ops(ops_by_node(root, only), full=only is None)
        attrs = attrs_of(root)
        self.shutting = {node for node, name, _ in attrs if name == "shutdown"} | {
            n for n in self.shutting if NodeId(int(n)) not in self.members}
        if attrs != self.seen_attrs:
            # A fail count the last scheduler run already counted is no news.
            if not is_predicted(self.seen_attrs, attrs, self.predicted):
                self._abort("node attributes changed")
            self.seen_attrs = attrs
        self.predicted = settle(root, self.predicted)

    def _see_ops(self, ops: NodeOps, full: bool) -> None:
        """New op results among `ops` (every node's when `full`, else some nodes')."""
        handled = 0
        for seen in new_node_ops(self.seen_ops, ops):
            order = self.unrecorded.get((seen.rsc_id, seen.call_id)) \
                if seen.node_id == str(int(self.node_id)) else None
            if order is None:
                self._finish_action(seen)
            handled = max(handled, order or 0)  # the DC's own: acted on when it ran
        # whole-lrm writes: a CIB that shows one own result shows every one before it
        self.unrecorded = {k: v for k, v in self.unrecorded.items() if v > handled}
        self.seen_ops = ops if full else {**self.seen_ops, **ops}
        self.ops_stale = False

    def _finish_action(self, seen: SeenOp) -> None:
        """An op result, seen in the CIB or (the DC's own) reported by its executor."""
        target = target_rc_of(seen.transition_key)
        probe = seen.operation == "monitor" and seen.interval_ms == 0
        unexpected = seen.op_status != 0 or target is None or seen.rc != target
        aid = self.action_keys.get(seen.transition_key)
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
        """The CIB goes out as it is, with what the DC knows beyond it as a view: copying,
        patching and serializing a large CIB is the runner's work, off the loop."""
        self.need_schedule = False
        self.predicted = settle(self.doc.root, self.predicted)
        self.scheduling = tuple(self.doc.version)
        wall = self.wall_ms(now_ms)
        predicted = tuple((node, name, value)
                          for (node, name), (_, value) in sorted(self.predicted.items()))
        self.recheck_ms = recheck_wall_ms(self.doc.root, wall, predicted) - self.wall_offset_ms
        own = str(int(self.node_id)) if self.unrecorded else ""
        view = SchedulingView(self.quorate, tuple(int(n) for n in self.members),
                              tuple(sorted(self.shutting)), own,
                              self.history.lrm_xml(own) if own else "", predicted)
        log.debug("scheduler run requested cib=%s", self.doc.version)
        return RunScheduler(tuple(self.doc.version), b"", wall // 1000, self.doc, view)

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
        # an anonymous clone instance runs under its history's id (its primitive's plain id)
        lrm_id = action.history_id or action.rsc
        if action.task == "cancel":
            return self._fire_cancel(now_ms, action, lrm_id)
        target = 7 if action.task == "monitor" else 0
        if action.is_recurring:
            target = recurring_target_rc(self.doc.root, lrm_id, action.task,
                                         action.interval_ms)
        key = transition_key(action.id, tid, target, str(int(min(self.members))))
        task = "notify" if action.task.endswith("_notify") else action.task
        op = op_request(self.doc.root, lrm_id, task, action.interval_ms, key, action.node,
                        self.wall_ms(now_ms) // 1000, action.rsc)
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

    def _fire_cancel(self, now_ms: int, action: Any, lrm_id: str) -> list[Output]:
        """A graph cancel: the target ends that recurring op and confirms (ActionResult)."""
        assert self.run is not None
        key = transition_key(action.id, self.run.transition_id, 0,
                             str(int(min(self.members))))
        self.action_keys[key] = action.id
        self.run.fire(action.id, now_ms + DEFAULT_TIMEOUT_MS + ACTION_SLACK_MS)
        if action.node == self.name:
            return self._cancel(lrm_id, action.cancels, action.interval_ms, key)
        return [PeerSend(encode(CancelRequest(self.name, action.node, lrm_id, action.cancels,
                                              action.interval_ms, key)))]

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
