"""Unfencing: a node must be unfenced ("Fence (on)") before a resource that requires it
is probed or started there (Pacemaker Explained: fencing devices with
`provides=unfencing`, the `requires` meta-attribute).

Owns deciding which nodes get unfenced and what that forces: when any fencing device
provides unfencing, a resource requires unfencing unless its `requires` says quorum,
nothing or fencing; an online node not yet unfenced (no `#node-unfenced` attribute) that
will probe or start such a resource is unfenced, named after the first such resource in
configuration order; what already runs there and requires it restarts around the
unfencing. Must never place resources or do I/O; it only adds to the actions stage.
"""

from __future__ import annotations

from hacluster.scheduler.actions import Action, Actions, Plan
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.model import ClusterModel
from hacluster.scheduler.ordering import Edge
from hacluster.scheduler.probes import PROBE_TASK, probe_nodes, probes_of

UNFENCE_TASK = "stonith_on"
UNFENCED_ATTR = "#node-unfenced"


def provides_unfencing(model: ClusterModel) -> bool:
    return model.stonith_enabled and any(
        r.kind == "primitive" and r.is_fencing
        and model.meta(r.id, "provides", "").strip().lower() == "unfencing"
        for r in model.resources.values())


def requires_unfencing(model: ClusterModel, rid: str) -> bool:
    return model.meta(rid, "requires", "unfencing").strip().lower() == "unfencing"


def unfence_reasons(model: ClusterModel, asg: Assignment) -> dict[str, str]:
    """Node -> "required by <resource> <task>" for every node to unfence."""
    if not provides_unfencing(model):
        return {}
    probed = {n.name: set(p for rid in model.top for p in probes_of(model, asg, rid, n.name))
              for n in probe_nodes(model)}
    out: dict[str, str] = {}
    for name, node in model.nodes.items():
        if not node.online or node.unclean or UNFENCED_ATTR in node.attrs:
            continue
        needing = [rid for rid, rsc in model.resources.items() if rsc.kind == "primitive"
                   and not rsc.orphan and requires_unfencing(model, rid)]
        # A probe there asks first (probes come before any start), else a start there.
        probe = next((rid for rid in needing if rid in probed.get(name, ())), None)
        start = next((rid for rid in needing
                      if asg.nodes.get(rid) == name and node.can_run), None)
        if probe is not None:
            out[name] = f"required by {probe} monitor"
        elif start is not None:
            out[name] = f"required by {start} start"
    return out


def unfence(model: ClusterModel, asg: Assignment,
            created: Actions) -> tuple[Actions, tuple[Edge, ...]]:
    """The actions with unfencing added (a new value), and the stop -> unfence -> start
    and unfence -> probe edges on each unfenced node."""
    reasons = unfence_reasons(model, asg)
    if not reasons:
        return created, ()
    plan = Plan.thaw(created)
    edges: list[Edge] = []
    for node, reason in reasons.items():
        plan.unfenced[node] = reason
        on = plan.add(Action(None, UNFENCE_TASK, node, False))
        for rid, rsc in model.resources.items():
            if rsc.kind != "primitive" or not requires_unfencing(model, rid):
                continue
            edges.append(Edge(on.key, (rid, PROBE_TASK, node), frozenset()))
            for start in plan.find(rid, "start"):
                if start.node != node:
                    continue
                if not start.runnable:
                    continue
                stops = [a for a in plan.find(rid, "stop") if a.node == node]
                if stops and start.optional:  # running here: restarts around it
                    start = plan.update(start, optional=False,
                                        reason=start.reason or "required stonith")
                    for stop in stops:
                        plan.update(stop, optional=False)
                edges += [Edge(stop.key, on.key, frozenset()) for stop in stops]
                edges.append(Edge(on.key, start.key, frozenset()))
    return plan.freeze(), tuple(edges)
