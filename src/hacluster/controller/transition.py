"""The graph executor: one transition's synapses, fired when their inputs are met.

Owns the per-action state (waiting, running, done, failed), the parallel limit, action
deadlines and the abort rule (a failed or timed-out action, or a change the DC reports,
stops new firing; the transition ends when nothing is left running). Must never decide
what an action means or do I/O: the controller fires, this object only says what is ready.
Pure enough for crm_simulate -S to drive with instant results. Spec: Pacemaker Explained
"Transition"; Pacemaker's graph executor shared by the controller and crm_simulate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ActionState(StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TransitionStatus:
    transition_id: int
    actions: int
    done: int
    running: int
    failed: int
    aborted: str


@dataclass(slots=True)
class TransitionRun:
    """One transition in execution. `synapses` are hacluster.scheduler Synapse values."""

    transition_id: int
    synapses: tuple[Any, ...]
    max_parallel: int = 30
    state: dict[int, ActionState] = field(default_factory=dict)
    deadline_ms: dict[int, int] = field(default_factory=dict)
    aborted: str = ""

    def __post_init__(self) -> None:
        assert self.max_parallel > 0
        self.state = {syn.id: ActionState.WAITING for syn in self.synapses}

    def ready(self) -> list[Any]:
        """GraphActions whose inputs are all done, within the parallel limit, in id order.
        Nothing is ready once the transition is aborted."""
        if self.aborted:
            return []
        room = self.max_parallel - self.running_count()
        out = []
        for syn in self.synapses:
            if room <= 0:
                break
            if self.state[syn.id] is ActionState.WAITING and all(
                    self.state.get(i) is ActionState.DONE for i in syn.inputs):
                out.append(syn.action)
                if not syn.action.pseudo:
                    room -= 1
        return out

    def fire(self, action_id: int, deadline_ms: int | None) -> None:
        assert self.state[action_id] is ActionState.WAITING
        self.state[action_id] = ActionState.RUNNING
        if deadline_ms is not None:
            self.deadline_ms[action_id] = deadline_ms

    def finish(self, action_id: int, ok: bool) -> bool:
        """Record a result; False when the action was not running (a late or stale one)."""
        if self.state.get(action_id) is not ActionState.RUNNING:
            return False
        self.state[action_id] = ActionState.DONE if ok else ActionState.FAILED
        self.deadline_ms.pop(action_id, None)
        if not ok:
            self.abort(f"action {action_id} failed")
        return True

    def abort(self, reason: str) -> None:
        if not self.aborted:
            self.aborted = reason

    def expired(self, now_ms: int) -> list[int]:
        return sorted(a for a, t in self.deadline_ms.items() if t <= now_ms)

    def next_deadline_ms(self) -> int | None:
        return min(self.deadline_ms.values(), default=None)

    def running(self) -> list[int]:
        return sorted(a for a, s in self.state.items() if s is ActionState.RUNNING)

    def running_count(self) -> int:
        return sum(1 for s in self.state.values() if s is ActionState.RUNNING)

    def is_finished(self) -> bool:
        """Complete (everything done) or aborted with nothing left running."""
        if self.running_count():
            return False
        return bool(self.aborted) or all(s is ActionState.DONE for s in self.state.values()) \
            or not self.ready() and not self.running_count()

    def status(self) -> TransitionStatus:
        values = list(self.state.values())
        return TransitionStatus(self.transition_id, len(values),
                                values.count(ActionState.DONE), values.count(ActionState.RUNNING),
                                values.count(ActionState.FAILED), self.aborted)
