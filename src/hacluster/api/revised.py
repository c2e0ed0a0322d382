"""The cluster status after a transition: crm_simulate's "Revised Cluster Status".

Owns applying a transition's actions (as successes) to a StatusView: fenced or shut-down
nodes go offline and take their resources with them, stops/starts/promotes/demotes move
the roles. Must never schedule anything or do I/O: the actions come from the scheduler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from hacluster.api.status import (
    GroupStatus,
    NodeStatus,
    PrimitiveStatus,
    ResourceStatus,
    StatusView,
    iter_primitives,
)

__all__ = ["Action", "revised_view"]

Action = tuple[str | None, str, str | None]  # (resource or None, task, node)
# Stops before starts, so that a restart on one node ends with the resource running there.
PHASES = ("stonith", "do_shutdown", "stop", "demote", "start", "promote")


def revised_view(view: StatusView, actions: Iterable[Action]) -> StatusView:
    """`view` after every given action succeeded: fenced or shut-down nodes go offline and
    take their resources with them, stops/starts/promotes/demotes move the roles."""
    by_phase = sorted((a for a in actions if a[1] in PHASES), key=lambda a: PHASES.index(a[1]))
    gone = frozenset(a[2] for a in by_phase if a[0] is None and a[2])
    # Grouped by resource (phase order kept) so each primitive reads only its own actions.
    moves: dict[str, list[Action]] = {}
    for a in by_phase:
        if a[0] is not None and a[2]:
            moves.setdefault(a[0], []).append(a)
    nodes = tuple(NodeStatus(n.name, False, n.standby, n.maintenance, False, False, 0)
                  if n.name in gone else n for n in view.nodes)
    resources = tuple(revised_resource(r, gone, moves) for r in view.resources)
    prims = list(iter_primitives(resources))
    counted = tuple(replace(n, active_resources=sum(1 for p in prims if n.name in p.nodes))
                    for n in nodes)
    summary = replace(view.summary, blocked=sum(1 for p in prims if p.blocked))
    return StatusView(summary, counted, resources, view.failed_actions, view.fail_counts)


def revised_resource(r: ResourceStatus, gone: frozenset[str], moves: Mapping[str, list[Action]],
                     promotable: bool = False) -> ResourceStatus:
    if isinstance(r, PrimitiveStatus):
        return revised_primitive(r, gone, moves, promotable)
    if isinstance(r, GroupStatus):
        return replace(r, members=tuple(revised_primitive(m, gone, moves, promotable)
                                        for m in r.members))
    instances = tuple(revised_resource(i, gone, moves, r.promotable) for i in r.instances)
    return replace(r, instances=instances)  # type: ignore[arg-type]


def revised_primitive(p: PrimitiveStatus, gone: frozenset[str], moves: Mapping[str, list[Action]],
                      promotable: bool) -> PrimitiveStatus:
    nodes = [n for n in p.nodes if n not in gone]
    role, failed = p.role, p.failed and len(nodes) == len(p.nodes)
    blocked = p.blocked
    for rsc, task, node in moves.get(p.key or p.id, ()):
        if rsc != (p.key or p.id) or node is None:
            continue
        blocked = False  # an action ran, so it was not blocked
        if task == "stop" and node in nodes:
            nodes.remove(node)
            failed = False
        elif task == "start" and node not in nodes:
            nodes.append(node)
            role = "Unpromoted" if promotable else "Started"
            failed = False
        elif task == "promote":
            role = "Promoted"
        elif task == "demote":
            role = "Unpromoted"
    if not nodes:
        role = "Stopped"
    elif role in ("Stopped", "Starting"):
        role = "Unpromoted" if promotable else "Started"
    # an unclean node that was not fenced still holds the resource, flagged as before
    unclean = p.unclean and tuple(nodes) == p.nodes
    return replace(p, nodes=tuple(nodes), role=role, failed=failed, unclean=unclean,
                   blocked=blocked)
