"""Propagation along ordering edges: 'mandatory' (implies then / implies first, restarts)
and 'unrunnable' spread until nothing changes; collectives (groups, clones) follow their
members; a live migration survives only while no ordering takes it back; a mandatory
colocation's dependent cannot start where its primary is blocked.

Owns the flag semantics of Pacemaker's orderings once the edges exist (ordering.py
builds them). Must never create edges for constraints, place resources or do I/O.
"""

from __future__ import annotations

from hacluster.common import INFINITY
from hacluster.scheduler.actions import Action, Actions, Key, Plan
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.edges import (
    ASYMMETRICAL,
    CLONE_GROWS,
    IMPLIES_FIRST,
    IMPLIES_THEN,
    ONE_OR_MORE,
    RESTART,
    STOP_AFTER_STOP,
    THEN_RUNNABLE,
    Edge,
    action_name,
)
from hacluster.scheduler.model import ClusterModel
from hacluster.scheduler.policy import is_managed


def enforce_colocations(model: ClusterModel, asg: Assignment, plan: Plan,
                        created: Actions | None = None) -> bool:
    """A mandatory colocation's dependent cannot start where its primary is blocked; with
    a group or clone as primary (see collective_blocked), it cannot start anywhere."""
    changed = False
    for c in model.colocations:
        if c.score < INFINITY:
            continue
        if model.resources[c.primary].kind != "primitive":
            if created is not None and collective_blocked(model, plan, created, c.primary):
                changed |= block_starts(model, plan, c.dependent, None, c.primary)
            continue
        node = asg.nodes.get(c.primary)
        blocked = [a for a in plan.find(c.primary, "start") if a.node == node and not a.runnable]
        if node is None or not blocked:
            continue
        for dep in model.primitives(c.dependent):
            changed |= block_starts(model, plan, dep, node, c.primary)
    return changed


def block_unrunnable_primaries(model: ClusterModel, plan: Plan) -> bool:
    """Before any ordering is followed: a primitive with a start that cannot run (where
    it was placed, or the node-less stand-in an ordering asked for) keeps what is
    mandatorily colocated with it from starting anywhere, "colocation with <primitive>"
    (Pacemaker 2.1.5 blocks colocation dependents of unrunnable starts first)."""
    changed = False
    for c in model.colocations:
        if c.score < INFINITY or model.resources[c.primary].kind != "primitive":
            continue
        if any(not a.runnable for a in plan.find(c.primary, "start")):
            changed |= block_starts(model, plan, c.dependent, None, c.primary)
    return changed


def collective_blocked(model: ClusterModel, plan: Plan, created: Actions, rid: str) -> bool:
    """A group or clone cannot reach its role: each of its members (instances) has a start
    and none can run, and an ordering made at least one start under it unrunnable
    (Pacemaker looks at this only when an ordering blocks a start)."""
    children = model.resources[rid].children
    if not children:
        return False
    for child in children:
        starts = plan.find(child, "start")
        if not starts or any(a.runnable for a in starts):
            return False
    for prim in model.primitives(rid):
        for before in created.find(prim, "start"):
            if before.runnable and not plan.actions[before.key].runnable:
                return True
    return False


def block_starts(model: ClusterModel, plan: Plan, rid: str, node: str | None,
                 primary: str) -> bool:
    """Make `rid`'s runnable starts (on `node`, or anywhere; its members' and instances'
    too) unrunnable, "colocation with `primary`" unless they already have a reason."""
    changed = False
    for start in plan.find(rid, "start"):
        if start.runnable and (node is None or start.node == node):
            plan.update(start, runnable=False, optional=False,
                        reason=start.reason or f"colocation with {primary}")
            changed = True
    for child in model.resources[rid].children:
        changed |= block_starts(model, plan, child, node, primary)
    return changed


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
    if IMPLIES_THEN in e.flags and seen_on_node(model, f, t):
        # A clone's action seen from a primitive's action on one node is what its
        # instances do on that node (Pacemaker 2.1.5: a clone's flags for an ordering
        # are taken on the 'then' node, only its runnable is global).
        first_changes = bool(local_instance_actions(model, plan, f, t, runnable=False))
    else:
        first_changes = not f.optional or restarts_anyway(model, plan, f) or (
            CLONE_GROWS in e.flags and f.rsc is not None and any(
            not a.optional and a.node is not None
            for p in model.primitives(f.rsc) for a in plan.find(p, "start"))) or (
            IMPLIES_THEN in e.flags and instance_changes_there(model, plan, f, t))
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
            ASYMMETRICAL in e.flags and (runs_there(model, t) or still_active(model, plan, f))):
        # a blocked own stop gives no reason
        reason = t.reason if t.reason or f.rsc == t.rsc else inherited_reason(f)
        t = plan.update(t, runnable=False, reason=reason, migrate=False)
        changed = True
        if ASYMMETRICAL not in e.flags and f.rsc != t.rsc and t.rsc is not None:
            stop_anyway(model, plan, t)
    if STOP_AFTER_STOP in e.flags and not f.runnable and t.runnable and f.rsc != t.rsc:
        t = plan.update(t, runnable=False)
        changed = True
    if IMPLIES_FIRST in e.flags and not t.optional and f.migrate and not t.migrate \
            and f.rsc != t.rsc:
        # What must happen first cannot wait for a migration: no migration then.
        f = plan.update(f, migrate=False, reason=f"unrunnable {action_name(t)}")
        changed = True
    if IMPLIES_FIRST in e.flags and not t.optional and f.optional and not t.migrate \
            and not seen_on_node(model, t, f):
        # (A primitive's action before a clone's: Pacemaker 2.1.5 takes the primitive's
        # own flags as the first's, so a required clone action requires nothing of it.)
        f = plan.update(f, optional=False)
        changed = True
        push_to_members(model, plan, f)
        f = plan.actions[f.key]
    if RESTART in e.flags and f.optional and restart_needs_stop(model, f, t):
        plan.update(f, optional=False)
        changed = True
    return changed


def restarts_anyway(model: ClusterModel, plan: Plan, start: Action) -> bool:
    """An unrunnable start of a managed primitive where it runs, whose stop there an
    ordering already made required (stop_anyway): the start after that stop is required
    too, and Pacemaker has settled both before what follows the start sees it, so that
    reads it as required."""
    rid = start.rsc
    if start.task != "start" or start.runnable or start.node is None or rid is None \
            or model.resources.get(rid) is None or model.resources[rid].kind != "primitive":
        return False
    state = model.states.get(rid)
    if state is None or start.node not in state.roles or not is_managed(model, rid):
        return False
    return any(s.node == start.node and s.runnable and not s.optional
               for s in plan.find(rid, "stop"))


def runs_there(model: ClusterModel, action: Action) -> bool:
    """An asymmetrical order leaves `action` alone when it is the optional start of a
    resource already running on that node only (nothing to do), or the start of a group
    with an active member (its members decide for themselves); a clone's start or a
    restart's (required) start still waits for its first."""
    rid = action.rsc or ""
    if rid in model.resources and model.resources[rid].kind == "group":
        return action.task == "start" and any(
            model.states[p].roles for p in model.primitives(rid) if p in model.states)
    state = model.states.get(rid)
    return action.task == "start" and action.optional and action.node is not None \
        and state is not None and tuple(state.roles) == (action.node,)


def still_active(model: ClusterModel, plan: Plan, first: Action) -> bool:
    """A group or clone with an active member counts as running (or promoted) for an
    asymmetrical order while its own start is not blocked, even when nothing of
    it will run after this transition (Pacemaker: a disabled group or clone that still
    runs does not block what follows it asymmetrically; a primitive that cannot start
    does)."""
    rid = first.rsc
    if rid is None or first.node is not None or first.task not in ("running", "promoted") \
            or model.resources[rid].kind == "primitive":
        return False
    return all(a.runnable for a in plan.find(rid, "start")) and any(
        model.states[p].roles for p in model.primitives(rid) if p in model.states)


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


def instance_changes_there(model: ClusterModel, plan: Plan, first: Action,
                           then: Action) -> bool:
    """A clone's action, seen from a primitive's action on one node, is what the clone's
    instances do on that node (Pacemaker takes a clone's flags for an ordering on the
    'then' node): an instance restarting there restarts what is ordered after the clone
    there, while an instance restarting elsewhere leaves it alone."""
    return then.node is not None and bool(local_instance_actions(model, plan, first, then))


def instance_edges(model: ClusterModel, plan: Plan, edges: list[Edge]) -> list[Edge]:
    """Between a primitive's action and a clone's action that stays out of the graph
    (optional: the clone as a whole does not change), the same ordering with the clone's
    instance actions on the primitive's node, so a restart there keeps its order."""
    out: list[Edge] = []
    for e in edges:
        f, t = plan.actions[e.first], plan.actions[e.then]
        if f.optional and not t.optional and t.node is not None:
            out += [Edge(a.key, t.key, frozenset()) for a in local_instance_actions(
                model, plan, f, t)]
        elif t.optional and not f.optional and f.node is not None:
            out += [Edge(f.key, a.key, frozenset()) for a in local_instance_actions(
                model, plan, t, f)]
    return out


def seen_on_node(model: ClusterModel, collective: Action, other: Action) -> bool:
    """Whether `collective` is a clone's own action ordered before `other`, an action of
    a primitive outside that clone on a node."""
    clone = model.resources.get(collective.rsc or "")
    primitive = model.resources.get(other.rsc or "")
    return (collective.node is None and other.node is not None and clone is not None
            and clone.kind == "clone" and primitive is not None
            and primitive.kind == "primitive" and primitive.id not in model.primitives(clone.id))


def local_instance_actions(model: ClusterModel, plan: Plan, collective: Action,
                           other: Action, runnable: bool = True) -> list[Action]:
    """The live (mandatory, and unless `runnable` is false runnable) actions of
    `collective`'s clone instances on `other`'s node, for a clone's action and a
    primitive outside it."""
    clone = model.resources.get(collective.rsc or "")
    primitive = model.resources.get(other.rsc or "")  # pseudo sets have no resource
    if collective.node is not None or clone is None or clone.kind != "clone" \
            or primitive is None or primitive.kind != "primitive" \
            or primitive.id in model.primitives(clone.id):
        return []
    task = {"running": "start", "stopped": "stop", "promoted": "promote",
            "demoted": "demote"}.get(collective.task, collective.task)
    return [a for p in model.primitives(clone.id) for a in plan.find(p, task)
            if a.node == other.node and not a.optional and (a.runnable or not runnable)]

