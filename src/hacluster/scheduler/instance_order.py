"""The order in which a clone's instances take their turns (Pacemaker 2.1.5, observed
with crm_simulate): pairwise preferences, applied by a stable top-down merge sort whose
halves split as GLib's list sort splits them (the preferences are not transitive, so the
sort itself is part of the contract). Preferred, in this order:

1. of two active instances, the one active on fewer nodes;
2. an instance not active on a node its own scores forbid (inactive counts as allowed);
3. the higher priority: the priority meta-attribute, raised (promotable clones) to the
   best promotion score the instance takes on a node that can run resources;
4. an active instance (two inactive ones: no preference, their order stays);
5. an instance whose node can run resources (not standby, offline or unclean);
6. an instance whose node is in the clone's table;
7. a failed instance after one that did not fail;
8. the higher score of the clone's colocations on the instance's node;
9. the lower instance number.
Pure: never does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hacluster.common import INFINITY, parse_score
from hacluster.scheduler.scores import Work, demote_failed, location_scores, merge_factor
from hacluster.scheduler.tables import (
    base_table,
    has_influence,
    merge_colocated,
    promotion_score,
)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the comparison needs of one instance."""

    inst: str
    number: int
    active_on: int  # how many nodes it is active on
    node: str | None  # where it is active, None when inactive or on a forbidden node
    forbidden: bool  # active on a node its own scores forbid
    priority: int
    runnable: bool  # its node can run resources
    in_table: bool  # its node is in the clone's table
    failed: bool
    colocated: int  # the clone's colocations' score on its node


def order_instances(work: Work, clone: str, instances: list[str],
                    own: Callable[[str], dict[str, int]], table: dict[str, int]) -> list[str]:
    """`instances` in turn order; `own(inst)` is an instance's own scores per node."""
    facts = {i: facts_of(work, clone, i, own(i), table) for i in instances}
    return merge_sort(instances, lambda a, b: compare(facts[a], facts[b]))


def merge_sort(items: list[str], cmp: Callable[[str, str], int]) -> list[str]:
    """Stable top-down merge sort; the first half holds floor(n/2) items."""
    if len(items) < 2:
        return list(items)
    half = len(items) // 2
    left, right = merge_sort(items[:half], cmp), merge_sort(items[half:], cmp)
    out: list[str] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def compare(a: Facts, b: Facts) -> int:
    """Negative when `a` takes its turn first, positive when `b` does, 0: no preference."""
    if a.active_on and b.active_on and a.active_on != b.active_on:
        return -1 if a.active_on < b.active_on else 1
    if a.forbidden != b.forbidden:
        return 1 if a.forbidden else -1
    if a.priority != b.priority:
        return -1 if a.priority > b.priority else 1
    if a.node is None or b.node is None:
        return 0 if a.node is None and b.node is None else (1 if a.node is None else -1)
    if a.runnable != b.runnable:
        return -1 if a.runnable else 1
    if not a.in_table or not b.in_table:
        return 0 if a.in_table == b.in_table else (1 if not a.in_table else -1)
    if a.failed != b.failed:
        return 1 if a.failed else -1
    if a.colocated != b.colocated:
        return -1 if a.colocated > b.colocated else 1
    return a.number - b.number


def facts_of(work: Work, clone: str, inst: str, own: dict[str, int],
             table: dict[str, int]) -> Facts:
    model = work.model
    prims = model.primitives(inst)
    nodes: list[str] = []
    failed = False
    for p in prims:
        state = model.states.get(p)
        if state is None:
            continue
        nodes += [n for n in state.running_on if n not in nodes]
        failed = failed or bool(state.failed_nodes) or demote_failed(state)
    node = nodes[0] if nodes else None
    forbidden = node is not None and own.get(node, -INFINITY) < 0
    if forbidden:
        node = None
    where = model.nodes.get(node) if node is not None else None
    return Facts(
        inst=inst, number=instance_number(inst), active_on=len(nodes), node=node,
        forbidden=forbidden, priority=priority(work, clone, inst, own),
        runnable=where is not None and where.can_run, in_table=node in table,
        failed=failed, colocated=colocated_score(work, clone, node) if node else 0)


def instance_number(inst: str) -> int:
    tail = inst.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def priority(work: Work, clone: str, inst: str, own: dict[str, int]) -> int:
    """The priority meta-attribute; for a promotable clone raised to the instance's best
    promotion score on a node that can run resources and that it is allowed on."""
    model = work.model
    value = parse_score(model.meta(inst, "priority", "0")) or 0
    if not model.resources[clone].promotable:
        return value
    for node in sorted(own):
        if node in model.nodes and model.nodes[node].can_run and own[node] >= 0:
            value = max(value, promotion_score(work, inst, node))
    return value


def colocated_score(work: Work, clone: str, node: str) -> int:
    """The clone's colocations on `node` alone: each primary's score there times
    score/INFINITY, each influential dependent's (when not negative) likewise."""
    model = work.model
    table = {node: 0}
    for c in work.with_of.get(clone, ()):
        source = primary_table(work, c.primary)
        table = merge_factor(table, source, c.score / INFINITY, only_positive=False,
                             usable=work.usable)
    for c in work.deps_of.get(clone, ()):
        if not has_influence(work, c) or c.dependent not in model.resources:
            continue
        dep = model.resources[c.dependent]
        if dep.kind == "clone" and c.dependent not in work.clone_tables:
            # A clone not assigned yet offers its locations and what follows it.
            table = merge_factor(table, location_scores(work, c.dependent),
                                 c.score / INFINITY, only_positive=False, usable=work.usable)
            for d in work.deps_of.get(c.dependent, ()):
                if has_influence(work, d):
                    table = merge_colocated(work, table, d.dependent,
                                            c.score / INFINITY * d.score / INFINITY,
                                            frozenset({clone, c.dependent}), positive=True)
            continue
        source = primary_table(work, c.dependent)
        table = merge_factor(table, {n: v for n, v in source.items() if v >= 0},
                             c.score / INFINITY, only_positive=False, usable=work.usable)
    return table.get(node, 0)


def primary_table(work: Work, rid: str) -> dict[str, int]:
    """The scores a colocated resource offers: a clone's table, else its first
    primitive's own scores."""
    model = work.model
    rsc = model.resources[rid]
    if rsc.kind == "clone":
        return dict(work.clone_tables.get(rid, {}))
    prims = model.primitives(rid)
    return base_table(work, prims[0]) if prims else {}

