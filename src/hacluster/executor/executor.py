"""One node's executor: which resource operations run, wait, recur, time out or are cancelled.

Owns the per-node operation bookkeeping of Pacemaker's executor: one operation per
resource at a time (the rest queue in arrival order; a cancelled monitor's run in flight still
counts), recurring monitors re-run at their
interval and reported on their first result and whenever it changes, recurring operations
cancelled before a stop, timeouts (op-status 2) when no result arrives, and the history of
what ran, from which the DC rebuilds this node's lrm state on join. Never runs an agent
itself: it emits RunAgent and learns the outcome from AgentDone (DESIGN.md §2).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

from hacluster.events import AgentDone, CancelOp, ExecuteOp, OpRequest, OpResult, RunAgent, Tick
from hacluster.executor import ocf
from hacluster.executor.ocf import OCFRc, OpStatus

log = logging.getLogger(__name__)

Input = ExecuteOp | CancelOp | AgentDone | Tick
Output = RunAgent | OpResult
RecurringKey = tuple[str, str, int]  # (rsc_id, action, interval_ms)

# The runner kills a timed-out agent itself (SIGTERM, then SIGKILL a second later) and
# reports it; the core's own deadline is a backstop for a runner that never answers.
TIMEOUT_GRACE_MS = 3000


@dataclass(frozen=True, slots=True)
class RunningOp:
    run_id: int
    call_id: int
    rsc_id: str
    action: str
    interval_ms: int
    started_ms: int
    deadline_ms: int


@dataclass(frozen=True, slots=True)
class RecurringOp:
    rsc_id: str
    action: str
    interval_ms: int
    call_id: int
    next_run_ms: int | None  # None while queued or running
    last_rc: int | None


@dataclass(frozen=True, slots=True)
class ResourceHistory:
    """What this node knows it ran for one resource: the lrm_resource of the CIB."""

    rsc_id: str
    rsc_class: str
    provider: str
    agent_type: str
    last: OpResult | None
    last_failure: OpResult | None
    recurring: tuple[OpResult, ...]


@dataclass(frozen=True, slots=True)
class ExecutorStatus:
    node: str
    running: tuple[RunningOp, ...]
    queued: tuple[tuple[str, str, int], ...]
    recurring: tuple[RecurringOp, ...]
    history: tuple[ResourceHistory, ...]
    calls: int
    dropped: int


@dataclass(slots=True)
class _Pending:
    op: OpRequest
    call_id: int
    queued_ms: int
    recurring: bool


@dataclass(slots=True)
class _Recurring:
    op: OpRequest
    call_id: int
    next_run_ms: int | None
    last: OpResult | None = None


@dataclass(slots=True)
class _History:
    op: OpRequest
    last: OpResult | None = None
    last_failure: OpResult | None = None
    recurring: dict[RecurringKey, OpResult] = field(default_factory=dict)


class Executor:
    """The executor core of node `node_name`; agents keep their state under `rsctmp_dir`."""

    def __init__(self, node_name: str, rsctmp_dir: str, *, run_id_base: int = 1,
                 timeout_grace_ms: int = TIMEOUT_GRACE_MS) -> None:
        self.node_name = node_name
        self.rsctmp_dir = rsctmp_dir
        self.timeout_grace_ms = timeout_grace_ms
        self._next_run_id = run_id_base
        self._next_call_id = 1
        self._queues: dict[str, deque[_Pending]] = {}
        self._running: dict[str, tuple[RunningOp, _Pending]] = {}
        self._run_owner: dict[int, str] = {}
        self._recurring: dict[RecurringKey, _Recurring] = {}
        self._history: dict[str, _History] = {}
        self._dropped = 0

    # ------------------------------------------------------------------- contract

    def step(self, now_ms: int, event: Input) -> list[Output]:
        out: list[Output] = []
        match event:
            case ExecuteOp(op=op):
                out += self._execute(now_ms, op)
            case CancelOp(rsc_id=rsc_id, action=action, interval_ms=interval_ms):
                out += self._cancel(now_ms, (rsc_id, action, interval_ms))
            case AgentDone():
                out += self._agent_done(now_ms, event)
            case Tick():
                out += self._expire(now_ms)
        out += self._dispatch(now_ms)
        return out

    def next_deadline_ms(self) -> int | None:
        deadlines = [running.deadline_ms for running, _ in self._running.values()]
        deadlines += [r.next_run_ms for r in self._recurring.values() if r.next_run_ms is not None]
        return min(deadlines) if deadlines else None

    def status(self) -> ExecutorStatus:
        queued = tuple((p.op.rsc_id, p.op.action, p.op.interval_ms)
                       for rsc in sorted(self._queues) for p in self._queues[rsc])
        recurring = tuple(
            RecurringOp(key[0], key[1], key[2], r.call_id, r.next_run_ms,
                        r.last.rc if r.last else None)
            for key, r in sorted(self._recurring.items()))
        return ExecutorStatus(
            node=self.node_name,
            running=tuple(self._running[rsc][0] for rsc in sorted(self._running)),
            queued=queued, recurring=recurring, history=self.history(),
            calls=self._next_call_id - 1, dropped=self._dropped)

    def history(self) -> tuple[ResourceHistory, ...]:
        """Every resource this node ran an operation for, as the CIB's lrm_resource
        entries should show it (last, last failure, active recurring operations)."""
        return tuple(
            ResourceHistory(rsc_id=rsc, rsc_class=h.op.rsc_class, provider=h.op.provider,
                            agent_type=h.op.agent_type, last=h.last,
                            last_failure=h.last_failure,
                            recurring=tuple(h.recurring[k] for k in sorted(h.recurring)))
            for rsc, h in sorted(self._history.items()))

    def history_results(self) -> tuple[OpResult, ...]:
        """The history as OpResults, oldest first per resource: recording them in order
        rebuilds this node's lrm status exactly as the live results did."""
        results: list[OpResult] = []
        for entry in self.history():
            chosen = [r for r in (entry.last_failure, entry.last) if r is not None]
            chosen += list(entry.recurring)
            results += sorted(set(chosen), key=lambda r: (r.started_ms, r.call_id))
        return tuple(results)

    # ------------------------------------------------------------------- inputs

    def _execute(self, now_ms: int, op: OpRequest) -> list[Output]:
        assert op.rsc_id and op.action, f"operation without resource or action: {op}"
        assert op.interval_ms >= 0 and op.timeout_ms > 0, f"bad interval/timeout: {op}"
        out: list[Output] = []
        call_id = self._new_call_id()
        if op.interval_ms > 0:
            key = (op.rsc_id, op.action, op.interval_ms)
            if key in self._recurring:
                self._drop_recurring(key)
            self._recurring[key] = _Recurring(op, call_id, next_run_ms=None)
            self._enqueue(_Pending(op, call_id, now_ms, recurring=True))
            return out
        if op.action == "stop":
            # A stop ends every recurring operation of the resource first (Pacemaker
            # cancels monitors before it stops a resource).
            for key in sorted(k for k in self._recurring if k[0] == op.rsc_id):
                out += self._cancel(now_ms, key)
        self._enqueue(_Pending(op, call_id, now_ms, recurring=False))
        return out

    def _cancel(self, now_ms: int, key: RecurringKey) -> list[Output]:
        rsc_id, action, interval_ms = key
        entry = self._recurring.get(key)
        self._drop_recurring(key)
        history = self._history.get(rsc_id)
        if history is not None:
            history.recurring.pop(key, None)
        if entry is not None:
            op, call_id = entry.op, entry.call_id
        else:
            known = history.op if history is not None else None
            op = OpRequest(rsc_id, known.rsc_class if known else "",
                           known.provider if known else "", known.agent_type if known else "",
                           action, interval_ms)
            call_id = 0
        log.debug("operation cancelled rsc=%s action=%s interval=%d", rsc_id, action,
                  interval_ms)
        return [OpResult(op, call_id, OCFRc.SUCCESS, OpStatus.CANCELLED, now_ms, 0)]

    def _agent_done(self, now_ms: int, done: AgentDone) -> list[Output]:
        rsc_id = self._run_owner.pop(done.call_id, None)
        if rsc_id is None:
            # A result after we gave up on the run (timed out, cancelled): stale.
            self._dropped += 1
            log.debug("stale agent result dropped run=%d", done.call_id)
            return []
        running, pending = self._running.pop(rsc_id)
        rc, op_status, reason = classify(pending.op, done)
        return self._finish(now_ms, running, pending, rc, op_status, reason, done.output)

    def _expire(self, now_ms: int) -> list[Output]:
        out: list[Output] = []
        for rsc_id in sorted(self._running):
            running, pending = self._running[rsc_id]
            if now_ms < running.deadline_ms:
                continue
            del self._running[rsc_id]
            self._run_owner.pop(running.run_id, None)
            reason = f"{pending.op.action} timed out after {pending.op.timeout_ms}ms"
            out += self._finish(now_ms, running, pending, OCFRc.ERR_GENERIC, OpStatus.TIMEOUT,
                                reason, "")
        for key in sorted(self._recurring):
            entry = self._recurring[key]
            if entry.next_run_ms is not None and entry.next_run_ms <= now_ms:
                entry.next_run_ms = None
                self._enqueue(_Pending(entry.op, entry.call_id, now_ms, recurring=True))
        return out

    # ------------------------------------------------------------------- running

    def _dispatch(self, now_ms: int) -> list[Output]:
        out: list[Output] = []
        for rsc_id in sorted(self._queues):
            queue = self._queues[rsc_id]
            while queue and rsc_id not in self._running:
                out += self._start(now_ms, queue.popleft())
            if not queue:
                del self._queues[rsc_id]
        return out

    def _start(self, now_ms: int, pending: _Pending) -> list[Output]:
        op = pending.op
        problem = invalid_request(op)
        run_id = self._next_run_id
        running = RunningOp(run_id, pending.call_id, op.rsc_id, op.action, op.interval_ms,
                            now_ms, now_ms + op.timeout_ms + self.timeout_grace_ms)
        if problem is not None:
            status, reason = problem
            rc = OCFRc.ERR_INSTALLED if status == OpStatus.NOT_INSTALLED else OCFRc.ERR_GENERIC
            return self._finish(now_ms, running, pending, rc, status, reason, "")
        if op.rsc_class == "stonith" and op.action == "stop":
            # A fence device has nothing to stop: the fencer just stops using it.
            return self._finish(now_ms, running, pending, OCFRc.SUCCESS, OpStatus.DONE, "", "")
        self._next_run_id += 1
        self._running[op.rsc_id] = (running, pending)
        self._run_owner[run_id] = op.rsc_id
        log.debug("operation started rsc=%s action=%s interval=%d call=%d", op.rsc_id,
                  op.action, op.interval_ms, pending.call_id)
        return [self._run_agent(run_id, op)]

    def _run_agent(self, run_id: int, op: OpRequest) -> RunAgent:
        if op.rsc_class == "stonith":
            # A device "starts" by answering its monitor; parameters go on stdin.
            action = "monitor" if op.action in ("start", "monitor") else op.action
            return RunAgent(run_id, ocf.agent_name(op), action,
                            (("HA_RSCTMP", self.rsctmp_dir),), op.timeout_ms,
                            stdin=ocf.stonith_stdin(action, op.params))
        env = ocf.ocf_environment(op, self.node_name, self.rsctmp_dir)
        return RunAgent(run_id, ocf.agent_name(op), ocf.agent_action(op), env, op.timeout_ms)

    def _finish(self, now_ms: int, running: RunningOp, pending: _Pending, rc: int,
                op_status: int, reason: str, output: str) -> list[Output]:
        op = pending.op
        result = OpResult(op, pending.call_id, rc, op_status, running.started_ms,
                          now_ms - running.started_ms,
                          queue_time_ms=running.started_ms - pending.queued_ms,
                          output=output, exit_reason=reason)
        if rc != OCFRc.SUCCESS or op_status != OpStatus.DONE:
            log.info("operation failed rsc=%s action=%s interval=%d rc=%d status=%d reason=%s",
                     op.rsc_id, op.action, op.interval_ms, rc, op_status, reason)
        if not pending.recurring:
            self._record(result, None)
            return [result]
        key = (op.rsc_id, op.action, op.interval_ms)
        entry = self._recurring.get(key)
        if entry is None or entry.call_id != pending.call_id:
            return []  # cancelled or replaced while it ran: nobody wants this result
        previous, entry.last = entry.last, result
        entry.next_run_ms = now_ms + op.interval_ms
        if previous is not None and (previous.rc, previous.op_status) == (rc, op_status):
            return []
        self._record(result, key)
        return [result]

    # ------------------------------------------------------------------- bookkeeping

    def _record(self, result: OpResult, key: RecurringKey | None) -> None:
        history = self._history.setdefault(result.op.rsc_id, _History(result.op))
        history.op = result.op
        if key is not None:
            history.recurring[key] = result
        else:
            history.last = result
        if not is_expected(result):
            history.last_failure = result

    def _enqueue(self, pending: _Pending) -> None:
        self._queues.setdefault(pending.op.rsc_id, deque()).append(pending)

    def _drop_recurring(self, key: RecurringKey) -> None:
        entry = self._recurring.pop(key, None)
        if entry is None:
            return
        queue = self._queues.get(key[0])
        if queue:
            kept = [p for p in queue if not (p.recurring and p.call_id == entry.call_id)]
            self._queues[key[0]] = deque(kept)
        # A run of it in flight goes on: the resource's next operation (the stop that
        # cancelled it) waits for it, never two agents on one resource at once; its result
        # is not reported (_finish: nobody wants it).

    def _new_call_id(self) -> int:
        call_id = self._next_call_id
        self._next_call_id += 1
        return call_id


def invalid_request(op: OpRequest) -> tuple[int, str] | None:
    """Why `op` cannot be run at all (status, reason), or None."""
    if op.rsc_class not in ocf.AGENT_CLASSES:
        return OpStatus.NOT_SUPPORTED, f"unsupported resource class {op.rsc_class!r}"
    parts = (op.provider, op.agent_type) if op.rsc_class == "ocf" else (op.agent_type,)
    if not all(ocf.is_valid_name_part(part) for part in parts):
        return OpStatus.NOT_INSTALLED, f"invalid agent name {ocf.agent_name(op)!r}"
    return None


def classify(op: OpRequest, done: AgentDone) -> tuple[int, int, str]:
    """(rc, op-status, exit reason) of an agent run as Pacemaker records it."""
    reason = ocf.exit_reason(done.output)
    if done.status == "done":
        if op.rsc_class == "lsb":
            return ocf.lsb_rc_to_ocf(op.action, done.rc), OpStatus.DONE, reason
        if op.rsc_class == "stonith":
            return ocf.stonith_rc_to_ocf(op.action, done.rc), OpStatus.DONE, reason
        if not ocf.is_known_rc(done.rc):
            return OCFRc.ERR_GENERIC, OpStatus.ERROR, ocf.rc_meaning(done.rc)
        return done.rc, OpStatus.DONE, reason
    detail = done.output.strip().splitlines()[-1] if done.output.strip() else done.status
    if done.status == "timeout":
        return OCFRc.ERR_GENERIC, OpStatus.TIMEOUT, f"{op.action} timed out after " \
            f"{op.timeout_ms}ms"
    if done.status == "not installed":
        return OCFRc.ERR_INSTALLED, OpStatus.NOT_INSTALLED, detail
    return OCFRc.ERR_GENERIC, OpStatus.ERROR, reason or detail


def is_expected(result: OpResult) -> bool:
    """Not a failure: the rc the transition key expects; without a key, success or a
    probe finding the resource stopped."""
    if result.op_status == OpStatus.CANCELLED:
        return True
    if result.op_status != OpStatus.DONE:
        return False
    target = target_rc(result.op)
    if target is not None:
        return result.rc == target
    if result.rc in (OCFRc.SUCCESS, OCFRc.RUNNING_PROMOTED):
        return True
    return result.rc == OCFRc.NOT_RUNNING and result.op.action == "monitor" \
        and result.op.interval_ms == 0


def target_rc(op: OpRequest) -> int | None:
    """The rc the DC expects, from the transition key "<action>:<transition>:<rc>:<uuid>"."""
    parts = op.transition_key.split(":")
    if len(parts) >= 4 and parts[2].isdigit():
        return int(parts[2])
    return None


__all__ = ["Executor", "ExecutorStatus", "ResourceHistory", "RunningOp", "RecurringOp",
           "classify", "is_expected"]
