"""Tables: the node-score table of each primitive as Pacemaker Explained's placement
rules build it, for group members (and the chain of colocated resources whose
preferences a primary takes in).

A member's table starts from its base: the cluster's symmetry, the location constraints
of the member and of its group, node health, stickiness, failure bans. The members of a
group are colocated each with the one before (INFINITY); the first member carries the
group's own colocations, the last member the colocations of others with the group. A
primary takes in the tables of what is colocated with it (factor score/INFINITY, a node
that cannot run resources offering -INFINITY), undone when nothing could run after it.
Must never choose nodes or do I/O: it reads the run's Work and returns new tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from hacluster.common import INFINITY, add_scores, parse_boolean, parse_score
from hacluster.scheduler.coloc_roles import holds_while_placing, reverted_if_stuck
from hacluster.scheduler.model import ClusterModel, Colocation, PrimitiveState, Role
from hacluster.scheduler.policy import ancestors, next_role_stopped
from hacluster.scheduler.scores import (
    LazyTable,
    Work,
    apply_colocation,
    can_run_any,
    colocated_or_rolled_back,
    location_scores,
    log_lazy,
    log_scores,
    merge_factor,
    primitive_scores,
    settle,
)


def base_table(work: Work, rid: str) -> dict[str, int]:
    """A primitive's table before colocations: its own and its parents' locations (the
    top one with node health), then stickiness, unmanaged, bans and shutdown-lock."""
    cached = work.static.get(("base", rid))
    if cached is None:
        cached = work.static[("base", rid)] = fresh_base_table(work, rid)
    return dict(cached)


def fresh_base_table(work: Work, rid: str) -> dict[str, int]:
    table = path_locations(work, rid)
    owner = instance_of(work, rid)
    if owner is not None:
        clone = work.model.resources[owner].parent or owner
        for node, value in promotion_preference(work, owner, path_locations(work, clone)).items():
            # Added only where the instance is allowed (Pacemaker 2.1.5: not to a
            # negative location score).
            if node in table and table[node] >= 0 and rid == work.model.primitives(owner)[0]:
                table[node] = add_scores(table[node], value)
    for node, value in primitive_scores(work, rid, with_location=False).items():
        if node in table:
            table[node] = add_scores(table[node], value)
        elif abs(value) >= INFINITY:  # bans and unmanaged add the node; stickiness not
            table[node] = value
    return table


def promotion_score(work: Work, inst: str, node: str) -> int:
    """The node attribute master-<name> of each primitive of the instance: the name of its
    history (on that node, else anywhere: an instance that took another number's history
    answers to that number), else its own id; then (anonymous clones) the primitive's
    plain id. An anonymous instance with history somewhere takes no score on a node where
    it has none while another instance has (score_applies). -1 when unset."""
    cached = work.promo.get((inst, node))
    if cached is None:
        cached = work.promo[(inst, node)] = fresh_promotion_score(work, inst, node)
    return cached


def fresh_promotion_score(work: Work, inst: str, node: str) -> int:
    model = work.model
    clone = model.resources[model.resources[inst].parent or inst]
    total, found = 0, False
    attrs = model.nodes[node].attrs
    for prim in model.primitives(inst):
        rsc = model.resources[prim]
        if not score_applies(work, clone.id, prim, node, clone.unique):
            continue
        state = model.states.get(prim)
        names = [clone_name(state, node, prim)]
        if not clone.unique:
            names.append(rsc.base)
        for name in names:
            value = attrs.get(f"master-{name}")
            if value is not None:
                total = add_scores(total, parse_score(value) or 0)
                found = True
                break
    return total if found else -1


def score_applies(work: Work, clone: str, prim: str, node: str, unique: bool) -> bool:
    """Observed in Pacemaker 2.1.5: an instance's promotion score on a node counts when
    (anonymous clones) it is active there, or no instance is active there but some
    instance has history there; when the instance is known nowhere (neither active nor
    with history); or when it has history there itself. Not otherwise: an instance
    active on another node takes no score on a node nobody has probed."""
    state = work.model.states.get(prim)
    if unique:
        mine = frozenset(state.running_on) | state.probed_nodes if state else frozenset()
        return not mine or node in mine
    per_prim, active = known_index(work, clone, work.model.resources[prim].base)
    if state is not None and node in state.running_on:
        return True
    base = work.model.resources[prim].base
    if node not in active and node in work.model.known_on.get(base, {}):
        return True  # probed there (the history may have made an orphan instance)
    mine = per_prim.get(prim, frozenset())
    return not mine or node in mine


def known_index(work: Work, clone: str, base: str
                ) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """Each instance primitive (with `base`) of an anonymous clone -> the nodes where it
    is active or has history (Pacemaker: known_on), and the nodes where any of them is
    active. Stopped histories
    are filed as the status, read node by node, files them: under the first instance not
    active on a node read so far."""
    cached = work.known.get(base)
    if cached is not None:
        return cached
    model = work.model
    peers = [p for i in model.resources[clone].children for p in model.primitives(i)
             if model.resources[p].base == base and not model.resources[p].orphan]
    order = list(model.known_on.get(base, {}))
    filed = file_stopped_histories(work, peers, order)
    per_prim: dict[str, frozenset[str]] = {}
    for p in peers:
        state = model.states.get(p)
        mine = set(state.running_on) | set(state.history_names) if state is not None else set()
        per_prim[p] = frozenset(mine | filed.get(p, set()))
    active = frozenset(n for p in peers if (st := model.states.get(p)) is not None
                       for n in st.running_on)
    work.known[base] = (per_prim, active)
    return per_prim, active


def file_stopped_histories(work: Work, peers: list[str], order: list[str]
                           ) -> dict[str, set[str]]:
    """Instance -> the nodes (in `order`, the status order of the nodes with history)
    whose stopped history is filed under it."""
    model = work.model
    at = {node: i for i, node in enumerate(order)}
    first_active: dict[str, int] = {}
    for p in peers:
        state = model.states.get(p)
        for node in state.running_on if state is not None else ():
            first_active[p] = min(first_active.get(p, len(order)), at.get(node, len(order)))
    active_on = {n for p in peers if (st := model.states.get(p)) for n in st.running_on}
    out: dict[str, set[str]] = {}
    for i, node in enumerate(order):
        if node in active_on:
            continue
        holder = next((p for p in peers if first_active.get(p, len(order)) > i), None)
        if holder is not None:
            out.setdefault(holder, set()).add(node)
    return out


def clone_name(state: PrimitiveState | None, node: str, prim: str) -> str:
    if state is None or not state.history_names:
        return prim
    if node in state.history_names:
        return state.history_names[node]
    numbered = [name for name in state.history_names.values() if ":" in name]
    return numbered[0] if numbered else prim


def promotion_preference(work: Work, inst: str, base: Mapping[str, int]) -> dict[str, int]:
    """A promotable instance prefers the nodes where it would be promoted: its positive
    promotion score there, on nodes that can run resources."""
    model = work.model
    parent = model.resources[inst].parent
    if parent is None or not model.resources[parent].promotable:
        return {}
    out: dict[str, int] = {}
    for node in base:
        if node not in model.nodes or not model.nodes[node].can_run:
            continue
        preference = promotion_score(work, inst, node)
        if preference > 0:
            out[node] = preference
    return out


def instance_of(work: Work, rid: str) -> str | None:
    """The clone instance `rid` is (or is a member of), if any."""
    model = work.model
    node: str | None = rid
    while node is not None:
        parent = model.resources[node].parent
        if parent is not None and model.resources[parent].kind == "clone":
            return node
        node = parent
    return None


def path_locations(work: Work, rid: str) -> dict[str, int]:
    """The cluster's symmetry plus the locations of `rid` and of its parents (the top one
    with node health). A location of a colocated group counts in full for its first
    member only, whose table the others' join anyway; the others get its nodes at 0."""
    cached = work.static.get(("path", rid))
    if cached is None:
        cached = work.static[("path", rid)] = fresh_path_locations(work, rid)
    return dict(cached)


def fresh_path_locations(work: Work, rid: str) -> dict[str, int]:
    model = work.model
    parent = model.resources[rid].parent
    if parent is not None and model.resources[parent].kind == "clone" \
            and rid not in work.loc_of:
        return path_locations(work, parent)  # an instance without locations of its own
    table: dict[str, int] = {}
    path = [*reversed(ancestors(model, rid)), rid]
    full = 0
    for i, owner in enumerate(path[:-1]):
        rsc = model.resources[owner]
        if rsc.kind == "group" and rsc.children and rsc.children[0] != path[i + 1] and \
                parse_boolean(model.meta(owner, "collocated", "true")) is not False:
            full = i + 1
    for i, owner in enumerate(path):
        for node, value in location_scores(work, owner).items():
            table[node] = add_scores(table.get(node, 0), value if i >= full else 0)
    return table


def with_this(work: Work, rid: str) -> Iterator[Colocation]:
    """Colocations whose primary is `rid`: the next group member's internal one, the
    resource's own, and for the last member of a group those with the whole group."""
    model = work.model
    rsc = model.resources[rid]
    parent = model.resources[rsc.parent] if rsc.parent else None
    if parent is not None and parent.kind == "group":
        members = parent.children
        at = members.index(rid)
        if at + 1 < len(members) and colocated_group(model, parent.id):
            yield Colocation(f"{parent.id}:internal", members[at + 1], rid, INFINITY,
                             None, None, True)
        else:
            yield from work.deps_of.get(parent.id, ())
    yield from work.deps_of.get(rid, ())


def colocated_group(model: ClusterModel, group: str) -> bool:
    """A group's members run together unless its collocated meta-attribute is false."""
    return parse_boolean(model.meta(group, "collocated", "true")) is not False


def has_influence(work: Work, c: Colocation) -> bool:
    """A dependent steers its primary when influence=true or the primary is inactive."""
    if c.influence:
        return True
    return not any((st := work.model.states.get(p)) is not None and st.running_on
                   for p in work.model.primitives(c.primary))


def merge_colocated(work: Work, table: dict[str, int], rid: str, factor: float,
                    seen: frozenset[str], positive: bool = False) -> dict[str, int]:
    """`table` plus factor times the table of `rid` (a dependent), then what is colocated
    with `rid` in turn (at its own score/INFINITY); rolled back if nothing could run."""
    model = work.model
    if rid in seen or rid not in model.resources:
        return table
    rsc = model.resources[rid]
    if rsc.kind == "group":
        if not rsc.children:
            return table
        rid = rsc.children[0]  # a group's table is its first member's chain
    elif rsc.kind != "primitive":
        return table
    seen = seen | {rid}
    usable = work.usable
    out = merge_factor(table, base_table(work, rid), factor, only_positive=positive,
                       usable=usable)
    if not can_run_any(model, out):
        return table
    sign = -1 if factor < 0 else 1
    for c in with_this(work, rid):
        if c.dependent in seen or not has_influence(work, c) or \
                c.dependent_role in (Role.PROMOTED, Role.UNPROMOTED):
            continue
        out = merge_colocated(work, out, c.dependent, sign * c.score / INFINITY, seen,
                              positive)
    return settle(out) if positive else out


def chain_table(work: Work, rid: str, table: dict[str, int]) -> dict[str, int]:
    """`table` (a primitive's, colocations applied) plus the chain of what is colocated
    with it: the primary's view of its dependents (Explained: colocation influence)."""
    seen = frozenset({rid})
    for c in with_this(work, rid):
        if not has_influence(work, c) or c.dependent_role in (Role.PROMOTED, Role.UNPROMOTED):
            continue
        table = merge_colocated(work, table, c.dependent, c.score / INFINITY, seen)
    return table


def member_table(work: Work, group: str, at: int) -> dict[str, int]:
    """Member `at` of `group` when its turn comes: its base, the group's colocations (first
    member) or the one with the member before it, its own colocations, the chain of what
    is colocated with it; -INFINITY everywhere when its next role is Stopped."""
    model = work.model
    members = model.resources[group].children
    rid = members[at]
    table = base_table(work, rid)
    if at == 0:
        colocations = list(work.with_of.get(group, ()))
    elif not colocated_group(model, group):
        colocations = []  # collocated=false: each member on its own
    else:
        colocations = [Colocation(f"{group}:internal", rid, members[at - 1], INFINITY,
                                  None, None, True)]
    for c in [*colocations, *work.with_of.get(rid, ())]:
        table = colocated_or_rolled_back(work, table, c, whole_group(work, c))
    table = chain_table(work, rid, table)
    if next_role_stopped(model, rid):
        table = {n: -INFINITY for n in table}
    return table


def whole_group(work: Work, c: Colocation) -> bool | str:
    """How much of a group primary a mandatory colocation needs: a group needs all its
    members; clone-to-clone colocations pair instances, so each group instance must be
    whole; a primitive with a clone of groups only needs the instances placed."""
    if c.score < INFINITY:
        return False
    if work.model.resources[c.dependent].kind == "clone":
        return "instances"
    return True


def owned_table(work: Work, rid: str) -> dict[str, int]:
    """Any resource's own table: base_table for a primitive; for a group or clone
    (instance) the locations along its path (the same rules, no stickiness)."""
    if work.model.resources[rid].kind == "primitive":
        return base_table(work, rid)
    return path_locations(work, rid)


def show_tables(work: Work, fn: str, rid: str, table: dict[str, int] | LazyTable | None,
                adjust: dict[str, int] | None = None) -> None:
    """Log `rid`'s table (its own when None), then each descendant's own table (as
    Pacemaker prints a collective's scores), each with the same per-node adjustments."""
    if table is not None:
        log_scores(work, fn, rid, table)
    else:
        log_lazy(work, fn, rid, lambda: adjusted(owned_table(work, rid), adjust))
    for child in work.model.resources[rid].children:
        if not work.model.resources[child].orphan:
            show_tables(work, fn, child, None, adjust)


def adjusted(table: dict[str, int], adjust: dict[str, int] | None) -> dict[str, int]:
    if not adjust:
        return table
    return {n: add_scores(v, adjust.get(n, 0)) for n, v in table.items()}


def instance_table(work: Work, clone: str, inst: str, adjust: dict[str, int] | None,
                   all_coloc: bool, times: int = 1) -> dict[str, int]:
    """A primitive instance when its turn comes: its own table with the turn's
    adjustments, the clone's colocations (all of them only when not every node gets an
    instance; else the mandatory and negative ones), its own, then what is colocated
    with it; -INFINITY everywhere when its next role is Stopped. `times`: the clone's
    colocations count once per turn the instance has had (an undone turn leaves them)."""
    model = work.model
    table = adjusted(base_table(work, inst), adjust)
    parent = [c for c in work.with_of.get(clone, ())
              if all_coloc or c.score < 0 or c.score >= INFINITY] * times
    for c in [*parent, *work.with_of.get(inst, ())]:
        if holds_while_placing(work, c, inst):
            after = apply_colocation(work, table, c, whole_group(work, c))
            if can_run_any(model, after) or not reverted_if_stuck(c):
                table = after
    seen = frozenset({inst, clone})
    for c in [*work.deps_of.get(inst, ()),
              *[c for c in work.deps_of.get(clone, ()) if all_coloc or c.score < 0] * times]:
        if not has_influence(work, c):
            continue
        table = merge_colocated(work, table, c.dependent, c.score / INFINITY, seen)
    if next_role_stopped(model, inst):
        table = {n: -INFINITY for n in table}
    return table
