"""Placement: node scores (location, colocation, stickiness, failures, utilization) and the
assignment of every resource to at most one node, in Pacemaker's assignment order.

Owns Pacemaker Explained's "Resource placement" semantics for primitives and groups;
clones.py assigns clone instances and promotion, assign.py runs them in order, scores.py
holds the score tables they share. Must never create actions or do I/O, and never import
clones.py or assign.py (they build on this module).
"""

from __future__ import annotations

from collections.abc import Mapping

from hacluster.common import INFINITY
from hacluster.scheduler.instance_order import merge_sort
from hacluster.scheduler.model import ClusterModel, Role
from hacluster.scheduler.policy import blocked_from_running, next_role_stopped, unmanaged_node
from hacluster.scheduler.scores import (
    Work,
    can_run_any,
    colocated_or_rolled_back,
    location_scores,
    log_lazy,
    log_scores,
    merge_factor,
    primitive_scores,
    settle,
)
from hacluster.scheduler.tables import (
    base_table,
    colocated_group,
    member_table,
    merge_colocated,
    whole_group,
)


def compare_nodes(work: Work, a: str, b: str, scores: Mapping[str, int],
                  current: tuple[str, ...], strategy: str) -> int:
    """Candidate order as Pacemaker 2.1.5 sorts nodes (negative: `a` first): score; with
    placement-strategy=minimal then the name; with balanced, the node with more room
    left attribute by attribute (not a sum: a tie when each leads in some); then fewer
    resources placed; then the node it runs on; then the name."""
    if scores[a] != scores[b]:
        return -1 if scores[a] > scores[b] else 1
    if strategy != "minimal":
        room = more_room(work, a, b) if strategy == "balanced" else 0
        if room:
            return -1 if room > 0 else 1
        load_a, load_b = work.counts.get(a, 0), work.counts.get(b, 0)
        if load_a != load_b:
            return -1 if load_a < load_b else 1
        if current and current[0] in (a, b):
            return -1 if current[0] == a else 1
    return (a > b) - (a < b)


def fits(work: Work, node: str, util: Mapping[str, int]) -> bool:
    if work.model.prop("placement-strategy", "default") == "default" or not util:
        return True
    have = work.model.nodes[node].utilization
    used = work.used[node]
    return all(used.get(k, 0) + v <= have.get(k, 0) for k, v in util.items() if v > 0)


def choose_node(work: Work, scores: Mapping[str, int], current: tuple[str, ...],
                util: Mapping[str, int], extra_ok: set[str] | None = None) -> str | None:
    model = work.model
    candidates = [n for n, s in scores.items()
                  if s >= 0 and n in model.nodes and model.nodes[n].can_run
                  and fits(work, n, util) and (extra_ok is None or n in extra_ok)]
    if not candidates:
        return None
    top = max(scores[n] for n in candidates)
    tied = [n for n in candidates if scores[n] == top]  # the score decides first
    strategy = model.prop("placement-strategy", "default")
    best = tied[0] if len(tied) == 1 else merge_sort(
        tied, lambda a, b: compare_nodes(work, a, b, scores, current, strategy))[0]
    # A positive best score that the current node shares keeps the resource in place
    # (with nothing to lose, a resource is instead moved to balance the load).
    if scores[best] > 0:
        for node in current:
            if node in candidates and scores[node] == scores[best]:
                return node
    return best


def record(work: Work, rid: str, node: str | None, util: Mapping[str, int]) -> None:
    work.assigned[rid] = node
    if node is None:
        return
    work.counts[node] = work.counts.get(node, 0) + 1
    for k, v in util.items():
        work.used[node][k] = work.used[node].get(k, 0) + v


def own_scores(work: Work, rid: str, influence: bool = False, decide: bool = True
               ) -> dict[str, int]:
    """A resource's preferences before colocations: primitives, group sums, clone level."""
    model = work.model
    rsc = model.resources[rid]
    if rsc.kind == "primitive":
        return primitive_scores(work, rid, influence=influence)
    scores = location_scores(work, rid)
    if rsc.kind == "clone" and rsc.children and model.primitives(rsc.children[0]) and \
            blocked_from_running(model, model.primitives(rsc.children[0])[0]) and decide:
        # A clone kept stopped keeps what must run with it from being placed. Pacemaker
        # keeps its table and gets there through unrunnable starts it does not list;
        # our summary lists those, so the decision uses -INFINITY (not printed).
        return {n: -INFINITY for n in scores}
    if rsc.kind == "group":
        # A group steers by its first member, which the others follow (collocated).
        together = colocated_group(model, rid)
        for i, member in enumerate(rsc.children if together else rsc.children[:1]):
            merged = merge_factor(scores, primitive_scores(work, member, False, influence),
                                  1.0)
            merged = merge_factor(merged, location_scores(work, member), 1.0)
            if i == 0 or can_run_any(work.model, merged):
                scores = merged
    return scores


def with_influence(work: Work, rid: str, scores: dict[str, int], factor: float,
                   seen: frozenset[str], decide: bool = True) -> dict[str, int]:
    """Fold in the preferences of resources colocated with `rid` (Explained: influence)."""
    model = work.model
    for c in work.deps_of.get(rid, ()):
        dep = c.dependent
        if dep in seen or dep in work.assigned:
            continue
        running = any(model.states.get(p) and model.states[p].running_on
                      for p in model.primitives(rid))
        if not c.influence and running:
            continue
        if abs(c.score) < 1:
            continue
        is_clone = model.resources[rid].kind == "clone"
        if is_clone and model.resources[dep].kind != "clone" and c.score > 0 and decide:
            # Only in the decision table: one instance somewhere is enough for it. The
            # clone's own table (decide=False) has its share, as Pacemaker prints it.
            continue
        if is_clone and not decide and model.resources[dep].kind in ("primitive", "group"):
            # The clone's own table takes a dependent in member by member, each share
            # positive only (a negative result leaves the node as it was), as Pacemaker.
            scores = merge_colocated(work, scores, dep, factor * c.score / INFINITY, seen,
                                     positive=True)
            continue
        dep_scores = with_influence(work, dep, own_scores(work, dep, True, decide),
                                    factor * c.score / INFINITY, seen | {dep}, decide)
        usable = work.usable
        # A clone's own table keeps a tiny positive share as one point, as Pacemaker does.
        merged = merge_factor(scores, dep_scores, factor * c.score / INFINITY,
                              only_positive=is_clone, keep_tiny=not is_clone or not decide,
                              usable=usable)
        if can_run_any(model, merged):
            scores = settle(merged)
    return scores


def scores_for(work: Work, rid: str, decide: bool = True) -> dict[str, int]:
    """Own scores, then primaries' effects, then dependents' influence. `decide=False`:
    the table as Pacemaker prints it (without the stopped-clone rule of own_scores)."""
    scores = own_scores(work, rid, decide=decide)
    # A clone's own printed table leaves its colocations to its instances.
    printed_clone = not decide and work.model.resources[rid].kind == "clone"
    for c in () if printed_clone else work.with_of.get(rid, ()):
        if c.dependent_role in (Role.PROMOTED, Role.UNPROMOTED) and \
                work.model.resources[rid].promotable:
            continue
        scores = colocated_or_rolled_back(work, scores, c, whole_group(work, c))
    return with_influence(work, rid, scores, 1.0, frozenset({rid}), decide)



def assign_primitive(work: Work, rid: str, scores: dict[str, int] | None = None) -> None:
    model = work.model
    rsc = model.resources[rid]
    if scores is None:
        scores = scores_for(work, rid)
    if next_role_stopped(model, rid):
        scores = {n: -INFINITY for n in scores}  # it must not come up anywhere
    log_scores(work, "pcmk__primitive_assign", rid, scores)
    frozen, node = unmanaged_node(model, rid)
    if frozen:
        record(work, rid, node, {})
        return
    if blocked_from_running(model, rid) or rsc.orphan:
        record(work, rid, None, {})
        return
    state = model.states.get(rid)
    current = state.running_on if state else ()
    need = colocated_util(work, rid, dict(rsc.utilization), {rid})
    node = choose_with_colocated(work, scores, current, need, rsc.utilization)
    record(work, rid, node, rsc.utilization)


def choose_with_colocated(work: Work, scores: Mapping[str, int], current: tuple[str, ...],
                          need: Mapping[str, int], own: Mapping[str, int],
                          extra_ok: set[str] | None = None) -> str | None:
    """A node with room for the resource and everything that must follow it; if no node
    has that much, a node with room for the resource alone: one with more room left
    than the best-scoring node when it scores as well (so that as many followers as
    possible fit there too), else the best-scoring node."""
    node = choose_node(work, scores, current, need, extra_ok)
    if node is not None or dict(need) == dict(own):
        return node
    node = choose_node(work, scores, current, own, extra_ok)
    if node is None:
        return None
    ok = [n for n, s in scores.items() if s >= 0 and n in work.model.nodes
          and work.model.nodes[n].can_run and fits(work, n, own)
          and (extra_ok is None or n in extra_ok)]
    roomiest = node
    for other in ok:
        if more_room(work, other, roomiest) > 0:
            roomiest = other
    return roomiest if scores[roomiest] == scores[node] else node


def more_room(work: Work, a: str, b: str) -> int:
    """How many capacities `a` has more left of than `b`, minus how many it has less of
    (Pacemaker compares nodes attribute by attribute, not by a sum)."""
    have_a, have_b = work.model.nodes[a].utilization, work.model.nodes[b].utilization
    result = 0
    for key in sorted(set(have_a) | set(have_b)):
        left_a = have_a.get(key, 0) - work.used[a].get(key, 0)
        left_b = have_b.get(key, 0) - work.used[b].get(key, 0)
        result += (left_a > left_b) - (left_a < left_b)
    return result


def colocated_util(work: Work, rid: str, total: dict[str, int], seen: set[str]
                   ) -> dict[str, int]:
    """Utilization of `rid` plus unassigned resources that must be colocated with it."""
    if work.model.prop("placement-strategy", "default") == "default":
        return total
    for c in work.deps_of.get(rid, ()):
        dep = c.dependent
        if c.score < INFINITY or dep in seen or dep in work.assigned:
            continue
        seen.add(dep)
        rsc = work.model.resources[dep]
        if rsc.kind == "clone":  # one instance follows; what follows the clone does not
            first = next((i for i in rsc.children if not work.model.resources[i].orphan), None)
            for k, v in (group_util(work.model, first) if first else {}).items():
                total[k] = total.get(k, 0) + v
            continue
        # A primitive not yet assigned counts even when it will stay stopped (observed
        # of Pacemaker 2.1.5: a disabled dependent still needs room with its primary).
        need = dict(rsc.utilization) if rsc.kind == "primitive" else group_util(work.model, dep)
        for k, v in need.items():
            total[k] = total.get(k, 0) + v
        colocated_util(work, dep, total, seen)
    return total


def group_util(model: ClusterModel, rid: str) -> dict[str, int]:
    """Utilization of the members that will run: a member kept stopped (target-role)
    stops every member after it, so none of those need room."""
    total: dict[str, int] = {}
    for member in model.primitives(rid):
        if blocked_from_running(model, member):
            break
        for k, v in model.resources[member].utilization.items():
            total[k] = total.get(k, 0) + v
    return total


def assign_group(work: Work, rid: str, scores: dict[str, int] | None = None) -> None:
    """Members go where the group goes, in order; a member that cannot stops the rest."""
    model = work.model
    members = model.resources[rid].children
    log_scores(work, "pcmk__group_assign", rid, location_scores(work, rid))
    for m in members:
        log_lazy(work, "pcmk__group_assign", m, lambda m=m: base_table(work, m))  # type: ignore[misc]
    if members and not colocated_group(model, rid):
        for at, m in enumerate(members):  # collocated=false: each member on its own
            assign_primitive(work, m, member_table(work, rid, at))
        work.assigned[rid] = work.assigned.get(members[0])
        return
    if scores is None:
        scores = member_table(work, rid, 0) if members else scores_for(work, rid)
    current: tuple[str, ...] = ()
    for m in members:
        st = model.states.get(m)
        if st and st.running_on:
            current = st.running_on
            break
    # Room for the whole group if some node has it, else for its first member (each
    # member then needs room of its own: Pacemaker checks capacity member by member).
    first_util = model.resources[members[0]].utilization if members else {}
    node = choose_with_colocated(work, scores, current, group_util(model, rid), first_util)
    prev_ok = node is not None
    for at, m in enumerate(members):
        log_lazy(work, "pcmk__primitive_assign", m,
                 lambda at=at: member_table(work, rid, at))  # type: ignore[misc]
        frozen, here = unmanaged_node(model, m)
        if frozen:
            record(work, m, here, {})
            prev_ok = prev_ok and here is not None and here == node
            continue
        own = member_table(work, rid, at)
        ok = (prev_ok and node is not None and own.get(node, -INFINITY) >= 0
              and not blocked_from_running(model, m) and not model.resources[m].orphan
              and fits(work, node, model.resources[m].utilization))
        record(work, m, node if ok else None, model.resources[m].utilization if ok else {})
        prev_ok = ok
    first_node = work.assigned.get(members[0]) if members else None
    work.assigned[rid] = first_node
