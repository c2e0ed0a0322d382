"""Recurring operations in the graph: the monitors (any op with an interval) a resource
needs in the role it will have, and the cancels of those it no longer needs.

Owns Pacemaker Explained's "Resource Operations" rules as crm_simulate 2.1.5 applies them:
an op runs for the role it names (none: every role but Promoted); one already active with
the same parameters (op-digest) is not scheduled again, unless the resource starts there
anew; a role change cancels the ops of the old role before the promote/demote/stop; an op
with enabled=false, or one no longer configured, is cancelled where it runs; nothing for a
resource that is blocked, in maintenance (its ops are cancelled) or stopping; role=Stopped
ops of a unique resource run where it does not. Monitors wait for the start (and for the
promote or demote). Graph-only: never in the Transition Summary, never changing an
earlier stage's action. Must never do I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hacluster.common import is_true
from hacluster.scheduler.actions import Action, Actions, current_roles, promotable
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.edges import Edge
from hacluster.scheduler.history import sorted_digests
from hacluster.scheduler.model import ClusterModel, OpConfig, RecurringOp, Role
from hacluster.scheduler.policy import ancestors, is_managed

MONITOR_AFTER = frozenset({"implies_then", "runnable_left"})


@dataclass(slots=True)
class Found:
    """What the stage adds: graph-only actions and their edges."""

    actions: list[Action] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def configured_recurring(ops: tuple[OpConfig, ...]) -> list[OpConfig]:
    """The recurring ops in configuration order. A name and interval configured twice is
    a configuration error: none of those ops runs (crm_verify: "duplicate")."""
    recurring = [op for op in ops if op.interval_ms > 0]
    if len(recurring) < 2:
        return recurring
    count = Counter((op.name, op.interval_ms) for op in recurring)
    return [op for op in recurring if count[(op.name, op.interval_ms)] == 1]


def create_recurring(model: ClusterModel, asg: Assignment,
                     plan: Actions) -> tuple[list[Action], list[Edge]]:
    """Recurring ops and cancels of every primitive, with their orderings."""
    found = Found()
    for rid, rsc in model.resources.items():
        if rsc.kind == "primitive" and not rsc.orphan:
            cancel_stale(model, rid, found)
            schedule_recurring(model, asg, plan, rid, found)
    return found.actions, found.edges


def in_maintenance(model: ClusterModel, rid: str) -> bool:
    return is_true(model.prop("maintenance-mode", "false")) \
        or is_true(model.meta(rid, "maintenance", "false"))


def cancel(rid: str, task: str, interval_ms: int, node: str, reason: str) -> Action:
    return Action(rid, "cancel", node, optional=False, reason=reason, interval_ms=interval_ms,
                  cancels=task)


def cancel_stale(model: ClusterModel, rid: str, found: Found) -> None:
    """Active recurring ops on nodes that may run actions, where the resource runs: cancel
    them in maintenance, or when no enabled op of that name and interval is configured;
    one whose parameters changed is scheduled again (mandatory, see needs_restart)."""
    state = model.states.get(rid)
    if state is None or not state.recurring:
        return
    roles = current_roles(model, rid)
    enabled = {(op.name, op.interval_ms) for op in model.resources[rid].ops if op.enabled}
    for node, ops in state.recurring.items():
        info = model.nodes.get(node)
        if info is None or node not in roles or not info.online or info.unclean:
            continue
        if info.maintenance or in_maintenance(model, rid):
            found.actions += [cancel(rid, op.task, op.interval_ms, node, "maintenance mode")
                              for op in ops]
        elif info.can_run and is_true(model.prop("stop-orphan-actions", "true")):
            found.actions += [cancel(rid, op.task, op.interval_ms, node, "orphan")
                              for op in ops if (op.task, op.interval_ms) not in enabled]


def next_role_of(model: ClusterModel, asg: Assignment, rid: str) -> Role:
    role = asg.roles.get(rid, Role.STOPPED)
    if role == Role.STARTED and promotable(model, rid):
        return Role.UNPROMOTED
    return role


def schedule_recurring(model: ClusterModel, asg: Assignment, plan: Actions, rid: str,
                       found: Found) -> None:
    state = model.states.get(rid)
    managed = is_managed(model, rid)
    if in_maintenance(model, rid) or (state is not None and state.blocked and not managed):
        return
    roles = current_roles(model, rid)
    node = asg.nodes.get(rid)
    if node is None and not managed:
        node = next(iter(roles), None)
    next_role = next_role_of(model, asg, rid) if managed else \
        max(roles.values(), default=Role.STOPPED)
    start: Action | None = None
    if node is not None and not model.nodes[node].maintenance \
            and (next_role != Role.STOPPED or not managed):
        start = next((a for a in plan.find(rid, "start") if a.node == node), None)
        if start is None and not managed:
            start = Action(rid, "start", node, optional=True)
    role = max(roles.values(), default=Role.STOPPED)
    for op in configured_recurring(model.resources[rid].ops):
        if not op.enabled:
            continue
        if op.role == Role.STOPPED:
            for_inactive(model, plan, rid, node, op, found)
        elif start is not None and node is not None:
            for_active(model, rid, (start, node, role, next_role), op, found, managed)


def active_op(model: ClusterModel, rid: str, node: str, op: OpConfig) -> RecurringOp | None:
    state = model.states.get(rid)
    if state is None:
        return None
    return next((r for r in state.recurring.get(node, ())
                 if r.task == op.name and r.interval_ms == op.interval_ms), None)


def changed(model: ClusterModel, rid: str, node: str, op: OpConfig, active: RecurringOp) -> bool:
    """The op's recorded digest no longer matches the parameters (and its timeout): it is
    scheduled again, on a node that may run actions."""
    rsc = model.resources[rid]
    if not rsc.digestible or not model.nodes[node].can_run:
        return False
    params = {**rsc.params, **op.params, "CRM_meta_timeout": str(op.timeout_ms)}
    return active.digest not in sorted_digests(tuple(sorted(params.items())))


def for_active(model: ClusterModel, rid: str, where: tuple[Action, str, Role, Role],
               op: OpConfig, found: Found, managed: bool) -> None:
    start, node, role, next_role = where
    active = active_op(model, rid, node, op)
    optional = start.optional and active is not None \
        and not changed(model, rid, node, op, active)
    if (op.role is not None and next_role != op.role) \
            or (op.role is None and next_role == Role.PROMOTED):
        if optional:  # running in a role it no longer has: cancel it first
            stop = cancel(rid, op.name, op.interval_ms, node, "")
            found.actions.append(stop)
            after = {Role.PROMOTED: "demote"}.get(role) or \
                {Role.PROMOTED: "promote", Role.STOPPED: "stop"}.get(next_role)
            if after:
                found.edges.append(Edge(stop.key, (rid, after, node), frozenset()))
        return
    info = model.nodes[node]
    if optional or not start.runnable or not info.online or info.unclean:
        return
    monitor = Action(rid, op.name, node, optional=False, interval_ms=op.interval_ms)
    found.actions.append(monitor)
    if managed:
        found.edges.append(Edge(start.key, monitor.key, MONITOR_AFTER))
        if next_role == Role.PROMOTED:
            found.edges.append(Edge((rid, "promote", node), monitor.key, frozenset()))
        elif role == Role.PROMOTED:
            found.edges.append(Edge((rid, "demote", node), monitor.key, frozenset()))


def unique(model: ClusterModel, rid: str) -> bool:
    clone = next((a for a in ancestors(model, rid) if model.resources[a].kind == "clone"), None)
    return clone is None or model.resources[clone].unique


def for_inactive(model: ClusterModel, plan: Actions, rid: str, node: str | None,
                 op: OpConfig, found: Found) -> None:
    """role=Stopped: the op runs on every node where the resource will not (cancelled
    where it will run); only for unique resources, as Pacemaker supports it."""
    if not unique(model, rid):
        return
    for name, info in model.nodes.items():
        active = active_op(model, rid, name, op)
        if name == node:
            if active is not None:
                found.actions.append(cancel(rid, op.name, op.interval_ms, name, ""))
            continue
        # After the stop there (a stop that must happen makes it run again).
        stops = [a for a in plan.find(rid, "stop") if a.node == name and not a.optional]
        if active is not None and not stops or not info.online or info.unclean \
                or any(not s.runnable for s in stops):
            continue
        monitor = Action(rid, op.name, name, optional=False, interval_ms=op.interval_ms)
        found.actions.append(monitor)
        found.edges += [Edge(s.key, monitor.key, MONITOR_AFTER) for s in stops]
