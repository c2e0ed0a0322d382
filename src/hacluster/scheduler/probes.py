"""Probes: a one-time `monitor` (interval 0) of a resource on each node where its state is
unknown, and the orderings that make a start wait for them.

Owns deciding which probes exist (Pacemaker Explained: a resource is probed on every
online, clean node where it has no operation history; an anonymous clone once per node,
on one instance; none when enable-startup-probes is false or the resource is an orphan;
none where a location says resource-discovery=never, and with resource-discovery=
exclusive only on the nodes such locations name), the probe -> start edges, and the probe ->
stop edges of restarts the probed resource's start would cause (Pacemaker orders a probe
before the stop (demote) of every other resource whose start (promote) the probed
resource's start requires: if the probe finds it running, the transition aborts before
the needless restart; else an operator's cleanup of a clone instance restarted, and
then moved, what is colocated with it). Must never change an action the earlier stages
decided (probes are graph-only: the Transition Summary never lists them) or do I/O.
"""

from __future__ import annotations

from types import MappingProxyType

from hacluster.common import is_true
from hacluster.scheduler.actions import Action, Actions
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.edges import IMPLIES_THEN
from hacluster.scheduler.model import ClusterModel, Node
from hacluster.scheduler.ordering import Edge, Ordered
from hacluster.scheduler.policy import ancestors

PROBE_TASK = "monitor"


def probe_nodes(model: ClusterModel) -> tuple[Node, ...]:
    """Nodes where probes may run: online and clean."""
    if not is_true(model.prop("enable-startup-probes", "true"), default=True):
        return ()
    return tuple(n for n in model.nodes.values() if n.online and not n.unclean)


def known_on(model: ClusterModel, rid: str, node: str) -> bool:
    """Whether any primitive of `rid` has operation history on `node`."""
    for prim in model.primitives(rid):
        state = model.states.get(prim)
        if state is None:
            continue
        if node in state.roles:
            return True
        if node in state.probed_nodes and node in model.known_on.get(prim.split(":")[0], {}):
            return True  # a completed probe (a pending one does not count)
    return False


def anonymous_known_on(model: ClusterModel, rid: str, node: str) -> bool:
    """Whether `node` has history for any primitive of anonymous instance `rid` under any
    instance name (`rsc` or `rsc:N`)."""
    return any(node in model.known_on.get(prim.split(":")[0], {})
               for prim in model.primitives(rid))


Discovery = dict[tuple[str, str], str]  # (resource, node) -> never | exclusive


def discovery_modes(model: ClusterModel) -> Discovery:
    """The strongest resource-discovery of the locations naming each resource on each
    node (exclusive over never over always)."""
    rank = {"always": 0, "never": 1, "exclusive": 2}
    out: Discovery = {}
    for loc in model.locations:
        key = (loc.rsc, loc.node)
        if rank[loc.discovery] > rank[out.get(key, "always")]:
            out[key] = loc.discovery
    return out


def may_discover(model: ClusterModel, modes: Discovery, rid: str, node: str) -> bool:
    """Whether `rid` may be probed on `node`: locations of it or of what contains it."""
    if not modes:
        return True
    chain = [rid, *ancestors(model, rid)]
    here = [modes.get((r, node), "always") for r in chain]
    if "never" in here:
        return False
    exclusive = any(mode == "exclusive" for (r, _n), mode in modes.items() if r in chain)
    return not exclusive or "exclusive" in here


def probes_of(model: ClusterModel, asg: Assignment, rid: str, node: str,
              modes: Discovery | None = None) -> list[str]:
    """The primitives of `rid` to probe on `node`, in configuration order."""
    rsc = model.resources[rid]
    if rsc.orphan:
        return []
    if rsc.kind == "primitive":
        if modes and not may_discover(model, modes, rid, node):
            return []
        return [] if known_on(model, rid, node) else [rid]
    if rsc.kind == "clone" and not rsc.unique and rsc.children:
        if any(known_on(model, child, node) or anonymous_known_on(model, child, node)
               for child in rsc.children):
            return []
        chosen = next((c for c in rsc.children
                       if any(asg.nodes.get(p) == node for p in model.primitives(c))),
                      rsc.children[0])
        return probes_of(model, asg, chosen, node, modes)
    out: list[str] = []
    for child in rsc.children:
        out.extend(probes_of(model, asg, child, node, modes))
    return out


def create_probes(model: ClusterModel, asg: Assignment,
                  ordered: Ordered) -> tuple[list[Action], list[Edge]]:
    """Probe actions (mandatory, never pseudo), probe -> start edges for every start of
    the probed resource, on whichever node it starts, and probe -> restart edges."""
    probes, edges = probe_actions(model, asg, ordered.actions)
    after: dict[Key, list[Edge]] = {}
    for edge in (*ordered.edges, *edges):
        after.setdefault(edge.first, []).append(edge)
    for probe in probes:
        edges += restart_edges(model, ordered.actions, after, probe)
    return probes, edges


Key = tuple[str | None, str, str | None]
RESTARTED = MappingProxyType({"start": "stop", "promote": "demote"})
COMPLETES = MappingProxyType({"start": "running", "promote": "promoted", "running": "running",
                              "promoted": "promoted"})


def restart_edges(model: ClusterModel, plan: Actions, after: dict[Key, list[Edge]],
                  probe: Action) -> list[Edge]:
    """probe -> the live stops (demotes) of each other primitive whose start (promote)
    follows the probed resource's start through required orderings: mandatory ones, a
    collective's action to its members' (not from the probed primitive's own parent to
    its siblings; for an interleaved clone only to its instance on the probe's node), a
    member's start (or a collective's running) to its parent's running."""
    out: list[Edge] = []
    parent = model.resources[str(probe.rsc)].parent
    seen: set[Key] = set()
    todo = [e.then for e in after.get(probe.key, [])]
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        rid, task, _node = key
        if rid is not None and rid != probe.rsc and rid in model.resources \
                and model.resources[rid].kind == "primitive" and task in RESTARTED:
            out += [Edge(probe.key, a.key, frozenset()) for a in plan.find(rid, RESTARTED[task])
                    if a.runnable and not a.optional and not a.pseudo]
        todo += [e.then for e in after.get(key, []) if follows(model, e, parent, probe)]
    return out


def follows(model: ClusterModel, edge: Edge, parent: str | None, probe: Action) -> bool:
    """Does a start required by `edge.first` lead on to `edge.then`?"""
    if IMPLIES_THEN in edge.flags:
        return True
    first, then = edge.first[0], edge.then[0]
    if first is None or then is None or first not in model.resources \
            or then not in model.resources:
        return False
    if model.resources[then].parent == first:  # a collective to its members
        interleave = model.resources[first].kind == "clone" and is_true(
            model.meta(first, "interleave", "false"))
        return first != parent and (not interleave or edge.then[2] in (None, probe.node))
    return model.resources[first].parent == then and COMPLETES.get(edge.first[1]) == edge.then[1]


def probe_actions(model: ClusterModel, asg: Assignment,
                  plan: Actions) -> tuple[list[Action], list[Edge]]:
    """Probe actions and probe -> start edges."""
    probes: list[Action] = []
    edges: list[Edge] = []
    modes = discovery_modes(model)
    for node in probe_nodes(model):
        for rid in model.top:
            for prim in probes_of(model, asg, rid, node.name, modes):
                probe = Action(prim, PROBE_TASK, node.name, optional=False,
                               reason="probe")
                probes.append(probe)
                for start in plan.find(prim, "start"):
                    edges.append(Edge(probe.key, start.key, frozenset()))
                if rid != prim and model.resources[rid].kind == "clone":
                    # and before the clone's start (crm_simulate runs M_start_0 after
                    # the probes of M's instances)
                    edges.append(Edge(probe.key, (rid, "start", None), frozenset()))
    return probes, edges
