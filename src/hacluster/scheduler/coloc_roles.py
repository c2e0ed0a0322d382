"""Colocations that name a role while resources are placed (Pacemaker Explained:
"Colocation by role", rsc-role / with-rsc-role).

While a resource is placed its own role is not decided yet: its next role is Stopped
(target-role=Stopped, on-fail=stop), Unpromoted (target-role=Unpromoted, a failure with
on-fail=demote) or not known yet. A colocation naming the dependent's role then holds as
Pacemaker 2.1.5 applies it: a positive one only when that role is the next role, a
negative one only when it is not. A colocation with a role of a promotable clone (whose
instances' roles are chosen before anything colocated with it is placed) holds whatever
the dependent's role; only a mandatory one between two Promoted roles waits for the
dependent's promotion. Must never choose nodes or do I/O.
"""

from __future__ import annotations

from hacluster.common import INFINITY
from hacluster.scheduler.model import ClusterModel, Colocation, Role
from hacluster.scheduler.policy import next_role_stopped, target_role
from hacluster.scheduler.scores import Work


def placement_role(model: ClusterModel, rid: str) -> Role | None:
    """`rid`'s next role before it is placed: Stopped, Unpromoted, or None (not known)."""
    if next_role_stopped(model, rid):
        return Role.STOPPED
    if target_role(model, rid) == Role.UNPROMOTED:
        return Role.UNPROMOTED
    for prim in model.primitives(rid):
        state = model.states.get(prim)
        if state is not None and any(state.on_fail.get(n) == "demote"
                                     for n in state.failed_nodes):
            return Role.UNPROMOTED
    return None


def with_promotable_role(work: Work, c: Colocation) -> bool:
    """A colocation with a role of a promotable clone (applied by where that role is)."""
    return c.primary_role is not None and work.model.resources[c.primary].promotable


def holds_while_placing(work: Work, c: Colocation, rid: str) -> bool:
    """Whether colocation `c` (of dependent `rid`) counts while `rid` is placed."""
    if with_promotable_role(work, c):
        return not (c.score >= INFINITY and c.dependent_role == Role.PROMOTED
                    and c.primary_role == Role.PROMOTED)
    if c.dependent_role is None:
        return True
    role = placement_role(work.model, rid)
    if c.score > 0:
        return c.dependent_role == role
    return c.dependent_role != role


def reverted_if_stuck(c: Colocation) -> bool:
    """Whether the dependent's scores go back to what they were before colocation `c`
    when it leaves no node able to run the dependent: an optional one, and one that
    names the dependent's Promoted role (it must not keep the dependent from running)."""
    return c.dependent_role == Role.PROMOTED or -INFINITY < c.score < INFINITY
