"""Orderings between actions (implicit per resource, groups, clones, rsc_order constraints
and sets) as edges, and the ordering stage that spreads 'mandatory' and 'unrunnable' along
them (propagation.py).

Owns Pacemaker Explained's ordering semantics (kind Mandatory/Optional/Serialize,
symmetrical, first-action/then-action, require-all, interleave); this is what makes
"due to unrunnable X start" and "(blocked)". Must never place resources or do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacluster.common import is_true
from hacluster.scheduler.actions import Action, Actions, Key, Plan
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.edges import (
    ASYMMETRICAL,
    CLONE_GROWS,
    COLLECTIVE_DONE,
    IMPLIES_FIRST,
    IMPLIES_THEN,
    INVERSE,
    ONE_OR_MORE,
    RESTART,
    STOP_AFTER_STOP,
    THEN_RUNNABLE,
    Edge,
    link,
)
from hacluster.scheduler.interleave import (
    INHIBITED,
    inhibited_instances,
    inhibiting,
    pair_elsewhere,
)
from hacluster.scheduler.model import ClusterModel, Order
from hacluster.scheduler.policy import is_managed
from hacluster.scheduler.propagation import (
    block_unrunnable_primaries,
    enforce_colocations,
    instance_edges,
    propagate,
    settle_migrations,
    stop_anyway,
)

__all__ = ["Edge", "Ordered", "order_actions"]


@dataclass(frozen=True, slots=True)
class Ordered:
    """The ordering stage's result: the actions with their final optional/runnable flags
    and reasons (a new value; the actions stage's result is left as it was) and the
    edges between them."""

    actions: Actions
    edges: tuple[Edge, ...]


def order_actions(model: ClusterModel, asg: Assignment, created: Actions) -> Ordered:
    """Edges of every implicit and configured ordering, and what they imply: 'mandatory'
    and 'unrunnable' spread along them until nothing changes (on a private copy)."""
    plan = Plan.thaw(created)
    edges: list[Edge] = []
    for rid, rsc in model.resources.items():
        if rsc.kind == "primitive":
            edges.extend(primitive_edges(plan, rid))
            edges.extend(fencing_edges(model, plan, rid))
        elif rsc.kind == "group":
            edges.extend(group_edges(model, plan, rid))
        else:
            edges.extend(clone_edges(model, plan, rid))
    for order in model.orders:
        edges.extend(constraint_edges(model, asg, plan, order))
    migrating = tuple(a.rsc for a in plan.find_task("migrate_to"))
    # Pacemaker blocks what is colocated with a start unrunnable from the outset before it
    # follows any ordering: such a dependent names the colocation as its reason.
    while block_unrunnable_primaries(model, plan):
        pass
    blocked = born_blocked(model, plan)
    propagate(model, plan, edges, migrating)
    while enforce_colocations(model, asg, plan, created):
        propagate(model, plan, edges, migrating)
    for key in blocked:
        if plan.actions[key].optional:
            plan.update(plan.actions[key], optional=False)
    settle_migrations(plan, migrating, final=True)
    edges.extend(instance_edges(model, plan, edges))
    return Ordered(plan.freeze(), tuple(edges))


def born_blocked(model: ClusterModel, plan: Plan) -> list[Key]:
    """Starts of a primitive not active on their node that cannot run from the outset:
    Pacemaker leaves such a start optional (it requires only a runnable start), so it
    requires nothing of what is ordered after it; it is marked optional while the
    orderings are followed and required again after (the summary still shows it)."""
    out: list[Key] = []
    for a in plan.find_task("start"):
        state = model.states.get(a.rsc or "")
        if a.runnable or a.pseudo or a.node is None or a.optional or a.rsc is None \
                or model.resources[a.rsc].kind != "primitive" \
                or (state is not None and a.node in state.roles):
            continue
        plan.update(a, optional=True)
        out.append(a.key)
    return out


def primitive_edges(plan: Plan, rid: str) -> list[Edge]:
    edges: list[Edge] = []
    stops, starts = plan.find(rid, "stop"), plan.find(rid, "start")
    for stop in stops:
        for start in starts:
            flags = {IMPLIES_THEN, THEN_RUNNABLE}
            if stop.node == start.node:
                flags.add(RESTART)
            link(edges, [stop], [start], flags)
    link(edges, plan.find(rid, "demote"), stops, {IMPLIES_FIRST})
    link(edges, starts, plan.find(rid, "promote"), {THEN_RUNNABLE})
    # A live migration: migrate_to, then migrate_from, then the stop and the start.
    link(edges, plan.find(rid, "migrate_to"), plan.find(rid, "migrate_from"), set())
    link(edges, plan.find(rid, "migrate_from"), stops + starts, set())
    for stop in stops:
        if stop.node in plan.fenced:
            link(edges, [plan.actions[(None, "stonith", stop.node)]], [stop], {THEN_RUNNABLE})
    return edges


def fencing_edges(model: ClusterModel, plan: Plan, rid: str) -> list[Edge]:
    """Every fencing comes before the starts and promotes of a managed primitive that
    requires fencing (its default with stonith-enabled, fence devices aside), as Pacemaker
    orders them even where the resource has no history: until the node is fenced, what it
    ran when it was lost (a start whose result never came back) may still run there."""
    if not plan.fenced or not model.stonith_enabled or not is_managed(model, rid):
        return []
    default = "quorum" if model.resources[rid].is_fencing else "fencing"
    if model.meta(rid, "requires", default).strip().lower() not in ("fencing", "unfencing"):
        return []
    edges: list[Edge] = []
    fences = [plan.actions[(None, "stonith", node)] for node in sorted(plan.fenced)]
    link(edges, fences, plan.find(rid, "start") + plan.find(rid, "promote"), set())
    return edges


def members_actions(model: ClusterModel, plan: Plan, rid: str, task: str) -> list[Action]:
    out: list[Action] = []
    for child in model.resources[rid].children:
        if model.resources[child].kind == "primitive":
            out.extend(plan.find(child, task))
        else:
            out.extend(plan.find(child, task))
    return out


def group_edges(model: ClusterModel, plan: Plan, rid: str) -> list[Edge]:
    edges: list[Edge] = []
    members = model.resources[rid].children
    g = {t: plan.find(rid, t) for t in ("start", "running", "stop", "stopped")}
    for m in members:
        link(edges, g["start"], plan.find(m, "start"), {THEN_RUNNABLE, IMPLIES_THEN})
        link(edges, plan.find(m, "start"), g["running"], set())
        link(edges, g["stop"], plan.find(m, "stop"), set())
        link(edges, plan.find(m, "stop"), g["stopped"], set())
    for a, b in zip(members, members[1:], strict=False):
        link(edges, plan.find(a, "start"), plan.find(b, "start"),
             {IMPLIES_THEN, THEN_RUNNABLE}, reason=True)
        link(edges, plan.find(b, "stop"), plan.find(a, "stop"), {IMPLIES_FIRST, THEN_RUNNABLE})
    return edges


def clone_edges(model: ClusterModel, plan: Plan, rid: str) -> list[Edge]:
    edges: list[Edge] = []
    clone = model.resources[rid]
    pairs = [("start", "running"), ("stop", "stopped")]
    if clone.promotable:
        pairs += [("promote", "promoted"), ("demote", "demoted")]
    for before, after in pairs:
        for inst in clone.children:
            link(edges, plan.find(rid, before), plan.find(inst, before) if
                 model.resources[inst].kind != "primitive" else plan.find(inst, before),
                 {THEN_RUNNABLE} if before in ("start", "promote") else set())
            link(edges, plan.find(inst, after) if model.resources[inst].kind != "primitive"
                 else plan.find(inst, before), plan.find(rid, after), set())
    if clone.promotable:
        link(edges, plan.find(rid, "running"), plan.find(rid, "promote"), set())
        link(edges, plan.find(rid, "demoted"), plan.find(rid, "stop"), set())
    return edges


def endpoint(model: ClusterModel, plan: Plan, rid: str, task: str, as_first: bool
             ) -> list[Action]:
    """The actions standing for `rid`'s `task` in an ordering."""
    rsc = model.resources[rid]
    if rsc.kind != "primitive":
        if as_first:
            task = COLLECTIVE_DONE.get(task, task)
        return plan.find(rid, task)
    found = plan.find(rid, task)
    if found:
        return found
    runnable = task not in ("start", "promote")
    return [plan.add(Action(rid, task, None, True, runnable=runnable, pseudo=True))]


def constraint_edges(model: ClusterModel, asg: Assignment, plan: Plan,
                     order: Order) -> list[Edge]:
    edges: list[Edge] = []
    flags: set[str] = set()
    if order.kind == "Mandatory":
        # An asymmetrical order only keeps 'then' from running without 'first'.
        flags.add(IMPLIES_THEN if order.symmetrical else ASYMMETRICAL)
        if order.first_action in ("start", "promote"):
            flags.add(THEN_RUNNABLE)
    restart_type = model.meta(order.then, "restart-type", "ignore") == "restart"
    if order.kind == "Optional" and restart_type:
        flags.add(IMPLIES_THEN)  # the legacy restart-type=restart upgrades optional orders
    first_rsc, then_rsc = model.resources[order.first], model.resources[order.then]
    clone_min = int(model.meta(order.first, "clone-min", "0") or 0) \
        if first_rsc.kind == "clone" else 0
    if clone_min > 0 and order.kind == "Mandatory" and order.require_all:
        edges.extend(clone_min_edges(model, plan, order, flags, clone_min))
        if order.symmetrical:
            inverse = Order(order.id, order.then, INVERSE.get(order.then_action, "stop"),
                            order.first, INVERSE.get(order.first_action, "stop"), "Optional",
                            False)
            edges.extend(constraint_edges(model, asg, plan, inverse))
        return edges
    if not order.require_all:
        return one_or_more_edges(model, plan, order, flags)
    interleave = (first_rsc.kind == "clone" and then_rsc.kind == "clone"
                  and is_true(model.meta(order.then, "interleave", "false")))
    if interleave:
        edges.extend(interleaved(model, asg, plan, order, flags))
    else:
        grows = flags | {CLONE_GROWS} if (
            first_rsc.kind == "clone" and then_rsc.kind == "clone"
            and order.kind == "Mandatory" and order.first_action == "start") else flags
        link(edges, endpoint(model, plan, order.first, order.first_action, True),
             endpoint(model, plan, order.then, order.then_action, False), grows, reason=True)
    if order.symmetrical and order.kind != "Serialize":
        inv_flags = {IMPLIES_FIRST} if order.kind == "Mandatory" or restart_type else set()
        first_inv = INVERSE.get(order.then_action, order.then_action)
        then_inv = INVERSE.get(order.first_action, order.first_action)
        if order.kind == "Mandatory" and first_inv == then_inv == "stop":
            inv_flags.add(STOP_AFTER_STOP)
        if interleave:
            inverse = Order(order.id, order.then, first_inv, order.first, then_inv, "Optional",
                            False)
            edges.extend(interleaved(model, asg, plan, inverse, inv_flags))
        else:
            link(edges, endpoint(model, plan, order.then, first_inv, True),
                 endpoint(model, plan, order.first, then_inv, False), inv_flags)
    return edges


def interleaved(model: ClusterModel, asg: Assignment, plan: Plan, order: Order,
                flags: set[str]) -> list[Edge]:
    """Clone-to-clone orderings with interleave: instance on the same node only; an
    inhibited instance (interleave.py) cannot start, nor be the first of another."""
    edges: list[Edge] = []
    firsts = model.resources[order.first].children
    inhibited = inhibited_instances(model, asg)
    for inst in model.resources[order.then].children:
        node = asg.nodes.get(inst) or running_node(model, inst)
        match = [f for f in firsts if f not in inhibited
                 and (asg.nodes.get(f) or running_node(model, f)) == node]
        thens = instance_actions(model, plan, inst, order.then_action, False)
        if inst in inhibited and inhibiting(model, order):
            for t in thens:
                if t.runnable:
                    stop_anyway(model, plan, plan.update(t, runnable=False, reason=INHIBITED))
            stop_reason(model, asg, plan, order, inst, inhibited)
            continue
        if not match:
            if THEN_RUNNABLE in flags:
                done = COLLECTIVE_DONE.get(order.first_action, order.first_action)
                for t in thens:
                    if t.runnable and not t.optional:
                        plan.update(t, runnable=False,
                                    reason=t.reason or f"unrunnable {order.first} {done}")
            continue
        link(edges, instance_actions(model, plan, match[0], order.first_action, True), thens,
             flags, reason=True)
    return edges


def stop_reason(model: ClusterModel, asg: Assignment, plan: Plan, order: Order, inst: str,
                inhibited: frozenset[str]) -> None:
    """An inhibited instance stopping where it runs: its stop is due to the start of the
    'first' instance it pairs with: the one placed on its own node (even one inhibited
    in turn: Pacemaker pairs them before it takes that one off), else the one elsewhere
    (interleave.pair_elsewhere). A start that must happen requires it, one that cannot
    run leaves it unrunnable."""
    node = asg.nodes.get(inst)
    pair = next((f for f in model.resources[order.first].children
                 if node is not None and asg.nodes.get(f) == node), None)
    if pair is None:
        pair = pair_elsewhere(model, asg, order, inst, inhibited)
    if pair is None:
        return
    where = asg.nodes.get(pair)
    starts = [a for a in instance_actions(model, plan, pair, "start", True)
              if a.rsc is not None and not a.pseudo and a.node == where]
    if any(not a.optional for a in starts):
        reason = f"required {pair} start"
    elif any(not a.runnable for a in starts):
        reason = f"unrunnable {pair} start"
    else:
        return
    for prim in model.primitives(inst):
        for stop in plan.find(prim, "stop"):
            if stop.runnable and not stop.optional and not stop.reason:
                plan.update(stop, reason=reason)


def running_node(model: ClusterModel, inst: str) -> str | None:
    for prim in model.primitives(inst):
        state = model.states.get(prim)
        if state and state.running_on:
            return state.running_on[0]
    return None


def instance_actions(model: ClusterModel, plan: Plan, inst: str, task: str,
                     as_first: bool) -> list[Action]:
    if model.resources[inst].kind == "primitive":
        return endpoint(model, plan, inst, task, as_first)
    return endpoint(model, plan, inst, task, as_first)


def clone_min_edges(model: ClusterModel, plan: Plan, order: Order, flags: set[str],
                    minimum: int) -> list[Edge]:
    """'then' needs at least clone-min instances of the first clone (Explained: clone-min)."""
    edges: list[Edge] = []
    pseudo = plan.add(Action(f"clone-one-or-more:{order.id}", "one-or-more", None, True,
                             pseudo=True))
    staying = 0
    for inst in model.resources[order.first].children:
        prims = model.primitives(inst)
        starts = [a for p in prims for a in plan.find(p, order.first_action) if a.node]
        if starts and all(a.optional for a in starts):
            staying += 1
            continue
        link(edges, starts, [pseudo], {ONE_OR_MORE})
    plan.needed[pseudo.key] = (minimum, staying)
    link(edges, [pseudo], endpoint(model, plan, order.then, order.then_action, False), flags)
    return edges


def one_or_more_edges(model: ClusterModel, plan: Plan, order: Order,
                      flags: set[str]) -> list[Edge]:
    edges: list[Edge] = []
    # Between sets: "one-or-more:<first set>"; a plain order from a clone with
    # require-all=false: the clone-min=1 pseudo action, "clone-one-or-more:<order>".
    name = f"{'' if order.from_sets else 'clone-'}one-or-more:{order.id}"
    pseudo = plan.add(Action(name, "one-or-more", None, True, pseudo=True))
    for first in order.first_set:
        link(edges, endpoint(model, plan, first, order.first_action, True), [pseudo],
             {ONE_OR_MORE})
    link(edges, [pseudo], endpoint(model, plan, order.then, order.then_action, False), flags,
         reason=True)
    return edges


