"""Placement: node scores (location, colocation, stickiness, failures, utilization) and the
assignment of every resource to at most one node, in Pacemaker's assignment order.

Owns Pacemaker Explained's "Resource placement" semantics for primitives and groups;
clones.py assigns clone instances and promotion. Must never create actions or do I/O.
The working state below is private to one `assign` call; its result is frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hacluster.common import INFINITY, add_scores
from hacluster.scheduler.model import ClusterModel, Colocation, Role
from hacluster.scheduler.policy import (
    ancestors,
    blocked_from_running,
    health_score,
    is_managed,
    lock_node,
    next_role_stopped,
    unmanaged_node,
)
from hacluster.scheduler.unpack_time import int_or_zero


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where each primitive goes next and in which role (None: stopped)."""

    nodes: Mapping[str, str | None]
    roles: Mapping[str, Role]
    score_lines: tuple[str, ...]


@dataclass(slots=True)
class Work:
    """Mutable scratch state of one assignment run."""

    model: ClusterModel
    assigned: dict[str, str | None] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    used: dict[str, dict[str, int]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    deps_of: dict[str, list[Colocation]] = field(default_factory=dict)  # primary -> cons
    with_of: dict[str, list[Colocation]] = field(default_factory=dict)  # dependent -> cons
    loc_of: dict[str, list[tuple[str, int, Role | None]]] = field(default_factory=dict)
    health: dict[str, int] = field(default_factory=dict)  # node -> non-zero health score


def top_of(model: ClusterModel, rid: str) -> str:
    rsc = model.resources[rid]
    while rsc.parent is not None:
        rsc = model.resources[rsc.parent]
    return rsc.id


def build_work(model: ClusterModel) -> Work:
    work = Work(model)
    for c in model.colocations:
        work.deps_of.setdefault(c.primary, []).append(c)
        work.with_of.setdefault(c.dependent, []).append(c)
    for loc in model.locations:
        work.loc_of.setdefault(loc.rsc, []).append((loc.node, loc.score, loc.role))
    for name in model.nodes:
        work.used[name] = {}
        if model.prop("node-health-strategy", "none").lower() != "none":
            health = health_score(model, name)
            if health:
                work.health[name] = health
    return work


def is_symmetric(model: ClusterModel) -> bool:
    return model.prop("symmetric-cluster", "true").lower() in ("true", "yes", "1", "on")


def location_scores(work: Work, rid: str) -> dict[str, int]:
    """Scores from the cluster's symmetry and location constraints on `rid` alone."""
    model = work.model
    scores: dict[str, int] = {n: 0 for n in model.nodes} if is_symmetric(model) else {}
    for node, score, role in work.loc_of.get(rid, ()):
        if role in (Role.PROMOTED, Role.UNPROMOTED):
            continue
        scores[node] = add_scores(scores.get(node, 0), score)
    if model.resources[rid].parent is None:
        # Node health acts as a location score of every top-level resource on the node
        # (Explained: node health strategies), so it shows in the printed scores too.
        for node, health in work.health.items():
            if health < 0 and model.meta(rid, "allow-unhealthy-nodes", "false").lower() \
                    in ("true", "yes", "1", "on", "y"):
                continue
            scores[node] = add_scores(scores.get(node, 0), health)
    return scores


def stickiness(model: ClusterModel, rid: str) -> int:
    """resource-stickiness; clone instances default to 1 (Explained: clone options)."""
    in_clone = any(model.resources[a].kind == "clone" for a in ancestors(model, rid))
    value = model.meta(rid, "resource-stickiness",
                       model.meta(rid, "stickiness", "1" if in_clone else "0"))
    return int_or_zero(value)


def primitive_scores(work: Work, rid: str, with_location: bool = True,
                     influence: bool = False) -> dict[str, int]:
    """A primitive's own scores: location, stickiness on its current node, bans."""
    model = work.model
    scores = location_scores(work, rid) if with_location else {n: 0 for n in model.nodes}
    state = model.states.get(rid)
    if state is None:
        return scores
    stick = stickiness(model, rid)
    if stick and model.meta(rid, "is-managed", "true").lower() != "false":
        for node in state.running_on:
            # A failed resource still sticks to its own node (it is recovered there),
            # but that does not pull what it is colocated with.
            if node in scores and not (influence and node in state.failed_nodes):
                scores[node] = add_scores(scores[node], stick)
            elif node not in scores and is_symmetric(model):
                scores[node] = stick
    if state.running_on and not is_managed(model, rid):
        # An unmanaged resource stays where it is: INFINITY on its node.
        node = state.running_on[0]
        scores[node] = add_scores(scores.get(node, 0), INFINITY)
    for node in state.banned_nodes:
        scores[node] = -INFINITY
    locked = lock_node(model, rid)
    if locked is not None:  # shutdown-lock: nowhere but the node it is held for
        for node in scores:
            if node != locked:
                scores[node] = -INFINITY
    return scores


def merge_factor(target: dict[str, int], other: Mapping[str, int], factor: float,
                 only_positive: bool = False, keep_tiny: bool = True,
                 usable: Mapping[str, bool] | None = None) -> dict[str, int]:
    """target + factor*other per node (nodes missing from `other` count as 0). With
    `usable` (a colocated resource's scores, Explained: colocation influence), a node
    that cannot run resources offers that resource -INFINITY, and a negative factor
    never turns a negative score into a preference."""
    out = dict(target)
    for node, base in target.items():
        value = other.get(node, 0)
        if usable is not None:
            value = other.get(node, -INFINITY) if usable.get(node, False) else -INFINITY
            if factor < 0 and value < 0:
                continue
        out[node] = add_scores(base, scaled(value, factor, keep_tiny))
        if only_positive and out[node] < 0 <= base:
            out[node] = base
    return out


def scaled(value: int, factor: float, keep_tiny: bool = True) -> int:
    """factor*value rounded half away from zero; a non-zero preference never vanishes."""
    if value >= INFINITY:
        value = INFINITY
    elif value <= -INFINITY:
        value = -INFINITY
    product = value * factor
    delta = int(product - 0.5) if product < 0 else int(product + 0.5)
    if delta == 0 and product != 0 and keep_tiny:
        delta = 1 if product > 0 else -1
    return delta


def can_run_any(model: ClusterModel, scores: Mapping[str, int]) -> bool:
    return any(s >= 0 and model.nodes[n].can_run for n, s in scores.items())


def free_capacity(work: Work, node: str) -> int:
    node_util = work.model.nodes[node].utilization
    return sum(node_util.get(k, 0) - work.used[node].get(k, 0) for k in node_util)


def node_key(work: Work, node: str, score: int, current: tuple[str, ...],
             util: Mapping[str, int]) -> tuple[object, ...]:
    """Sort key for candidate nodes: score, capacity (balanced only), load, current node,
    name. Explained: "utilization" weighs capacity only for eligibility."""
    strategy = work.model.prop("placement-strategy", "default")
    capacity = free_capacity(work, node) if strategy == "balanced" else 0
    load = 0 if strategy == "minimal" else work.counts.get(node, 0)
    # Among equals, the node it runs on first (Pacemaker's "current node") wins.
    rank = current.index(node) if node in current else len(current)
    return (-score, -capacity, load, rank, node)


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
    candidates.sort(key=lambda n: node_key(work, n, scores[n], current, util))
    best = candidates[0]
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


def attr_nodes(model: ClusterModel, nodes: set[str], attr: str) -> set[str]:
    """Nodes sharing `attr`'s value with any of `nodes` (node-attribute colocations)."""
    if attr == "#uname":
        return nodes
    values = {model.nodes[n].attrs.get(attr) for n in nodes if n in model.nodes}
    values.discard(None)
    return {n for n, node in model.nodes.items() if node.attrs.get(attr) in values}


def colocation_effect(model: ClusterModel, scores: dict[str, int], prim_nodes: set[str] | None,
                      c: Colocation) -> dict[str, int]:
    if prim_nodes is None:
        return scores
    out = dict(scores)
    if not prim_nodes:
        if c.score >= INFINITY:
            return {n: -INFINITY for n in out}
        return out
    matching = attr_nodes(model, prim_nodes, c.node_attribute)
    for node in out:
        if c.score >= INFINITY:
            if node not in matching:
                out[node] = -INFINITY
        elif node in matching:
            out[node] = add_scores(out[node], c.score)
    return out


def nodes_of(work: Work, rid: str, role: Role | None, fully: bool | str = False
             ) -> set[str] | None:
    """Where a (possibly collective) primary was assigned; None if not assigned yet.
    `fully`: a mandatory colocation with a group needs the whole group, i.e. its last
    member (Explained: groups); otherwise the group is where its first member is."""
    model = work.model
    rsc = model.resources[rid]
    if rsc.kind == "primitive":
        if rid not in work.assigned:
            return None
        node = work.assigned[rid]
        if node is None:
            return set()
        if role in (Role.PROMOTED, Role.UNPROMOTED) and work.roles.get(rid) != role:
            return set()
        return {node}
    if rsc.kind == "group":
        if rid not in work.assigned:
            return None
        node = work.assigned[rsc.children[-1]] if fully and rsc.children else work.assigned[rid]
        return {node} if node is not None else set()
    if rid not in work.assigned:
        return None
    out: set[str] = set()
    for inst in rsc.children:
        kids = model.resources[inst].children
        node = work.assigned.get(kids[-1] if fully == "instances" and kids else inst)
        if node is None:
            continue
        if role in (Role.PROMOTED, Role.UNPROMOTED):
            prims = model.primitives(inst)
            if not prims or work.roles.get(prims[0]) != role:
                continue
        out.add(node)
    return out


def own_scores(work: Work, rid: str, influence: bool = False) -> dict[str, int]:
    """A resource's preferences before colocations: primitives, group sums, clone level."""
    model = work.model
    rsc = model.resources[rid]
    if rsc.kind == "primitive":
        return primitive_scores(work, rid, influence=influence)
    scores = location_scores(work, rid)
    if rsc.kind == "clone" and rsc.children and model.primitives(rsc.children[0]) and \
            blocked_from_running(model, model.primitives(rsc.children[0])[0]):
        return {n: -INFINITY for n in scores}  # target-role=Stopped bans every node
    if rsc.kind == "group":
        for i, member in enumerate(rsc.children):
            merged = merge_factor(scores, primitive_scores(work, member, False, influence),
                                  1.0)
            merged = merge_factor(merged, location_scores(work, member), 1.0)
            if i == 0 or can_run_any(work.model, merged):
                scores = merged
    return scores


def with_influence(work: Work, rid: str, scores: dict[str, int], factor: float,
                   seen: frozenset[str]) -> dict[str, int]:
    """Fold in the preferences of resources colocated with `rid` (Explained: influence)."""
    model = work.model
    for c in work.deps_of.get(rid, ()):
        dep = c.dependent
        if dep in seen or dep in work.assigned or c.dependent_role == Role.PROMOTED:
            continue
        running = any(model.states.get(p) and model.states[p].running_on
                      for p in model.primitives(rid))
        if not c.influence and running:
            continue
        if abs(c.score) < 1:
            continue
        is_clone = model.resources[rid].kind == "clone"
        if is_clone and model.resources[dep].kind != "clone" and c.score > 0:
            continue  # one instance somewhere is enough for it: it does not steer the clone
        dep_scores = with_influence(work, dep, own_scores(work, dep, influence=True),
                                    factor * c.score / INFINITY, seen | {dep})
        usable = {n: node.can_run for n, node in model.nodes.items()}
        merged = merge_factor(scores, dep_scores, factor * c.score / INFINITY,
                              keep_tiny=not is_clone, usable=usable)
        if can_run_any(model, merged) or is_clone:
            scores = merged
    return scores


def whole_group(work: Work, c: Colocation) -> bool | str:
    """How much of a group primary a mandatory colocation needs: a group needs all its
    members; clone-to-clone colocations pair instances, so each group instance must be
    whole; a primitive with a clone of groups only needs the instances placed."""
    if c.score < INFINITY:
        return False
    if work.model.resources[c.dependent].kind == "clone":
        return "instances"
    return True


def scores_for(work: Work, rid: str) -> dict[str, int]:
    """Own scores, then primaries' effects, then dependents' influence."""
    scores = own_scores(work, rid)
    for c in work.with_of.get(rid, ()):
        if c.dependent_role in (Role.PROMOTED, Role.UNPROMOTED) and \
                work.model.resources[rid].promotable:
            continue
        where = nodes_of(work, c.primary, c.primary_role, whole_group(work, c))
        scores = colocation_effect(work.model, scores, where, c)
    return with_influence(work, rid, scores, 1.0, frozenset({rid}))


def assign(model: ClusterModel) -> Assignment:
    """Assign every resource (pure): priority order, colocation primaries first."""
    return assignment_of(assign_work(model))


def assign_work(model: ClusterModel) -> Work:
    """The assignment run itself; its scratch state is what explain.py reads."""
    from hacluster.scheduler.clones import assign_clone

    work = build_work(model)
    order = assignment_order(work)
    for rid in order:
        assign_resource(work, rid, assign_clone)
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
    return Assignment(nodes=nodes, roles=roles, score_lines=tuple(work.lines))


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
        scores = sort_scores(work, rid)
        best = max((v for n, v in scores.items() if model.nodes[n].can_run), default=0)
        return (-priority(model, rid), -best, tuple(-scores.get(n, 0) for n in node_order))

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
    """Own scores plus what mandatory colocations forbid (for the assignment order)."""
    scores = own_scores(work, rid)
    for c in work.with_of.get(rid, ()):
        if c.score >= INFINITY:
            for node in banned_nodes_of(work, c.primary):
                scores[node] = -INFINITY
    return scores


def priority(model: ClusterModel, rid: str) -> int:
    return int_or_zero(model.meta(rid, "priority", "0"))


def assign_resource(work: Work, rid: str, assign_clone) -> None:  # type: ignore[no-untyped-def]
    if rid in work.assigned or rid in work.in_progress:
        return
    work.in_progress.add(rid)
    model = work.model
    for prim in [rid, *model.primitives(rid)] if model.resources[rid].kind == "group" else [rid]:
        for c in work.with_of.get(prim, ()):
            other = top_of(model, c.primary)
            if other != top_of(model, rid):
                assign_resource(work, other, assign_clone)
    kind = model.resources[rid].kind
    if kind == "clone":
        assign_clone(work, rid)
    elif kind == "group":
        assign_group(work, rid)
    else:
        assign_primitive(work, rid)
    work.in_progress.discard(rid)


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
    has that much, a node with room for the resource alone, the roomiest one when it
    scores as well as the best (so that as many followers as possible fit there too)."""
    node = choose_node(work, scores, current, need, extra_ok)
    if node is not None or dict(need) == dict(own):
        return node
    node = choose_node(work, scores, current, own, extra_ok)
    if node is None:
        return None
    ok = [n for n, s in scores.items() if s >= 0 and n in work.model.nodes
          and work.model.nodes[n].can_run and fits(work, n, own)
          and (extra_ok is None or n in extra_ok)]
    roomiest = max(ok, key=lambda n: free_capacity(work, n))
    return roomiest if scores[roomiest] == scores[node] else node


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
        for k, v in group_util(work.model, dep).items():
            total[k] = total.get(k, 0) + v
        colocated_util(work, dep, total, seen)
    return total


def log_scores(work: Work, fn: str, rid: str, scores: Mapping[str, int]) -> None:
    for node in sorted(scores):
        s = scores[node]
        text = "INFINITY" if s >= INFINITY else "-INFINITY" if s <= -INFINITY else str(s)
        work.lines.append(f"{fn}: {rid} allocation score on {node}: {text}")


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
    if scores is None:
        scores = scores_for(work, rid)
    log_scores(work, "pcmk__group_assign", rid, scores)
    current: tuple[str, ...] = ()
    for m in members:
        st = model.states.get(m)
        if st and st.running_on:
            current = st.running_on
            break
    node = choose_node(work, scores, current, group_util(model, rid))
    prev_ok = node is not None
    for m in members:
        frozen, here = unmanaged_node(model, m)
        if frozen:
            record(work, m, here, {})
            prev_ok = prev_ok and here is not None and here == node
            continue
        own = primitive_scores(work, m)
        for c in work.with_of.get(m, ()):
            where = nodes_of(work, c.primary, c.primary_role, c.score >= INFINITY)
            own = colocation_effect(model, own, where, c)
        ok = (prev_ok and node is not None and own.get(node, -INFINITY) >= 0
              and not blocked_from_running(model, m) and not model.resources[m].orphan)
        record(work, m, node if ok else None, model.resources[m].utilization if ok else {})
        prev_ok = ok
    first_node = work.assigned.get(members[0]) if members else None
    work.assigned[rid] = first_node
