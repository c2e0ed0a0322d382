"""Clone instance assignment (Pacemaker Explained: "Clones"): clone-max, clone-node-max,
instances kept where they run first, then the rest in instance order.

One engine: each instance's turn builds the very table `crm_simulate -s` prints for it
(tables.instance_table: its own scores, the turn's per-node limits, the clone's
colocations) and the node is chosen from that table. The turn's limits stay with the
instance: when keeping an instance where it runs is undone because another node scores
better, its second turn starts from the first one's limits and prints a second table.
promotion.py then picks the promoted instances. Must never create actions or do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hacluster.common import INFINITY, add_scores
from hacluster.scheduler.instance_order import order_instances
from hacluster.scheduler.model import Role
from hacluster.scheduler.placement import (
    choose_with_colocated,
    colocated_util,
    fits,
    group_util,
    record,
    scores_for,
)
from hacluster.scheduler.policy import blocked_from_running, unmanaged_node
from hacluster.scheduler.promotion import promote
from hacluster.scheduler.scores import (
    Work,
    apply_colocation,
    demote_failed,
    log_scores,
    primitive_scores,
    stopped_by_failure,
)
from hacluster.scheduler.tables import (
    adjusted,
    base_table,
    instance_table,
    member_table,
    promotion_preference,
    show_tables,
    whole_group,
)


@dataclass(slots=True)
class Turns:
    """The distribution of one clone's instances: per-node counts and, per instance, the
    limits its turns have added so far (they outlive an undone turn)."""

    clone: str
    table: dict[str, int]
    all_coloc: bool
    per_node: dict[str, int] = field(default_factory=dict)
    count: int = 0
    limits: dict[str, dict[str, int]] = field(default_factory=dict)
    times: dict[str, int] = field(default_factory=dict)


def assign_clone(work: Work, rid: str) -> None:
    model = work.model
    clone = model.resources[rid]
    table = scores_for(work, rid, decide=False)
    instances = [i for i in clone.children if not model.resources[i].orphan]
    if not clone.unique and any(stopped_by_failure(model, p)
                                for i in instances for p in model.primitives(i)):
        # An anonymous instance failing with on-fail=stop bans its whole clone.
        table = {n: -INFINITY for n in table}
    work.clone_tables[rid] = table
    show_tables(work, "pcmk__clone_allocate", rid, table)
    prims = model.primitives(instances[0]) if instances else ()
    # What stops one instance of an anonymous clone stops them all; a unique clone's
    # instance failing with on-fail=stop stops alone (its table reads -INFINITY).
    stopping = [blocked_from_running(model, model.primitives(i)[0])
                for i in instances if model.primitives(i)]
    stopped_all = not prims or (all(stopping) if clone.unique else any(stopping))
    available = sum(1 for n in table if model.nodes[n].can_run)
    turns = Turns(rid, table, clone.clone_max < available)
    done = place_fixed(work, rid, turns, stopped_all)
    order = order_instances(work, rid, instances, lambda i: sort_scores(work, i, table), table)
    if not stopped_all:
        loop_max = max(1, clone.clone_max // available) if available else 1
        for inst in order:
            node = current_node(work, inst)
            if inst in done or node is None or turns.count >= clone.clone_max \
                    or node not in table or failed(work, inst):
                continue
            if not may_run_on(work, turns, inst, node) or \
                    turns.per_node.get(node, 0) >= loop_max:
                continue
            if take_turn(work, turns, inst, node) != "undone":
                done.add(inst)
    for inst in order:
        if inst in done:
            continue
        if stopped_all:
            stopped_turn(work, turns, inst)
        elif turns.count >= clone.clone_max:
            limit_reached(work, turns, inst)
        else:
            take_turn(work, turns, inst, None)
    work.assigned[rid] = None
    if clone.promotable:
        promote(work, rid, table, turns.all_coloc, order, turns.times)


def place_fixed(work: Work, rid: str, turns: Turns, stopped_all: bool) -> set[str]:
    """Orphans go nowhere. When the clone may not run at all, unmanaged instances stay
    where they are (and count there); otherwise they stay at their turn (decide)."""
    model = work.model
    done: set[str] = set()
    for inst in model.resources[rid].children:
        prims = model.primitives(inst)
        frozen, here = unmanaged_node(model, prims[0]) if prims else (False, None)
        if frozen and stopped_all or model.resources[inst].orphan:
            place_instance(work, inst, here if frozen else None, {})
            done.add(inst)
            if frozen and here:
                turns.per_node[here] = turns.per_node.get(here, 0) + 1
                turns.count += 1
    return done


def stopped_turn(work: Work, turns: Turns, inst: str) -> None:
    """The turn of an instance of a clone that may not run at all: Pacemaker still
    assigns each instance, printing its tables, -INFINITY where it is assigned."""
    model = work.model
    limits = instance_limits(work, turns, inst)
    rsc = model.resources[inst]
    if rsc.kind == "primitive":
        table = instance_table(work, turns.clone, inst, limits, turns.all_coloc)
        log_scores(work, "pcmk__primitive_assign", inst, dict.fromkeys(table, -INFINITY))
    else:
        show_tables(work, "pcmk__group_assign", inst, None, limits)
        for at, member in enumerate(rsc.children):
            table = member_table(work, inst, at)
            log_scores(work, "pcmk__primitive_assign", member,
                       dict.fromkeys(table, -INFINITY))
    place_instance(work, inst, None, {})


def failed(work: Work, inst: str) -> bool:
    return any((st := work.model.states.get(p)) is not None
               and (st.failed_nodes or demote_failed(st)) for p in work.model.primitives(inst))


def may_run_on(work: Work, turns: Turns, inst: str, node: str) -> bool:
    """Whether `node` has room for one more instance; if not, the instance's scores
    keep -INFINITY there (its later turns start from that)."""
    model = work.model
    node_max = model.resources[turns.clone].clone_node_max
    if model.nodes[node].can_run and turns.table.get(node, -1) >= 0 and \
            turns.per_node.get(node, 0) < node_max:
        return True
    limits = turns.limits.setdefault(inst, {})
    limits[node] = -INFINITY
    return False


def instance_limits(work: Work, turns: Turns, inst: str) -> dict[str, int]:
    """What a turn adds to the instance's scores (Explained: clone-node-max): -INFINITY
    where the node cannot run resources or already holds clone-node-max instances, the
    clone's own score where that is negative; added to what earlier turns added."""
    model = work.model
    node_max = model.resources[turns.clone].clone_node_max
    limits = dict(turns.limits.get(inst, {}))
    for node in own_nodes(work, inst):
        if not model.nodes[node].can_run or node not in turns.table:
            add = -INFINITY
        elif turns.table[node] < 0:
            add = -INFINITY  # the parent does not allow it there (Pacemaker: can_run_instance)
        elif turns.per_node.get(node, 0) >= node_max:
            add = -INFINITY
        else:
            continue
        limits[node] = add_scores(limits.get(node, 0), add)
    turns.limits[inst] = limits
    return limits


def own_nodes(work: Work, inst: str) -> list[str]:
    """The nodes in the instance's own table (every node of a symmetric cluster)."""
    prims = work.model.primitives(inst)
    return sorted(base_table(work, prims[0])) if prims else []


UNDONE = "undone"


def take_turn(work: Work, turns: Turns, inst: str, prefer: str | None) -> str:
    """One turn of `inst`: keep it on `prefer` (its current node) if nothing scores
    better, or (prefer None) place it on the best node of its table. "placed",
    "stopped" (no node can take it) or "undone" (kept nowhere yet: another node is
    better than `prefer`, or its own scores forbid `prefer`)."""
    model = work.model
    turns.times[inst] = turns.times.get(inst, 0) + 1
    if prefer is not None:
        own = adjusted(base_table(work, model.primitives(inst)[0]), turns.limits.get(inst))
        if own.get(prefer, -INFINITY) < 0:
            return UNDONE  # not even tried: its own scores forbid its node
    limits = instance_limits(work, turns, inst)
    if model.resources[inst].kind == "primitive":
        table = instance_table(work, turns.clone, inst, limits, turns.all_coloc,
                               turns.times[inst])
        log_scores(work, "pcmk__primitive_assign", inst, table)
        node = decide(work, turns, inst, table, prefer)
        if node == UNDONE:
            return UNDONE
        place_instance(work, inst, node, {inst: table})
    else:
        node = group_turn(work, turns, inst, limits, prefer)
        if node == UNDONE:
            return UNDONE
    if node is None:
        return "stopped"
    turns.per_node[node] = turns.per_node.get(node, 0) + 1
    turns.count += 1
    return "placed"


def decide(work: Work, turns: Turns, inst: str, table: dict[str, int],
           prefer: str | None) -> str | None:
    """The best node of the instance's table (among equals the one it runs on); with
    `prefer`, that node or UNDONE when another node scores better."""
    model = work.model
    prims = model.primitives(inst)
    frozen, here = unmanaged_node(model, prims[0]) if prims else (False, None)
    if frozen:
        return here  # an unmanaged instance stays where it is, whatever its scores
    current = () if model.resources[turns.clone].unique else current_nodes(work, inst)
    util = group_util(model, inst)
    need = colocated_util(work, turns.clone, dict(util), {turns.clone, inst})
    node = choose_with_colocated(work, table, current, need, util)
    if node is not None and prefer is not None:
        # Nodes without room count as -INFINITY here (Explained: utilization).
        room = {n: v if fits(work, n, util) else -INFINITY for n, v in table.items()}
        return prefer if preferred(work, room, prefer) is not None else UNDONE
    return node


def group_turn(work: Work, turns: Turns, inst: str, limits: dict[str, int],
               prefer: str | None) -> str | None:
    """A cloned group's turn: its first member's table decides; each member after it
    follows while its own table allows the node."""
    model = work.model
    show_tables(work, "pcmk__group_assign", inst, None, limits)
    members = model.resources[inst].children
    first = adjusted(member_table(work, inst, 0), limits)
    # The clone's own colocations (as for a primitive instance: all of them only when
    # not every node gets an instance) hold for the group's first member.
    for c in work.with_of.get(turns.clone, ()):
        if (turns.all_coloc or c.score < 0 or c.score >= INFINITY) and \
                c.dependent_role not in (Role.PROMOTED, Role.UNPROMOTED):
            first = apply_colocation(work, first, c, whole_group(work, c))
    node = decide(work, turns, inst, first, prefer)
    if node == UNDONE:
        for at, member in enumerate(members):
            log_scores(work, "pcmk__primitive_assign", member,
                       first if at == 0 else adjusted(member_table(work, inst, at), limits))
        return UNDONE
    work.assigned[inst] = node
    ok = node is not None
    for at, member in enumerate(members):
        table = first if at == 0 else adjusted(member_table(work, inst, at), limits)
        log_scores(work, "pcmk__primitive_assign", member, table)
        ok = ok and table.get(node or "", -INFINITY) >= 0 and \
            not blocked_from_running(model, member)
        record(work, member, node if ok else None,
               model.resources[member].utilization if ok else {})
        if ok and node is not None:
            work.chosen[member] = table.get(node, 0)
    return node


def preferred(work: Work, table: Mapping[str, int], prefer: str) -> str | None:
    """`prefer` when it scores at least as well as every node that can run resources."""
    model = work.model
    best = max((v for n, v in table.items() if model.nodes[n].can_run), default=-INFINITY)
    here = table.get(prefer, -INFINITY)
    if here < 0 or here < best or not model.nodes[prefer].can_run:
        return None
    return prefer


def limit_reached(work: Work, turns: Turns, inst: str) -> None:
    """clone-max instances are placed: this one stays stopped, -INFINITY everywhere."""
    model = work.model
    turns.limits[inst] = {n: -INFINITY for n in own_nodes(work, inst)}
    if model.resources[inst].kind == "primitive":
        log_scores(work, "pcmk__primitive_assign", inst,
                   {n: -INFINITY for n in base_table(work, inst)})
    else:
        show_tables(work, "pcmk__group_assign", inst, None, turns.limits[inst])
        for at, member in enumerate(model.resources[inst].children):
            table = adjusted(member_table(work, inst, at), turns.limits[inst])
            log_scores(work, "pcmk__primitive_assign", member, table)
    prims = model.primitives(inst)
    frozen, here = unmanaged_node(model, prims[0]) if prims else (False, None)
    place_instance(work, inst, here if frozen else None, {})  # unmanaged: stays anyway


def place_instance(work: Work, inst: str, node: str | None,
                   tables: Mapping[str, Mapping[str, int]]) -> None:
    """Record `inst` on `node`; a cloned group's members follow while they may."""
    model = work.model
    rsc = model.resources[inst]
    if rsc.kind == "primitive":
        record(work, inst, node, rsc.utilization if node else {})
        if node is not None:
            # An unmanaged instance is kept on its node, not chosen by score: it is
            # placed with that node's own weight, 0 (Pacemaker 2.1.5).
            frozen = unmanaged_node(model, inst)[0]
            work.chosen[inst] = 0 if frozen else tables.get(inst, {}).get(node, 0)
        return
    work.assigned[inst] = node
    ok = node is not None
    for m in rsc.children:
        own = tables.get(m) or primitive_scores(work, m)
        ok = ok and own.get(node or "", -INFINITY) >= 0 and not blocked_from_running(model, m)
        record(work, m, node if ok else None, model.resources[m].utilization if ok else {})
        if ok and node is not None:
            work.chosen[m] = own.get(node, 0)


def current_nodes(work: Work, inst: str) -> tuple[str, ...]:
    node = current_node(work, inst)
    return (node,) if node is not None else ()


def current_node(work: Work, inst: str) -> str | None:
    """Where the instance is active now and may stay (a failed instance is recovered in
    place unless its node lost it for good)."""
    for prim in work.model.primitives(inst):
        state = work.model.states.get(prim)
        if state and state.running_on:
            node = state.running_on[0]
            if node in state.failed_nodes and (node in state.banned_nodes
                                              or state.on_fail.get(node) not in (None, "restart")):
                return None
            return node
    return None


def sort_scores(work: Work, inst: str, table: dict[str, int]) -> dict[str, int]:
    """The clone's scores plus the instance's stickiness, bans and promotion preference."""
    scores = dict(table)
    for prim in work.model.primitives(inst):
        for node, value in primitive_scores(work, prim, False).items():
            if node in scores:
                scores[node] = add_scores(scores[node], value)
    for node, value in promotion_preference(work, inst, table).items():
        if node in scores:
            scores[node] = add_scores(scores[node], value)
    return scores
