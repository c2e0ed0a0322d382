"""Orderings between actions (implicit per resource, groups, clones, rsc_order constraints
and sets) and the propagation of 'mandatory' and 'unrunnable' along them.

Owns Pacemaker Explained's ordering semantics (kind Mandatory/Optional/Serialize,
symmetrical, first-action/then-action, require-all, interleave); this is what makes
"due to unrunnable X start" and "(blocked)". Must never place resources or do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from hacluster.common import INFINITY, is_true
from hacluster.scheduler.actions import Action, Actions, Key, Plan
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.interleave import INHIBITED, inhibited_instances, inhibiting
from hacluster.scheduler.model import ClusterModel, Order
from hacluster.scheduler.policy import is_managed

THEN_RUNNABLE = "runnable_left"
IMPLIES_THEN = "implies_then"
IMPLIES_FIRST = "implies_first"
RESTART = "restart"
ONE_OR_MORE = "one_or_more"
ASYMMETRICAL = "asymmetrical"  # then is required only by a first that can also run
# clone -> clone without interleave: a first clone that starts any new instance counts as
# changed for what follows it (observed of Pacemaker 2.1.5: its instances restart), even
# though a clone that merely grows requires nothing of other resources.
CLONE_GROWS = "clone_grows"
COLLECTIVE_DONE = MappingProxyType({"start": "running", "stop": "stopped", "promote": "promoted",
                   "demote": "demoted"})
INVERSE = MappingProxyType({"start": "stop", "stop": "start", "promote": "demote", "demote": "promote",
           "running": "stopped", "stopped": "running", "promoted": "demoted",
           "demoted": "promoted"})


@dataclass(frozen=True, slots=True)
class Edge:
    first: tuple[str | None, str, str | None]
    then: tuple[str | None, str, str | None]
    flags: frozenset[str]
    reason: bool = False


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
        elif rsc.kind == "group":
            edges.extend(group_edges(model, plan, rid))
        else:
            edges.extend(clone_edges(model, plan, rid))
    for order in model.orders:
        edges.extend(constraint_edges(model, asg, plan, order))
    migrating = tuple(a.rsc for a in plan.find_task("migrate_to"))
    propagate(model, plan, edges, migrating)
    while enforce_colocations(model, asg, plan):
        propagate(model, plan, edges, migrating)
    settle_migrations(plan, migrating, final=True)
    return Ordered(plan.freeze(), tuple(edges))


def settle_migrations(plan: Plan, migrating: tuple[str | None, ...], final: bool = False
                      ) -> bool:
    """A migration needs both its stop and its start: when an ordering took the offer
    back from one, the other loses it too. `final`: a migration still offered happens
    (its start is pseudo: migrate_from starts it); a withdrawn one leaves a plain move."""
    changed = False
    for rid in migrating:
        mig = plan.find(rid, "migrate_to")[0]
        stops = [a for a in plan.find(rid, "stop") if a.node == mig.node]
        starts = [a for a in plan.find(rid, "start") if a.node is not None]
        parts = stops + starts + plan.find(rid, "migrate_from") + [mig]
        keep = all(a.migrate and a.runnable for a in stops + starts) and bool(stops)
        for action in parts:
            if action.migrate and not keep:
                plan.update(action, migrate=False)
                changed = True
        if final:
            for action in parts:
                if action.task.startswith("migrate_"):
                    plan.update(action, optional=not keep, runnable=keep)
                elif keep and action.task == "start":
                    plan.update(action, pseudo=True)
    return changed


def enforce_colocations(model: ClusterModel, asg: Assignment, plan: Plan) -> bool:
    """A mandatory colocation's dependent cannot start where its primary is blocked."""
    changed = False
    for c in model.colocations:
        if c.score < INFINITY or model.resources[c.primary].kind != "primitive":
            continue
        node = asg.nodes.get(c.primary)
        blocked = [a for a in plan.find(c.primary, "start") if a.node == node and not a.runnable]
        if node is None or not blocked:
            continue
        for dep in model.primitives(c.dependent):
            for start in plan.find(dep, "start"):
                if start.node == node and start.runnable:
                    plan.update(start, runnable=False, optional=False,
                                reason=start.reason or f"colocation with {c.primary}")
                    changed = True
    return changed


def link(edges: list[Edge], firsts: list[Action], thens: list[Action], flags: set[str],
         reason: bool = False) -> None:
    frozen = frozenset(flags)
    for f in firsts:
        for t in thens:
            if f is not t:
                edges.append(Edge(f.key, t.key, frozen, reason))


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
    name = f"one-or-more:{order.id}"
    if any(model.resources[r].kind == "clone" for r in order.first_set):
        name = f"clone-one-or-more:{order.id}"
    pseudo = plan.add(Action(name, "one-or-more", None, True, pseudo=True))
    for first in order.first_set:
        link(edges, endpoint(model, plan, first, order.first_action, True), [pseudo],
             {ONE_OR_MORE})
    link(edges, [pseudo], endpoint(model, plan, order.then, order.then_action, False), flags,
         reason=True)
    return edges


def action_name(action: Action) -> str:
    if action.task == "one-or-more":
        return str(action.rsc)
    return f"{action.rsc} {action.task}"


def propagate(model: ClusterModel, plan: Plan, edges: list[Edge],
              migrating: tuple[str | None, ...] = ()) -> None:
    """Spread 'mandatory' and 'unrunnable' along edges until nothing changes."""
    inbound_one: dict[Key, list[Key]] = {key: [] for key in plan.needed}
    for e in edges:
        if ONE_OR_MORE in e.flags:
            inbound_one.setdefault(e.then, []).append(e.first)
    changed = True
    while changed:
        changed = False
        for e in edges:
            changed |= follow(model, plan, e)
        changed |= update_collectives(model, plan, inbound_one)
        changed |= settle_migrations(plan, migrating)


def follow(model: ClusterModel, plan: Plan, e: Edge) -> bool:
    """What one edge implies now (stored as new action values); whether anything changed."""
    changed = False
    f, t = plan.actions[e.first], plan.actions[e.then]
    first_changes = not f.optional or (CLONE_GROWS in e.flags and f.rsc is not None and any(
        not a.optional and a.node is not None
        for p in model.primitives(f.rsc) for a in plan.find(p, "start")))
    # A first that is migrating requires nothing of what follows it (Pacemaker: a
    # migrate-runnable first does not imply its then).
    if IMPLIES_THEN in e.flags and first_changes and not f.migrate and (
            f.runnable or ASYMMETRICAL not in e.flags) and (
            t.optional or restart_without_reason(model, e, t)):
        if e.reason and not t.reason and f.rsc is not None and (
                f.runnable or is_restart(model, t)):
            t = plan.update(t, reason=f"required {action_name(f)}")
        changed = t.optional
        t = plan.update(t, optional=False)
        push_to_members(model, plan, t)
        t = plan.actions[t.key]
    if THEN_RUNNABLE in e.flags and not f.runnable and t.runnable and not (
            ASYMMETRICAL in e.flags and runs_there(model, t)):
        # a blocked own stop gives no reason
        reason = t.reason if t.reason or f.rsc == t.rsc else inherited_reason(f)
        t = plan.update(t, runnable=False, reason=reason, migrate=False)
        changed = True
        if ASYMMETRICAL not in e.flags and f.rsc != t.rsc and t.rsc is not None \
                and f.rsc != model.resources[t.rsc].parent:
            stop_anyway(model, plan, t)
    if IMPLIES_FIRST in e.flags and not t.optional and f.migrate and not t.migrate \
            and f.rsc != t.rsc:
        # What must happen first cannot wait for a migration: no migration then.
        f = plan.update(f, migrate=False, reason=f"unrunnable {action_name(t)}")
        changed = True
    if IMPLIES_FIRST in e.flags and not t.optional and f.optional and not t.migrate:
        f = plan.update(f, optional=False)
        changed = True
        push_to_members(model, plan, f)
        f = plan.actions[f.key]
    if RESTART in e.flags and f.optional and restart_needs_stop(model, f, t):
        plan.update(f, optional=False)
        changed = True
    return changed


def runs_there(model: ClusterModel, action: Action) -> bool:
    """The action's resource already runs on the action's node: an asymmetrical order
    does not make it stop for a first that cannot run."""
    state = model.states.get(action.rsc or "")
    return state is not None and action.node in state.roles


def restart_needs_stop(model: ClusterModel, stop: Action, start: Action) -> bool:
    """A restart needs its stop when the start is required."""
    return not start.optional and start.runnable


def stop_anyway(model: ClusterModel, plan: Plan, start: Action) -> None:
    """A managed primitive that stays up only by its (optional) start, which an ordering
    made unrunnable, stops all the same (Pacemaker: "if a resource should restart but
    can't start, we still want to stop")."""
    rid = start.rsc
    if rid is None or not start.optional or model.resources[rid].kind != "primitive" \
            or not is_managed(model, rid):
        return
    for stop in plan.find(rid, "stop"):
        if stop.node == start.node and stop.optional and stop.runnable:
            plan.update(stop, optional=False)


def inherited_reason(first: Action) -> str:
    if first.pseudo and first.task in ("start", "stop", "promote", "demote") and first.reason \
            and first.node is None:
        return first.reason
    return f"unrunnable {action_name(first)}"


def update_collectives(model: ClusterModel, plan: Plan,
                       inbound_one: dict[Key, list[Key]]) -> bool:
    changed = False
    for key, firsts in inbound_one.items():
        action = plan.actions[key]
        minimum, staying = plan.needed.get(key, (1, 0))
        if action.runnable and staying + sum(plan.actions[f].runnable for f in firsts) \
                < minimum:
            # Too few instances: what depends on them must stop, not merely wait.
            plan.update(action, runnable=False,
                        optional=action.optional and key not in plan.needed)
            changed = True
    for rid, rsc in model.resources.items():
        if rsc.kind == "primitive":
            continue
        prims = model.primitives(rid)
        pairs = (("start", "running"), ("stop", "stopped"), ("promote", "promoted"),
                 ("demote", "demoted"))
        for before, after in pairs:
            kids = [a for p in prims for a in plan.find(p, before) if a.node is not None]
            done = plan.find(rid, after)
            if not done:
                continue
            if before == "start" and rsc.kind == "group":
                for head in plan.find(rid, "start"):
                    if not head.optional and head.reason:
                        push_to_members(model, plan, head)
                kids = [a for p in prims for a in plan.find(p, before) if a.node is not None]
            if any(not a.optional for a in kids) and not (
                    after == "running" and rsc.kind == "clone"
                    and clone_stays_up(model, plan, prims)):
                # A clone already up that merely adds instances requires nothing new.
                for act in done:
                    if act.optional:
                        plan.update(act, optional=False)
                        changed = True
            if before in ("stop", "demote") and kids and all(not a.optional for a in kids):
                # Only a collective that stops entirely forces what was ordered after it.
                for act in plan.find(rid, before):
                    if act.optional:
                        plan.update(act, optional=False)
                        changed = True
            done = plan.find(rid, after)
            if after == "running" and done[0].runnable and not collective_can_run(
                    model, plan, rid, prims, kids):
                plan.update(done[0], runnable=False)
                changed = True
    return changed


def collective_can_run(model: ClusterModel, plan: Plan, rid: str, prims: tuple[str, ...],
                       starts: list[Action]) -> bool:
    """A group runs only if every member can; a clone if any instance can."""
    rsc = model.resources[rid]
    kids = [model.resources[c] for c in rsc.children]
    if rsc.kind == "group":
        return all(member_can_run(model, plan, m.id) for m in kids)
    if kids and kids[0].kind == "group":
        return any(a.runnable for k in kids for a in plan.find(k.id, "running"))
    if any(a.runnable for a in starts):
        return True
    for p in prims:
        state = model.states.get(p)
        if not state or not state.running_on:
            continue
        stops = [s for s in plan.find(p, "stop") if not s.optional]
        if not stops:
            return True
    return False


def push_to_members(model: ClusterModel, plan: Plan, action: Action) -> None:
    """A collective's 'stopped'/'demoted' made mandatory means its members must act."""
    tasks = {"stopped": "stop", "demoted": "demote", "start": "start", "promote": "promote"}
    rid = action.rsc
    if action.node is not None or action.task not in tasks or rid is None \
            or rid not in model.resources or model.resources[rid].kind == "primitive":
        return
    group = model.resources[rid].kind == "group"
    previous: str | None = None
    for prim in model.primitives(rid):
        reason = action.reason
        if group and action.task == "start" and previous is not None:
            # Pacemaker settles a member's orderings as soon as its start is required:
            # the next member learns it from the one before it (its start is ordered
            # after that one's), not from the group.
            reason = f"required {previous} start"
        for act in plan.find(prim, tasks[action.task]):
            if act.node is not None and act.optional:
                plan.update(act, optional=False, reason=act.reason or reason)
        previous = prim


def member_can_run(model: ClusterModel, plan: Plan, rid: str) -> bool:
    if any(a.node is not None and a.runnable for a in plan.find(rid, "start")):
        return True
    state = model.states.get(rid)
    return bool(state and state.running_on) and not any(
        not a.optional for a in plan.find(rid, "stop"))


def is_restart(model: ClusterModel, then: Action) -> bool:
    """A start on the node the resource already runs on (or a collective's start)."""
    if then.node is None:
        return True
    state = model.states.get(then.rsc or "")
    return bool(state and then.node in state.roles)


def restart_without_reason(model: ClusterModel, edge: Edge, then: Action) -> bool:
    """A restart already forced by its own stop still learns which ordering requires it."""
    if not edge.reason or then.reason or then.task != "start" or then.rsc is None:
        return False
    state = model.states.get(then.rsc)
    return bool(state and then.node in state.roles and len(state.roles) == 1)


def clone_stays_up(model: ClusterModel, plan: Plan, prims: tuple[str, ...]) -> bool:
    """Some instance is active now and is not being stopped."""
    for p in prims:
        state = model.states.get(p)
        if state and state.running_on and all(a.optional for a in plan.find(p, "stop")):
            return True
    return False
