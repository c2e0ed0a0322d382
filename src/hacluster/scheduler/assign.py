"""Assign: the placement stage as one pure function, `assign(model) -> Assignment`: every
top-level resource in Pacemaker's assignment order (priority; with a placement strategy,
the most constrained first), the primaries of its colocations before it.

Owns the order and the dispatch to placement.py (primitives, groups) and clones.py
(clones, promotion); the scratch `Work` of the run stays inside, the Assignment that
leaves is frozen. Must never create actions or do I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hacluster.common import INFINITY, parse_score
from hacluster.scheduler.clones import assign_clone
from hacluster.scheduler.model import ClusterModel, Role
from hacluster.scheduler.placement import assign_group, assign_primitive, own_scores
from hacluster.scheduler.scores import (
    ScoreRecord,
    Work,
    build_work,
    merge_factor,
    score_lines,
    top_of,
)
from hacluster.scheduler.unpack_time import int_or_zero

LEADING_INT = re.compile(r"\s*[+-]?\d+")


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where each primitive goes next and in which role (None: stopped)."""

    nodes: Mapping[str, str | None]
    roles: Mapping[str, Role]
    scores: tuple[ScoreRecord, ...]
    # Top-level resources in the order they were assigned (Pacemaker lists the
    # Transition Summary in this order too).
    order: tuple[str, ...] = ()

    @property
    def score_lines(self) -> tuple[str, ...]:
        return score_lines(self.scores)


def assign(model: ClusterModel) -> Assignment:
    """Assign every resource (pure): priority order, colocation primaries first."""
    return assignment_of(assign_work(model))


def assign_work(model: ClusterModel) -> Work:
    """The assignment run itself; its scratch state is what explain.py reads."""
    work = build_work(model)
    order = assignment_order(work)
    work.order = list(order)
    for rid in order:
        assign_resource(work, rid)
    return work


def assignment_of(work: Work) -> Assignment:
    model = work.model
    roles: dict[str, Role] = {}
    for rid, rsc in model.resources.items():
        if rsc.kind != "primitive":
            continue
        node = work.assigned.get(rid)
        roles[rid] = work.roles.get(rid, Role.STARTED) if node else Role.STOPPED
    nodes = {rid: work.assigned.get(rid) for rid in model.resources}
    return Assignment(nodes=nodes, roles=roles, scores=tuple(work.records),
                      order=tuple(work.order))


def assignment_order(work: Work) -> list[str]:
    """Priority first; then, node by node (roomiest first), the higher score first."""
    model = work.model
    strategy = model.prop("placement-strategy", "default")
    if strategy == "default":
        return sorted(model.top, key=lambda r: -priority(model, r))

    def room(name: str) -> int:
        return sum(model.nodes[name].utilization.values())

    node_order = sorted(model.nodes, key=lambda n: (-room(n), n))

    def key(rid: str) -> tuple[int, int, tuple[int, ...]]:
        # Explained, "utilization": priority, then the score on the node where the
        # resource runs now (none when stopped), then node by node.
        scores = sort_scores(work, rid)
        here = next((n for p in model.primitives(rid) if (st := model.states.get(p))
                     for n in st.running_on), None)
        current = scores.get(here, -INFINITY) if here is not None else -INFINITY
        return (-priority(model, rid), -current, tuple(-scores.get(n, 0) for n in node_order))

    return sorted(model.top, key=key)


def banned_nodes_of(work: Work, rid: str) -> set[str]:
    """Nodes where a resource certainly cannot run (bans of all its instances)."""
    model = work.model
    out = {n for n, v in own_scores(work, rid).items() if v <= -INFINITY}
    rsc = model.resources[rid]
    if rsc.kind == "clone" and rsc.children:
        first = model.primitives(rsc.children[0])
        if first and model.states.get(first[0]):
            out |= set(model.states[first[0]].banned_nodes)
    return out


def sort_scores(work: Work, rid: str) -> dict[str, int]:
    """Own scores plus what mandatory colocations forbid (for the assignment order), and
    the preferences of what it is colocated with, where a node that cannot run
    resources offers -INFINITY (Explained: colocation influence)."""
    scores = own_scores(work, rid)
    usable = work.usable
    for c in work.with_of.get(rid, ()):
        if c.score >= INFINITY:
            for node in banned_nodes_of(work, c.primary):
                scores[node] = -INFINITY
        if c.score > 0 and c.dependent_role is None and c.primary_role is None:
            scores = merge_factor(scores, own_scores(work, c.primary), c.score / INFINITY,
                                  usable=usable)
    return scores


def priority(model: ClusterModel, rid: str) -> int:
    """The priority meta attribute as Pacemaker reads an integer: its leading digits
    ("2.0" is 2, as strtoll stops at the dot); 0 when there are none."""
    text = model.meta(rid, "priority", "0")
    lead = LEADING_INT.match(text)
    return int_or_zero(lead.group(0) if lead and parse_score(text) is None else text)


def assign_resource(work: Work, rid: str) -> None:
    if rid in work.assigned or rid in work.in_progress:
        return
    work.in_progress.add(rid)
    model = work.model
    for prim in [rid, *model.primitives(rid)] if model.resources[rid].kind == "group" else [rid]:
        for c in work.with_of.get(prim, ()):
            other = top_of(model, c.primary)
            if other != top_of(model, rid):
                assign_resource(work, other)
    kind = model.resources[rid].kind
    if kind == "clone":
        assign_clone(work, rid)
    elif kind == "group":
        assign_group(work, rid)
    else:
        assign_primitive(work, rid)
    work.in_progress.discard(rid)
