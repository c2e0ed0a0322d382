"""The Transition: synapses/actions/inputs as frozen values, its XML form, and the
'Transition Summary' text exactly as crm_simulate prints it.

Owns the per-resource summary decision (Start/Stop/Move/Recover/Restart/Promote/Demote/
Re-promote, "due to ..." and "(blocked)") and fencing lines. Must never change decisions
made by earlier stages or do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hacluster.scheduler.actions import Action, Actions, current_roles, promotable
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.graph_order import graph_order, run_in_passes
from hacluster.scheduler.interleave import INHIBITED
from hacluster.scheduler.model import ClusterModel, Role
from hacluster.scheduler.ordering import Edge, Ordered
from hacluster.scheduler.policy import ancestors, is_managed
from hacluster.scheduler.scores import ScoreRecord, score_lines


@dataclass(frozen=True, slots=True)
class GraphAction:
    """One action of the transition graph."""

    id: int
    rsc: str | None
    task: str
    node: str | None
    pseudo: bool
    optional: bool
    runnable: bool
    reason: str
    # The name the node's executor knows the resource by (its operation history's id):
    # an anonymous clone instance acts under its primitive's plain id or the id its
    # history on that node carries; empty for anything else (then `rsc`).
    lrm_name: str = ""
    # migrate_to: the node it migrates to; migrate_from: the node it migrates from.
    peer: str = ""
    # The id the node's executor runs and records it under (Pacemaker's graph `id` beside
    # `long-id`): for an anonymous clone instance the id of its history there, else its
    # primitive's plain id; empty for anything else (then `rsc`).
    history_id: str = ""
    # A recurring op (or the cancel of one, naming the op in `cancels`): its interval.
    interval_ms: int = 0
    cancels: str = ""

    @property
    def key(self) -> str:
        if self.rsc is None:
            return f"{self.task} {self.node}"
        return f"{self.rsc}_{self.cancels or self.task}_{self.interval_ms}"

    @property
    def is_recurring(self) -> bool:
        """A recurring op or the cancel of one (the executor keeps those itself)."""
        return self.interval_ms > 0


@dataclass(frozen=True, slots=True)
class Synapse:
    id: int
    action: GraphAction
    inputs: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Transition:
    """What the scheduler decided: graph synapses plus the summary lines."""

    synapses: tuple[Synapse, ...]
    summary: tuple[str, ...]
    scores: tuple[ScoreRecord, ...]

    @property
    def score_lines(self) -> tuple[str, ...]:
        """crm_simulate -s: the allocation and promotion scores of the run."""
        return score_lines(self.scores)

    def summary_lines(self) -> list[str]:
        """Lines of the 'Transition Summary:' section (without the header)."""
        return list(self.summary)

    def executed(self) -> list[GraphAction]:
        """Every action of the graph, inputs before the actions that wait for them."""
        # crm_simulate's order: passes over the synapses (graph_order.run_in_passes).
        # An input that is no synapse of the graph is never done (-1).
        synapses = sorted(self.synapses, key=lambda syn: syn.id)
        index = {syn.id: i for i, syn in enumerate(synapses)}
        inputs = [[index.get(i, -1) for i in syn.inputs] for syn in synapses]
        return [synapses[i].action for i in run_in_passes(inputs)]

    def action_tuples(self) -> list[tuple[str | None, str, str | None]]:
        """(resource or None, task, node) of each executed action, e.g. for revised status."""
        return [(a.rsc, a.task, a.node) for a in self.executed()]

    def execution_lines(self) -> list[str]:
        """The 'Executing Cluster Transition:' lines (one valid order of the graph)."""
        lines = []
        for a in self.executed():
            if a.task == "stonith":
                lines.append(f"  * Fencing {a.node} (reboot)")
            elif a.task == "stonith_on":
                lines.append(f"  * Fencing {a.node} (on)")
            elif a.pseudo or a.node is None:
                lines.append(f"  * Pseudo action:   {a.rsc}_{a.task}_0")
            else:
                task = "notify" if a.task.endswith("_notify") else a.task
                if a.interval_ms:
                    task = f"{task}={a.interval_ms}"
                lines.append(f"  * Resource action: {a.lrm_name or a.rsc:<15} {task} on {a.node}")
        return lines


@dataclass(frozen=True, slots=True)
class GraphOnly:
    """Actions a stage adds to the graph only (probes, deletes, notifications): never in
    the summary, never changing an earlier stage's actions; with their edges."""

    actions: tuple[Action, ...]
    edges: tuple[Edge, ...]

    def __init__(self, actions: list[Action] | tuple[Action, ...],
                 edges: list[Edge] | tuple[Edge, ...]) -> None:
        object.__setattr__(self, "actions", tuple(actions))
        object.__setattr__(self, "edges", tuple(edges))


def build_transition(model: ClusterModel, asg: Assignment, ordered: Ordered,
                     graph_only: tuple[GraphOnly, ...] = ()) -> Transition:
    plan = ordered.actions
    # Node actions first, newest first (Pacemaker prepends each new action to its list).
    lines = [*(f"  * Fence (reboot) {node} '{reason}'" for node, reason in plan.fenced.items()),
             *(f"  * Fence (on) {node} '{reason}'" for node, reason in plan.unfenced.items())]
    lines.reverse()
    items = [item for rid in summary_order(model, asg)
             for item in summary_for(model, asg, plan, rid)]
    lines.extend(summary_text(items))
    pseudo = collective_pseudo(model, plan)
    extra = [a for g in graph_only for a in g.actions] + pseudo
    # A collective starts again only after it stopped (Pacemaker orders every resource's
    # stopped before its start).
    edges = list(ordered.edges) + [e for g in graph_only for e in g.edges] + [
        Edge((a.rsc, "stopped", None), a.key, frozenset()) for a in pseudo
        if a.task == "start"]
    return Transition(synapses=synapses_of(plan, edges, extra, model, asg.order),
                      summary=tuple(lines), scores=asg.scores)


# A collective's pseudo action and the task of its children that puts it in the graph.
PSEUDO_OF_CHILD = (("start", "start"), ("running", "start"), ("stop", "stop"),
                   ("stopped", "stop"), ("promote", "promote"), ("promoted", "promote"),
                   ("demote", "demote"), ("demoted", "demote"))


def collective_pseudo(model: ClusterModel, plan: Actions) -> list[Action]:
    """The pseudo actions (start/running, stop/stopped, promote/promoted, demote/demoted)
    of each group or clone one of whose children does that: in the graph even where
    nothing made them required (Pacemaker creates a clone's required when an instance
    does it, and 'prints' a group's once a member's is required). Children first, so a
    clone of groups sees its groups' actions."""
    live: dict[tuple[str, str], Action] = {}

    def child_does(child: str, task: str) -> bool:
        return (child, task) in live or any(not a.optional and a.runnable and a.node
                                            for a in plan.find(child, task))

    for rid, rsc in reversed(list(model.resources.items())):
        if rsc.kind == "primitive":
            continue
        for task, child_task in PSEUDO_OF_CHILD:
            own = next(iter(plan.find(rid, task)), None)
            if own is None or not own.runnable:
                continue
            if not own.optional:
                live[(rid, task)] = own
            elif any(child_does(child, child_task) for child in rsc.children):
                live[(rid, task)] = replace(own, optional=False)
    return [a for a in live.values() if plan.actions[a.key].optional]


def summary_order(model: ClusterModel, asg: Assignment) -> list[str]:
    """Primitives as the summary lists them: top-level resources in assignment order, each
    one's primitives in configuration order, then any other primitive."""
    seen: dict[str, None] = {}
    for top in (*asg.order, *model.top):
        if top in model.resources:
            seen.update((p, None) for p in model.primitives(top))
    seen.update((rid, None) for rid, rsc in model.resources.items() if rsc.kind == "primitive")
    return list(seen)


def synapses_of(plan: Actions, edges: list[Edge], probes: list[Action] | None = None,
                model: ClusterModel | None = None,
                order: tuple[str, ...] = ()) -> tuple[Synapse, ...]:
    """Synapses of the plan's live actions and of the graph-only ones (`probes`: probes,
    deletes, notifications, recurring ops; never in the plan), numbered in Pacemaker's
    graph order when the model is given (graph_order.py; `order`: the assignment
    order of the top-level resources)."""
    live = (probes or []) + [a for a in plan.actions.values()
                             if not a.optional and a.runnable]
    if model is not None:
        live = [live[i] for i in graph_order(model, order, live)]
    ids = {a.key: i for i, a in enumerate(live)}
    inputs: dict[int, set[int]] = {i: set() for i in ids.values()}
    for e in edges:
        if e.first in ids and e.then in ids:
            inputs[ids[e.then]].add(ids[e.first])
    out = []
    for a in live:
        i = ids[a.key]
        name = lrm_name(model, a.rsc, a.node) if model is not None else ""
        ga = GraphAction(i, a.rsc, a.task, a.node, a.pseudo, a.optional, a.runnable, a.reason,
                         name, migration_peer(plan, a), history_id(model, a.rsc, a.node, name),
                         a.interval_ms, a.cancels)
        out.append(Synapse(i, ga, tuple(sorted(inputs[i]))))
    return tuple(out)


def migration_peer(plan: Actions, action: Action) -> str:
    other = {"migrate_to": "migrate_from", "migrate_from": "migrate_to"}.get(action.task)
    if other is None:
        return ""
    return next((str(a.node) for a in plan.find(action.rsc, other)), "")


def lrm_name(model: ClusterModel, rid: str | None, node: str | None) -> str:
    """The id an anonymous clone instance's action carries on `node` (Explained: clone
    `globally-unique=false`: every instance is the same resource to the node): the id
    of its history there, else its own id. Empty when not such an instance."""
    if rid is None or node is None or rid not in model.resources:
        return ""
    rsc = model.resources[rid]
    clone = next((a for a in ancestors(model, rid) if model.resources[a].kind == "clone"), None)
    if rsc.kind != "primitive" or clone is None or model.resources[clone].unique:
        return ""
    # Anonymous instances share one history per node: whichever instance it was read
    # into, its id is the name on that node.
    for prim in (rid, *model.primitives(clone)):
        state = model.states.get(prim)
        if model.resources[prim].base == rsc.base and state is not None \
                and node in state.history_names:
            return state.history_names[node]
    # An instance read from a history elsewhere keeps that name on every node (crm_simulate
    # prints "P", not "P:1", for P:1 moving from a node that recorded it as "P").
    own = model.states.get(rid)
    if own is not None and own.history_names:
        return next(iter(own.history_names.values()))
    # A history there under the plain id (today's naming) names a new instance too; an
    # old-style numbered one belongs to that number only.
    return rsc.base if model.known_on.get(rsc.base, {}).get(node) == rsc.base else rid


def history_id(model: ClusterModel | None, rid: str | None, node: str | None,
               name: str) -> str:
    """The id an anonymous clone instance runs and is recorded under on `node`, given its
    `lrm_name` there: a new instance (no history of its own) takes the primitive's plain
    id, as Pacemaker records anonymous instances; empty when not such an instance."""
    if not name or model is None or rid is None or node is None:
        return ""
    base = model.resources[rid].base
    if name == rid and model.known_on.get(base, {}).get(node) != rid:
        return base
    return name


def first(actions: list[Action], node: str | None) -> Action | None:
    for a in actions:
        if a.node is not None and (node is None or a.node == node):
            return a
    return None


def display_name(model: ClusterModel, rid: str) -> str:
    return rid


def summary_for(model: ClusterModel, asg: Assignment, plan: Actions,
                rid: str) -> list[SummaryItem]:
    rsc = model.resources[rid]
    roles = current_roles(model, rid)
    nxt = asg.nodes.get(rid)
    current = next(iter(roles), None)
    if current is None and rsc.orphan:
        return []
    if not is_managed(model, rid) or (current is None and nxt is None):
        return []
    role = max(roles.values(), default=Role.STOPPED)
    next_role = asg.roles.get(rid, Role.STOPPED)
    if nxt is not None and next_role == Role.STARTED and promotable(model, rid):
        next_role = Role.UNPROMOTED
    state = model.states.get(rid)
    # A failure read on a node already unclean is moot (history.py leaves it out).
    failed = bool(state and any(n in model.nodes for n in state.failed_nodes))
    moving = current is not None and nxt is not None and current != nxt
    start = first(plan.find(rid, "start"), nxt) if nxt else None
    stop_node = current if (start is not None and start.runnable) else None
    stop = first(plan.find(rid, "stop"), stop_node)
    promote = first(plan.find(rid, "promote"), nxt) if nxt else None
    demote = first(plan.find(rid, "demote"), nxt) if nxt else None
    need_role = promotable(model, rid)
    fmt = Formatter(rid, role, next_role, need_role)
    if start is not None and start.reason == INHIBITED:
        # Taken off its node by an interleaved ordering: a Stop where it runs (due to
        # the start of the instance it pairs with elsewhere, if any).
        out: list[SummaryItem] = []
        for node in roles:
            stop_op = first(plan.find(rid, "stop"), node)
            out.append(fmt.line("Stop", node, None, stop_op if stop_op and stop_op.reason
                                else None, None))
        return out
    if role == next_role and nxt is not None:
        if start is None or start.optional:
            if demote and promote and not demote.optional and not promote.optional:
                return [fmt.line("Re-promote", current, nxt, promote, demote)]
            return []
        if not start.runnable:
            return [fmt.line("Stop", current, None, stop, stop if (stop and stop.reason)
                             else start)]
        if moving and current:
            change = "Recover" if failed else "Migrate" if start.migrate else "Move"
            return [fmt.line(change, current, nxt, stop, None)]
        if failed:
            return [fmt.line("Recover", current, None, stop, None)]
        return [fmt.line("Restart", current, nxt, start, None)]
    if stop and (next_role == Role.STOPPED or (start is not None and not start.runnable)):
        out = []
        for node in roles:
            stop_op = first(plan.find(rid, "stop"), node)
            src = stop_op if (stop_op and stop_op.reason) else start
            out.append(fmt.line("Stop", node, None, stop_op, src))
        return out
    if stop is not None and failed and not stop.optional:
        return [fmt.line("Recover", current, nxt, stop, start)]
    if moving:
        return [fmt.line("Move", current, nxt, stop, None)]
    if next_role == Role.PROMOTED and promote is not None and role < Role.PROMOTED:
        return [fmt.line("Promote", current, nxt, promote, None)]
    if start is not None and not start.optional:
        return [fmt.line("Start", current, nxt, start, None)]
    if role == Role.PROMOTED:
        return [fmt.line("Demote", current, nxt, demote, None)]
    if next_role == Role.PROMOTED:
        return [fmt.line("Promote", current, nxt, promote, None)]
    if role == Role.STOPPED and next_role > Role.STOPPED:
        return [fmt.line("Start", current, nxt, start, None)]
    return []


@dataclass(frozen=True, slots=True)
class SummaryItem:
    """One resource line of the Transition Summary before its columns are laid out."""

    change: str
    rid: str
    details: str
    reason: str


def summary_text(items: list[SummaryItem]) -> list[str]:
    """The lines as crm_simulate lays them out: the resource column widens (to its length
    plus 2) whenever an id is longer than it, the details column (right-aligned) to the
    longest details; both start at 5."""
    rsc_width = detail_width = 5
    # crm_simulate lays the summary out twice (log, then screen): the screen copy starts
    # with the widths the whole first pass reached.
    for item in items:
        if len(item.rid) > rsc_width:
            rsc_width = len(item.rid) + 2
        detail_width = max(detail_width, len(item.details))
    out = []
    for item in items:
        reason = f"  {item.reason}" if item.reason else ""
        out.append(f"  * {item.change:<8}   {item.rid:<{rsc_width}}   "
                   f"( {item.details:>{detail_width}} ){reason}")
    return out


@dataclass(frozen=True, slots=True)
class Formatter:
    rid: str
    role: Role
    next_role: Role
    need_role: bool

    def line(self, change: str, origin: str | None, dest: str | None, action: Action | None,
             source: Action | None) -> SummaryItem:
        src = source or action
        reason = ""
        if action is not None and src is not None:
            if src.reason and not action.runnable:
                reason = f"due to {src.reason} (blocked)"
            elif src.reason:
                reason = f"due to {src.reason}"
            elif not action.runnable:
                reason = "blocked"
        elif action is None and src is not None and src.reason:
            reason = f"due to {src.reason}"
        return SummaryItem(change, self.rid, self.details(origin, dest), reason)

    def details(self, origin: str | None, dest: str | None) -> str:
        role, nrole = self.role.text, self.next_role.text
        need = self.role > Role.STARTED or self.next_role > Role.UNPROMOTED
        if need and origin is None:
            return f"{role} -> {nrole} {dest}"
        if origin is None:
            return f"{dest}"
        if need and dest is None:
            return f"{role} {origin}"
        if dest is None:
            return f"{origin}"
        if need and self.role == self.next_role and origin == dest:
            return f"{role} {dest}"
        if origin == dest:
            return f"{role} -> {nrole} {dest}" if need else f"{origin}"
        if self.role == self.next_role and need:
            return f"{origin} -> {dest} {role}"
        if self.role == self.next_role or not need:
            return f"{origin} -> {dest}"
        return f"{role} {origin} -> {nrole} {dest}"
