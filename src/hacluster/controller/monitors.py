"""The recurring monitors one node's controller runs for the resources active on it.

Owns which recurring ops run here (started after a successful start, promote, demote or
migrate_from, for the role the resource now has), how each was started (transition key,
clone instance, roles) so it can run again, their cancellation when the resource stops or
changes role, and their pause while the resource is in maintenance here (see
hacluster.controller.maintenance): cancelled, their entries gone from the node's history,
resumed when maintenance ends if the resource still runs here. Must never do I/O.
Spec: Pacemaker Explained "Resource Operations" (monitor), "Maintenance Mode".
"""

from __future__ import annotations

import logging
from typing import Any

from hacluster.controller.lrm import LocalHistory
from hacluster.controller.maintenance import maintenance_on
from hacluster.controller.records import find_primitive, monitor_ops, op_request
from hacluster.events import CancelOp, ExecuteOp, OpRequest

log = logging.getLogger(__name__)

START_ROLES = ("", "Started", "Slave", "Unpromoted")
PROMOTED_ROLES = ("Master", "Promoted")


class RecurringMonitors:
    """One node's recurring monitors, by lrm resource id."""

    def __init__(self, node_id: str, node_name: str) -> None:
        self.node_id = node_id
        self.node_name = node_name
        self.running: dict[str, set[tuple[str, int]]] = {}
        self.started_as: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        self.paused: set[str] = set()

    def is_running(self, rsc_id: str, task: str, interval_ms: int) -> bool:
        """Is this recurring op still wanted (else its result is a cancelled op's)?"""
        return (task, interval_ms) in self.running.get(rsc_id, set())

    def cancel(self, rsc_id: str) -> list[CancelOp]:
        """The resource stops, changes role or is forgotten: its monitors end."""
        self.paused.discard(rsc_id)
        return [CancelOp(rsc_id, task, interval)
                for task, interval in sorted(self.running.pop(rsc_id, set()))]

    def start(self, root: Any, op: OpRequest, wall_s: int) -> list[ExecuteOp]:
        """`op` succeeded: the monitors of the role it left the resource in."""
        roles = PROMOTED_ROLES if op.action == "promote" else START_ROLES
        parts = op.transition_key.split(":")
        key = ":".join(parts[:2] + ["0"] + parts[3:]) if op.transition_key else ""
        number = dict(op.meta).get("clone")
        instance = f"{op.rsc_id.split(':')[0]}:{number}" if number is not None else ""
        self.started_as[op.rsc_id] = (key, instance, roles)
        if maintenance_on(root, self.node_id).covers(op.rsc_id):
            self.paused.add(op.rsc_id)
            return []
        return self._run(root, op.rsc_id, wall_s)

    def _run(self, root: Any, rsc_id: str, wall_s: int) -> list[ExecuteOp]:
        prim = find_primitive(root, rsc_id) if root is not None else None
        if prim is None:
            return []
        key, instance, roles = self.started_as.get(rsc_id, ("", "", START_ROLES))
        out: list[ExecuteOp] = []
        started = self.running.setdefault(rsc_id, set())
        for interval, _ in monitor_ops(prim, roles):
            request = op_request(root, rsc_id, "monitor", interval, key, self.node_name,
                                 wall_s, instance)
            if request is not None and ("monitor", interval) not in started:
                started.add(("monitor", interval))
                out.append(ExecuteOp(request))
        return out

    def maintenance(self, root: Any, history: LocalHistory,
                    wall_s: int) -> tuple[list[ExecuteOp | CancelOp], bool]:
        """Pause the monitors of resources that entered maintenance here, resume those of
        resources that left it and still run here; and whether the history changed."""
        state = maintenance_on(root, self.node_id)
        out: list[ExecuteOp | CancelOp] = []
        cancelled = False
        for rsc_id in sorted(r for r in self.running if state.covers(r)):
            log.info("maintenance node=%s rsc=%s: recurring monitors cancelled",
                     self.node_name, rsc_id)
            out += self.cancel(rsc_id)
            history.drop_recurring(rsc_id)
            self.paused.add(rsc_id)
            cancelled = True
        for rsc_id in sorted(r for r in self.paused if not state.covers(r)):
            self.paused.discard(rsc_id)
            if history.is_active(rsc_id):
                log.info("maintenance over node=%s rsc=%s: recurring monitors resumed",
                         self.node_name, rsc_id)
                out += self._run(root, rsc_id, wall_s)
        return out, cancelled
