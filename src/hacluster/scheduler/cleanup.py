"""Cleanup: `delete` actions that remove operation history the cluster no longer needs,
and the orderings around them.

Owns three cases of Pacemaker Explained's resource lifecycle: the history of a resource
that is no longer configured (an orphan) and is not active is deleted on each online
node holding it; an active one's after its stop there; a history recorded for another agent (class, provider or type changed)
is deleted on a node where the resource starts, after the stop there and before the
start. Like probes these
are graph-only (the Transition Summary never lists them). Must never change an action
an earlier stage decided or do I/O.
"""

from __future__ import annotations

from hacluster.scheduler.actions import Action, Actions
from hacluster.scheduler.model import ClusterModel
from hacluster.scheduler.ordering import Edge
from hacluster.scheduler.policy import is_managed

DELETE_TASK = "delete"


def create_deletes(model: ClusterModel, plan: Actions) -> tuple[list[Action], list[Edge]]:
    """Delete actions (mandatory, never pseudo) and their stop -> delete -> start edges."""
    deletes: list[Action] = []
    edges: list[Edge] = []
    for lrm_id, nodes in sorted(model.deletable.items()):
        for node in nodes:
            deletes.append(Action(lrm_id, DELETE_TASK, node, optional=False,
                                  reason="orphan history"))
    for rid, rsc in model.resources.items():
        if rsc.orphan and rsc.parent is None:
            active_orphan(model, plan, rid, deletes, edges)
    for rid, state in model.states.items():
        for node in sorted(state.agent_changed_nodes):
            if node not in model.nodes or not model.nodes[node].online \
                    or model.nodes[node].unclean:
                continue
            starts = [a for a in plan.find(rid, "start") if a.node == node
                      and a.runnable and not a.optional]
            if not starts:
                continue  # the old history goes only when the new agent starts there
            delete = Action(rid, DELETE_TASK, node, optional=False, reason="agent changed")
            deletes.append(delete)
            for stop in plan.find(rid, "stop"):
                if stop.node == node:
                    edges.append(Edge(stop.key, delete.key, frozenset()))
            for start in starts:
                edges.append(Edge(delete.key, start.key, frozenset()))
    return deletes, edges


def active_orphan(model: ClusterModel, plan: Actions, rid: str, deletes: list[Action],
                  edges: list[Edge]) -> None:
    """A resource no longer configured but still active: its history is deleted on every
    node that may run actions and holds one, after the stop there (none when it failed:
    the failure must stay visible)."""
    state = model.states.get(rid)
    if state is None or state.failed_nodes or not is_managed(model, rid):
        return
    for node in sorted(state.probed_nodes):
        info = model.nodes.get(node)
        if info is None or not info.can_run:
            continue
        delete = Action(rid, DELETE_TASK, node, optional=False, reason="orphan")
        deletes.append(delete)
        edges.extend(Edge(stop.key, delete.key, frozenset())
                     for stop in plan.find(rid, "stop") if stop.node == node)
