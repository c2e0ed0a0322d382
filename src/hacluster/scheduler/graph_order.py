"""The order of a transition's synapses and of crm_simulate's "Executing Cluster
Transition" lines, as Pacemaker 2.1.5 produces them.

Owns two rules observed of the real tools. (1) The graph lists resources in assignment
order, each resource's own actions before its children's, and within one resource its
actions newest first (Pacemaker prepends each action it creates to the resource's list);
actions of no resource (fencing) come last, newest first. A resource's actions are
created in this order: history clean-up and cancels found while reading the history,
probes (node names in natural order), then demote, stop, start, promote, then its
recurring ops, then migrate_to/migrate_from, then notifications. (2) crm_simulate runs the
graph in passes: each pass walks the synapses in order and fires every one whose inputs
are done, an action being done as soon as it fires, so an action later in the same pass
may follow it. Must never change an action or an edge, or do I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Protocol

from hacluster.scheduler.model import ClusterModel

# Where each task falls in a resource's creation order (see the module docstring).
TASK_PHASE = MappingProxyType({
    "delete": 0, "cancel": 0, "monitor": 1, "demote": 2, "stop": 3, "start": 4, "promote": 5,
    "migrate_to": 7, "migrate_from": 8, "pre_notify": 9, "post_notify": 9})
# A collective's (clone or group) own pseudo actions, in their creation order.
COLLECTIVE_PHASE = MappingProxyType({
    "start": 0, "running": 1, "stop": 2, "stopped": 3, "promote": 4, "promoted": 5,
    "demote": 6, "demoted": 7})


class Ranked(Protocol):
    @property
    def rsc(self) -> str | None: ...
    @property
    def task(self) -> str: ...
    @property
    def node(self) -> str | None: ...
    @property
    def interval_ms(self) -> int: ...
    @property
    def reason(self) -> str: ...


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Node names as Pacemaker sorts them: digits by value, the rest case-blind."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower())
                 for part in re.split(r"(\d+)", name) if part)


def resource_walk(model: ClusterModel, order: Sequence[str]) -> dict[str, int]:
    """Position of every resource in the graph: top-level resources in `order` (then any
    other), each followed by its children, depth first."""
    out: dict[str, int] = {}

    def visit(rid: str) -> None:
        if rid in out or rid not in model.resources:
            return
        out[rid] = len(out)
        for child in model.resources[rid].children:
            visit(child)

    for rid in (*order, *model.top, *model.resources):
        visit(rid)
    return out


def creation_rank(model: ClusterModel, action: Ranked, index: int,
                  nodes: Mapping[str, int]) -> tuple[int, int, int]:
    """Where `action` was created among its resource's actions (`index`: its position
    in our own lists, for ties)."""
    rsc = model.resources.get(action.rsc or "")
    if rsc is not None and rsc.kind != "primitive":
        return (COLLECTIVE_PHASE.get(action.task, 8), 0, index)
    if action.interval_ms and action.task != "cancel" or action.task == "cancel" \
            and not action.reason:
        return (6, 0, index)  # recurring ops, and cancels of a role change
    phase = TASK_PHASE.get(action.task, 9)
    node = nodes.get(action.node or "", 0) if phase == 1 else 0
    return (phase, node, index)


def graph_order(model: ClusterModel, order: Sequence[str],
                actions: Sequence[Ranked]) -> list[int]:
    """Indexes of `actions` in Pacemaker's graph order."""
    walk = resource_walk(model, order)
    names = sorted(model.nodes, key=natural_key)
    nodes = {name: i for i, name in enumerate(names)}
    last = len(walk)

    def key(i: int) -> tuple[int, tuple[int, int, int]]:
        a = actions[i]
        where = walk.get(a.rsc, last) if a.rsc is not None else last + 1
        phase, node, index = creation_rank(model, a, i, nodes)
        return (where, (-phase, -node, -index))  # newest first

    return sorted(range(len(actions)), key=key)


def run_in_passes(inputs: Sequence[Sequence[int]]) -> list[int]:
    """The order crm_simulate fires synapses 0..n-1 (each with the ids it waits for) in:
    passes over them in id order, each firing what is ready, immediately done. Synapses
    that can never fire (a loop) are left out."""
    done: set[int] = set()
    fired: list[int] = []
    pending = list(range(len(inputs)))
    while pending:
        rest = []
        for sid in pending:
            if all(i in done for i in inputs[sid]):
                done.add(sid)
                fired.append(sid)
            else:
                rest.append(sid)
        if len(rest) == len(pending):
            break
        pending = rest
    return fired
