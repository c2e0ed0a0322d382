"""The recurring operations one node's controller has asked its executor to run.

Owns which recurring ops run here, by lrm resource id: each was started by a graph action
of the DC's transition (the scheduler decides when a monitor runs, with which interval,
timeout, role and parameters, as Pacemaker's does), and ends when the graph cancels it, or
when the resource stops, changes role or is forgotten here (Pacemaker's controller cancels
a resource's recurring ops before it changes its state; the graph starts the new role's).
A result of an op that is no longer registered is a cancelled op's last word. Must never
do I/O. Spec: Pacemaker Explained "Resource Operations" (monitor, role, enabled).
"""

from __future__ import annotations

import logging

from hacluster.events import CancelOp, ExecuteOp, OpRequest

log = logging.getLogger(__name__)


class RecurringMonitors:
    """One node's recurring ops, by lrm resource id: {(task, interval_ms)}."""

    def __init__(self, node_name: str) -> None:
        self.node_name = node_name
        self.running: dict[str, set[tuple[str, int]]] = {}

    def is_running(self, rsc_id: str, task: str, interval_ms: int) -> bool:
        """Is this recurring op still wanted (else its result is a cancelled op's)?"""
        return (task, interval_ms) in self.running.get(rsc_id, set())

    def start(self, op: OpRequest) -> list[ExecuteOp]:
        """The graph asks for recurring `op`: (re)start it (a new digest replaces the op
        of the same task and interval in the executor)."""
        assert op.interval_ms > 0, f"not a recurring op: {op}"
        self.running.setdefault(op.rsc_id, set()).add((op.action, op.interval_ms))
        return [ExecuteOp(op)]

    def cancel_one(self, rsc_id: str, task: str, interval_ms: int) -> list[CancelOp]:
        """The graph cancels one recurring op (nothing to do when it does not run here)."""
        ops = self.running.get(rsc_id, set())
        if (task, interval_ms) not in ops:
            return []
        ops.discard((task, interval_ms))
        if not ops:
            del self.running[rsc_id]
        log.debug("recurring op cancelled node=%s rsc=%s %s_%d", self.node_name, rsc_id,
                  task, interval_ms)
        return [CancelOp(rsc_id, task, interval_ms)]

    def cancel(self, rsc_id: str) -> list[CancelOp]:
        """The resource stops, changes role or is forgotten: all its recurring ops end."""
        return [CancelOp(rsc_id, task, interval)
                for task, interval in sorted(self.running.pop(rsc_id, set()))]
