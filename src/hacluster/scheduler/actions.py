"""Per-resource actions: start/stop/promote/demote (and clone/group pseudo actions),
recovery of failed resources, fencing of unclean nodes, quorum loss handling.

Owns deciding which actions exist and their initial optional/runnable flags, per
Pacemaker Explained (resource roles, on-fail, no-quorum-policy, fencing). Must never
place resources (placement.py) or relate actions to each other (ordering.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from hacluster.common import is_true
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.model import ClusterModel, Role
from hacluster.scheduler.policy import can_fence_node, is_managed

Key = tuple[str | None, str, str | None]


@dataclass(frozen=True, slots=True)
class Action:
    """One graph action (a value: a stage that changes it stores a new one)."""

    rsc: str | None
    task: str
    node: str | None
    optional: bool
    runnable: bool = True
    pseudo: bool = False
    reason: str = ""
    # Part of a live migration that still may happen (Pacemaker's migrate_runnable): set
    # on the start, stop, migrate_to and migrate_from of a resource that may migrate.
    migrate: bool = False
    # A recurring operation (monitor with an interval), or the cancel of one: its
    # interval; `cancels` names the operation a cancel ends.
    interval_ms: int = 0
    cancels: str = ""

    @property
    def key(self) -> Key:
        if self.interval_ms:
            return (self.rsc, f"{self.task}_{self.interval_ms}", self.node)
        return (self.rsc, self.task, self.node)


@dataclass(frozen=True, slots=True)
class Actions:
    """What a stage decided about actions, frozen: every action by key in creation order,
    the nodes to fence, and what one-or-more pseudo actions need."""

    actions: Mapping[Key, Action]
    index: Mapping[tuple[str | None, str], tuple[Action, ...]]
    fenced: Mapping[str, str]
    needed: Mapping[Key, tuple[int, int]]
    unfenced: Mapping[str, str] = field(default_factory=dict)  # node -> why unfenced

    def find(self, rsc: str | None, task: str) -> list[Action]:
        return list(self.index.get((rsc, task), ()))


@dataclass(slots=True)
class Plan:
    """Mutable scratch of one stage (create_actions, then order_actions on a copy); the
    stage returns `freeze()`, never the Plan itself. `by_rsc` lists the current value of
    each action (update() replaces it in place there too)."""

    actions: dict[Key, Action] = field(default_factory=dict)
    by_rsc: dict[tuple[str | None, str], list[Action]] = field(default_factory=dict)
    fenced: dict[str, str] = field(default_factory=dict)
    # one-or-more pseudo actions: how many runnable firsts they need, and how many
    # instances already count (active and staying) without any action.
    needed: dict[Key, tuple[int, int]] = field(default_factory=dict)
    unfenced: dict[str, str] = field(default_factory=dict)
    where: dict[Key, int] = field(default_factory=dict)  # key -> index in its by_rsc list

    def add(self, action: Action) -> Action:
        old = self.actions.get(action.key)
        if old is not None:
            return self.update(old, optional=old.optional and action.optional)
        self.actions[action.key] = action
        group = self.by_rsc.setdefault((action.rsc, action.task), [])
        self.where[action.key] = len(group)
        group.append(action)
        return action

    def update(self, action: Action, **changes: object) -> Action:
        """Store (and return) a copy of the current `action` with `changes`."""
        new = replace(self.actions[action.key], **changes)  # type: ignore[arg-type]
        self.actions[action.key] = new
        self.by_rsc[(new.rsc, new.task)][self.where[new.key]] = new
        return new

    def find(self, rsc: str | None, task: str) -> list[Action]:
        """The current actions of `rsc`'s `task` (the caller must not change the list)."""
        return self.by_rsc.get((rsc, task), [])

    def find_task(self, task: str) -> list[Action]:
        """The current actions of `task`, whatever their resource."""
        return [a for (_rsc, t), group in self.by_rsc.items() if t == task for a in group]

    def freeze(self) -> Actions:
        return Actions(MappingProxyType(dict(self.actions)),
                       MappingProxyType({k: tuple(v) for k, v in self.by_rsc.items()}),
                       MappingProxyType(dict(self.fenced)), MappingProxyType(dict(self.needed)),
                       MappingProxyType(dict(self.unfenced)))

    @staticmethod
    def thaw(done: Actions) -> Plan:
        by_rsc = {k: list(v) for k, v in done.index.items()}
        where = {a.key: i for group in by_rsc.values() for i, a in enumerate(group)}
        return Plan(dict(done.actions), by_rsc, dict(done.fenced), dict(done.needed),
                    dict(done.unfenced), where)


def quorum_blocks(model: ClusterModel, rid: str) -> str:
    """Reason a start/promote of `rid` needs quorum it lacks ('' when it may run)."""
    if model.have_quorum:
        return ""
    policy = model.prop("no-quorum-policy", "stop").lower()
    if policy == "ignore":
        return ""
    if model.meta(rid, "requires", "") == "nothing":
        return ""
    if policy == "freeze":
        state = model.states.get(rid)
        if state is not None and state.running_on:
            return ""
        return "quorum freeze"
    if policy == "demote" and promotable(model, rid):
        # Explained: no-quorum-policy=demote demotes a promotable resource's active
        # instances (they keep running unpromoted); everything else stops.
        state = model.states.get(rid)
        if state is not None and state.running_on:
            return ""
    return "no quorum"


def create_actions(model: ClusterModel, asg: Assignment) -> Actions:
    plan = Plan()
    for name, node in model.nodes.items():
        # Without quorum only a node still in the membership can be fenced (as Pacemaker
        # 2.1.5 does unless no-quorum-policy=ignore).
        if node.unclean and can_fence_node(model, name):
            reason = model.fence_nodes.get(name) or node.fence_reason or "node is unclean"
            plan.fenced[name] = reason
            plan.add(Action(None, "stonith", name, False))
    for rid, rsc in model.resources.items():
        if rsc.kind == "primitive":
            primitive_actions(model, asg, plan, rid)
        else:
            for task in ("start", "running", "stop", "stopped"):
                plan.add(Action(rid, task, None, True, pseudo=True))
            if rsc.promotable:
                # With no instance promoted after the transition, nothing ordered after
                # the clone's promotion can run (Pacemaker: "unrunnable M promoted").
                some = any(asg.roles.get(p) == Role.PROMOTED for p in model.primitives(rid))
                for task in ("promote", "promoted", "demote", "demoted"):
                    runnable = some or task in ("demote", "demoted")
                    plan.add(Action(rid, task, None, True, runnable=runnable, pseudo=True))
    return plan.freeze()


def promotable(model: ClusterModel, rid: str) -> bool:
    parent = model.resources[rid].parent
    while parent is not None:
        if model.resources[parent].promotable:
            return True
        parent = model.resources[parent].parent
    return False


def current_roles(model: ClusterModel, rid: str) -> dict[str, Role]:
    state = model.states.get(rid)
    if state is None:
        return {}
    out = {}
    for node, role in state.roles.items():
        if node not in model.nodes:
            continue
        if role == Role.STARTED and promotable(model, rid):
            role = Role.UNPROMOTED
        out[node] = role
    return out


def primitive_actions(model: ClusterModel, asg: Assignment, plan: Plan, rid: str) -> None:
    state = model.states.get(rid)
    roles = current_roles(model, rid)
    if not is_managed(model, rid):
        for node in roles:
            plan.add(Action(rid, "stop", node, True, runnable=False))
        return
    nxt = asg.nodes.get(rid)
    next_role = asg.roles.get(rid, Role.STOPPED)
    failed = state.failed_nodes if state else frozenset()
    multiple = len(roles) > 1
    changed_params = state.changed_nodes if state else frozenset()
    # no-quorum-policy=stop: a partition without quorum stops what it runs (Explained,
    # cluster options); "demote" too, but keeps promotable instances running unpromoted.
    quorum_stop = quorum_blocks(model, rid) == "no quorum" and \
        model.prop("no-quorum-policy", "stop").lower() in ("stop", "demote")
    for node, role in roles.items():
        must_stop = nxt != node or node in failed or multiple or node in changed_params \
            or quorum_stop
        unclean = model.nodes[node].unclean
        if role == Role.PROMOTED and (must_stop or next_role != Role.PROMOTED):
            plan.add(Action(rid, "demote", node, False, pseudo=unclean,
                            runnable=not unclean or node in plan.fenced))
        stop = plan.add(Action(rid, "stop", node, not must_stop, pseudo=unclean))
        if unclean:
            stop = plan.update(stop, runnable=node in plan.fenced)
        elif not model.nodes[node].online:
            stop = plan.update(stop, runnable=False)
        if must_stop and nxt is None:
            plan.update(stop, reason="node availability")
        elif quorum_stop:
            plan.update(stop, reason="no quorum")
    if nxt is None:
        # Stand-in for the start that cannot happen: orderings still need it.
        plan.add(Action(rid, "start", None, True, runnable=False, pseudo=True))
        return
    here = roles.get(nxt)
    changed = state.changed_nodes if state else frozenset()
    start_needed = here is None or nxt in failed or multiple or nxt in changed
    start = plan.add(Action(rid, "start", nxt, not start_needed))
    if state is not None and nxt in state.redefined_nodes and here is not None:
        start = plan.update(start, reason=start.reason or "resource definition change")
    base = model.resources[rid].base or rid
    if any(base not in known for known in model.unprobed_members.values()):
        start = plan.update(start, runnable=False)  # cannot be probed on a joining node
    blocker = quorum_blocks(model, rid)
    if blocker:
        start = plan.update(start, runnable=False, reason=blocker)
        if blocker == "no quorum":
            plan.update(start, optional=False)
    if start.runnable and not quorum_stop and may_migrate(model, rid, roles, nxt, next_role):
        offer_migration(plan, rid, next(iter(roles)), start)
    # A failure with on-fail=demote demotes the instance where it failed; promoted again
    # there when it still scores best (Re-promote).
    demoted = here == Role.PROMOTED and state is not None and state.on_fail.get(nxt) == "demote"
    if next_role == Role.PROMOTED and (here != Role.PROMOTED or start_needed or demoted):
        promote = plan.add(Action(rid, "promote", nxt, False))
        if blocker:
            # crm_simulate 2.1.5 prints such a promotion as plainly "blocked".
            plan.update(promote, runnable=False)
    if here == Role.PROMOTED and (next_role != Role.PROMOTED or demoted) and not start_needed:
        plan.add(Action(rid, "demote", nxt, False))


def may_migrate(model: ClusterModel, rid: str, roles: Mapping[str, Role], nxt: str,
                next_role: Role) -> bool:
    """Whether a move may be a live migration (Explained: allow-migrate): the resource
    allows it, is managed, active on exactly one node, has not failed and has no start
    pending, is neither promotable nor changed, and both nodes are clean."""
    if len(roles) != 1 or nxt in roles or next_role != Role.STARTED:
        return False
    if not is_true(model.meta(rid, "allow-migrate", "false")) or promotable(model, rid):
        return False
    current = next(iter(roles))
    state = model.states.get(rid)
    if state is None or state.failed_nodes or state.pending_start or state.changed_nodes:
        return False
    here, there = model.nodes[current], model.nodes[nxt]
    return here.online and not here.unclean and not there.unclean


def offer_migration(plan: Plan, rid: str, current: str, start: Action) -> None:
    """migrate_to on the current node, migrate_from on the next one; the start and stop
    keep the offer until an ordering takes it back (ordering.py)."""
    for stop in plan.find(rid, "stop"):
        if stop.node == current:
            plan.update(stop, migrate=True)
    plan.update(start, migrate=True)
    plan.add(Action(rid, "migrate_to", current, False, migrate=True))
    plan.add(Action(rid, "migrate_from", start.node, False, migrate=True))
