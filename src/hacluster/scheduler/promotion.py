"""Promotion of promotable clone instances (Pacemaker Explained: "Promotable clones"):
promotion scores, promoted-max, promoted-node-max, location and colocation by role.

One engine: the numbers `crm_simulate -s` prints as "promotion score" are the ones that
decide. Each placed instance gets a priority (its promotion score on its node, plus
role=Promoted locations and colocations by role); the clone's own table then takes the
priorities of its instances on each node and the preferences of what must or wants to be
colocated with its promoted role; each instance's promotion score is that table's value
on its node. Instances are promoted highest score first (then the currently promoted,
then instance order) within the limits. Must never create actions or do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hacluster.common import INFINITY, add_scores
from hacluster.scheduler.model import ClusterModel, Colocation, Role
from hacluster.scheduler.policy import is_managed, next_role_stopped, target_role
from hacluster.scheduler.scores import (
    Work,
    can_run_any,
    location_scores,
    log_promotion,
    merge_factor,
    nodes_of,
    settle,
)
from hacluster.scheduler.tables import base_table, merge_colocated, promotion_score


@dataclass(frozen=True, slots=True)
class Candidate:
    inst: str
    node: str | None
    priority: int
    index: int  # promotion score (sort index)
    position: int  # instance order


def promote(work: Work, rid: str, table: dict[str, int], all_coloc: bool,
            order: list[str], turns: Mapping[str, int] | None = None) -> None:
    """Pick the promoted instances of clone `rid` (its instances already placed, in
    `order`: ties in promotion score and current role go by that order; `turns`: how
    many placement turns each instance had, each leaving it the clone's colocations)."""
    model = work.model
    clone = model.resources[rid]
    priorities: dict[str, int] = {}
    for inst in clone.children:
        node = placed_on(work, inst)
        for p in model.primitives(inst):
            if work.assigned.get(p) is not None:
                work.roles[p] = Role.UNPROMOTED
        if node is not None:
            priorities[inst] = priority_of(work, rid, inst, node, all_coloc,
                                           (turns or {}).get(inst, 1))
    merged = promotion_table(work, rid, table, priorities)
    # The clone's table now holds what promotion added (what reads it later sees that).
    work.clone_tables[rid] = merged
    candidates = []
    position = {inst: at for at, inst in enumerate(order)}
    for inst in clone.children:
        at = position.get(inst, len(position))
        node = placed_on(work, inst)
        prio = priorities.get(inst, 0)
        index = prio
        if node is not None and prio >= 0:
            index = merged.get(node, prio)
        candidates.append(Candidate(inst, node, prio, index if node is not None else 0, at))
    candidates.sort(key=lambda c: (-c.index, -current_role(model, c.inst), c.position))
    for c in candidates:
        log_promotion(work, c.inst, c.node or "none", c.index)
    choose_promoted(work, rid, candidates)


def choose_promoted(work: Work, rid: str, candidates: list[Candidate]) -> None:
    model = work.model
    clone = model.resources[rid]
    limit = clone.promoted_max
    per_node: dict[str, int] = {}
    chosen = 0
    for c in candidates:
        if c.node is None or c.index < 0 or chosen >= limit or c.priority < 0:
            continue
        if not model.nodes[c.node].can_run or per_node.get(c.node, 0) >= clone.promoted_node_max:
            continue
        prims = model.primitives(c.inst)
        if not frozen_allows(model, prims, c.node):
            continue
        per_node[c.node] = per_node.get(c.node, 0) + 1
        chosen += 1
        if not quorum_allows(model, rid, c.inst, c.node):
            continue  # chosen, then demoted by no-quorum-policy=demote: its slot is taken
        for p in prims:
            if work.assigned.get(p) is not None:
                work.roles[p] = Role.PROMOTED


def frozen_allows(model: ClusterModel, prims: tuple[str, ...], node: str) -> bool:
    """Without quorum and no-quorum-policy=freeze, nothing new gets promoted."""
    if model.have_quorum or model.prop("no-quorum-policy", "stop").lower() != "freeze":
        return True
    state = model.states.get(prims[0]) if prims else None
    return state is not None and state.roles.get(node) == Role.PROMOTED


def placed_on(work: Work, inst: str) -> str | None:
    prims = work.model.primitives(inst)
    if not prims or work.assigned.get(prims[0]) is None:
        return None
    return work.assigned.get(inst)


def current_role(model: ClusterModel, inst: str) -> int:
    prims = model.primitives(inst)
    state = model.states.get(prims[0]) if prims else None
    return int(state.role) if state is not None else int(Role.STOPPED)


def priority_of(work: Work, rid: str, inst: str, node: str, all_coloc: bool,
                times: int = 1) -> int:
    """An instance's promotion priority on its node: -INFINITY when it must not be
    promoted (target-role Unpromoted, a failed promote), else its promotion
    score (-1 when unset), plus role=Promoted locations and colocations by role."""
    model = work.model
    prims = model.primitives(inst)
    frozen = frozen_priority(model, prims, node)
    if frozen is not None:
        return frozen
    if must_not_promote(model, rid, inst, node):
        prio = -INFINITY
    elif any(base_table(work, p).get(node, 0) < 0 for p in prims):
        prio = -1  # a node the instance is not allowed on takes no promotion score
    else:
        prio = promotion_score(work, inst, node)
    for owner in (inst, rid):
        for loc_node, score, role in work.loc_of.get(owner, ()):
            if role == Role.PROMOTED and loc_node == node:
                prio = add_scores(prio, score)
    cons = [c for c in work.with_of.get(rid, ())
            if all_coloc or c.score < 0 or c.score >= INFINITY] * max(times, 1)
    for c in [*cons, *(c for p in prims for c in work.with_of.get(p, ()))]:
        if c.dependent_role in (Role.PROMOTED, Role.UNPROMOTED):
            prio = role_colocation(work, c, node, prio)
    return prio


def frozen_priority(model: ClusterModel, prims: tuple[str, ...], node: str) -> int | None:
    """An unmanaged instance keeps its role: INFINITY when it is promoted there,
    -INFINITY when it is active there without ever having been started (Pacemaker's
    Unpromoted), else None (its promotion score counts)."""
    if not prims or is_managed(model, prims[0]):
        return None
    state = model.states.get(prims[0])
    if state is None or node not in state.roles:
        return None
    if state.roles[node] == Role.PROMOTED:
        return INFINITY
    if node in state.unstarted_nodes:
        return -INFINITY
    return None


def must_not_promote(model: ClusterModel, rid: str, inst: str, node: str) -> bool:
    prims = model.primitives(inst)
    if model.meta(inst, "target-role", "").lower() in ("unpromoted", "slave") or \
            target_role(model, rid) == Role.STOPPED:
        return True
    # A failed promote leaves the instance Unpromoted for this transition (its role after
    # failure); a monitor failing with on-fail=demote only demotes it: it may be promoted
    # again (re-promoted) when it still scores best.
    return any((st := model.states.get(p)) is not None and st.promote_failed for p in prims)


def quorum_allows(model: ClusterModel, rid: str, inst: str, node: str) -> bool:
    """Without quorum, promotion is chosen as with it (crm_simulate 2.1.5: what cannot
    run is the start or promote: "Promote ... blocked"), except that
    no-quorum-policy=demote demotes every active instance (Explained: cluster options)."""
    if model.have_quorum or model.meta(rid, "requires", "") == "nothing":
        return True
    if model.prop("no-quorum-policy", "stop").lower() == "demote":
        prims = model.primitives(inst)
        state = model.states.get(prims[0]) if prims else None
        return state is None or not state.running_on
    return True


def role_colocation(work: Work, c: Colocation, node: str, prio: int) -> int:
    """A colocation naming this instance's role shifts its priority: +score where the
    primary (in its role) is on the same node, -INFINITY for a mandatory Promoted one
    where it is not; an Unpromoted dependent role counts the other way. A mandatory one
    with a plain clone only keeps the instance to the clone's nodes (no shift)."""
    model = work.model
    primary = model.resources[c.primary]
    where = nodes_of(work, c.primary, c.primary_role, c.score >= INFINITY) or set()
    if primary.promotable and c.primary_role is not None:
        if c.dependent_role != Role.PROMOTED:
            return prio
        if node in where:
            return add_scores(prio, c.score)
        return -INFINITY if c.score >= INFINITY else prio
    if primary.kind == "clone" and c.score >= INFINITY:
        return prio  # it keeps the instance to the clone's nodes, its priority as it was
    sign = -1 if c.dependent_role == Role.UNPROMOTED else 1
    if node in where:
        times = 1
        if primary.kind == "clone" and c.score < INFINITY:
            times = sum(1 for i in primary.children if work.assigned.get(i) == node)
        for _ in range(max(times, 1)):
            prio = add_scores(prio, sign * c.score)
        return prio
    placed = nodes_of(work, c.primary, None, c.score >= INFINITY)
    if c.score >= INFINITY and c.dependent_role == Role.PROMOTED and primary.kind != "clone" \
            and placed:
        return -INFINITY  # a primary placed nowhere changes nothing
    return prio


def promotion_table(work: Work, rid: str, table: dict[str, int],
                    priorities: dict[str, int]) -> dict[str, int]:
    """The clone's table with its instances' priorities added on their nodes, then the
    preferences of what the promoted role is colocated with (either way)."""
    model = work.model
    out = dict(table)
    for inst, prio in priorities.items():
        node = placed_on(work, inst)
        if node is not None and prio >= 0 and node in out:
            out[node] = add_scores(out[node], prio)
    for c in work.with_of.get(rid, ()):
        if c.dependent_role == Role.PROMOTED:
            out = merge_table(work, out, c.primary, c.score / INFINITY,
                              rollback=c.score < INFINITY, positive=False)
    for c in work.deps_of.get(rid, ()):
        if c.primary_role == Role.PROMOTED and has_influence(work, c):
            if model.resources[c.dependent].kind == "clone":
                out = merge_table(work, out, c.dependent, c.score / INFINITY,
                                  rollback=True, positive=True)
            else:
                out = merge_colocated(work, out, c.dependent, c.score / INFINITY,
                                      frozenset({rid}), positive=True)
    return out


def has_influence(work: Work, c: Colocation) -> bool:
    if c.influence:
        return True
    return not any((st := work.model.states.get(p)) is not None and st.running_on
                   for p in work.model.primitives(c.primary))


def merge_table(work: Work, table: dict[str, int], other: str, factor: float,
                rollback: bool, positive: bool) -> dict[str, int]:
    """`table` plus factor times `other`'s scores (a node that cannot run resources
    offering -INFINITY); undone when nothing could run after it and `rollback`."""
    model = work.model
    rsc = model.resources[other]
    if rsc.kind == "clone":
        # A clone not assigned yet offers its location scores (its allowed nodes).
        source = work.clone_tables.get(other) or location_scores(work, other)
    else:
        last = rsc.children[-1] if rsc.kind == "group" and rsc.children else other
        source = base_table(work, last) if model.resources[last].kind == "primitive" else {}
        if next_role_stopped(model, last):  # its scores were made -INFINITY everywhere
            source = {n: -INFINITY for n in source}
    out = merge_factor(table, source, factor, only_positive=positive, keep_tiny=True,
                       usable=work.usable)
    if rollback and not can_run_any(model, out):
        return table
    return settle(out) if positive else out
