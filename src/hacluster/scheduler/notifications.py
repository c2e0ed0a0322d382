"""Notifications: for a clone with `notify=true`, the `notify` actions its instances get
around the clone's starts, stops, promotions and demotions, and their orderings.

Owns Pacemaker Explained's clone notifications: when any instance of the clone starts,
stops, is promoted or demoted, every instance active before gets a pre-notification
(before any of those actions) and every instance active after gets a post-notification
(after all of them). An instance on a node that cannot run anything (down, unclean) is
not notified. Graph-only (the Transition Summary never lists notifications); the graph
prints both as `notify` (the agent's action; pre/post is its n_type). Must never change
an action an earlier stage decided or do I/O.
"""

from __future__ import annotations

from hacluster.common import is_true
from hacluster.scheduler.actions import Action, Actions
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.model import ClusterModel, Role
from hacluster.scheduler.ordering import Edge

PRE, POST = "pre_notify", "post_notify"
NOTIFIED_TASKS = ("start", "stop", "promote", "demote")


def wants_notify(model: ClusterModel, clone: str) -> bool:
    return is_true(model.meta(clone, "notify", "false"))


def live(plan: Actions, prim: str, task: str) -> list[Action]:
    return [a for a in plan.find(prim, task) if a.runnable and not a.optional]


def usable(model: ClusterModel, node: str | None) -> bool:
    return node is not None and node in model.nodes and model.nodes[node].online \
        and not model.nodes[node].unclean


def active_before(model: ClusterModel, prim: str) -> list[str]:
    state = model.states.get(prim)
    if state is None:
        return []
    return [n for n, role in state.roles.items() if role > Role.STOPPED and usable(model, n)]


def active_after(model: ClusterModel, asg: Assignment, plan: Actions, prim: str) -> list[str]:
    node = asg.nodes.get(prim)
    if not usable(model, node):
        return []
    state = model.states.get(prim)
    if state is not None and node in state.running_on and not live(plan, prim, "stop"):
        return [node] if node is not None else []
    return [node] if node is not None and any(a.node == node for a in live(plan, prim, "start")) \
        else []


def create_notifies(model: ClusterModel, asg: Assignment,
                    plan: Actions) -> tuple[list[Action], list[Edge]]:
    """Pre- and post-notify actions of every notifying clone with something to notify."""
    notes: list[Action] = []
    edges: list[Edge] = []
    for clone, rsc in model.resources.items():
        if rsc.kind != "clone" or not wants_notify(model, clone):
            continue
        prims = [p for inst in rsc.children for p in model.primitives(inst)]
        changes = [a for p in prims for t in NOTIFIED_TASKS for a in live(plan, p, t)]
        if not changes:
            continue
        for prim in prims:
            pre = [Action(prim, PRE, n, optional=False, reason="notify")
                   for n in active_before(model, prim)]
            post = [Action(prim, POST, n, optional=False, reason="notify")
                    for n in active_after(model, asg, plan, prim)]
            notes += pre + post
            edges += [Edge(p.key, a.key, frozenset()) for p in pre for a in changes]
            edges += [Edge(a.key, p.key, frozenset()) for p in post for a in changes]
    return notes, edges
