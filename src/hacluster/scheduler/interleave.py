"""Interleaved clone orderings (Pacemaker Explained: clone option interleave): an instance
of the 'then' clone follows only the instance of the 'first' clone on its own node.

Owns which 'then' instances are inhibited: one placed on a node where the first clone of a
mandatory start (or promote) ordering has no instance, or only an inhibited one, cannot be
active there. Pacemaker then takes it off its node after placement, so nothing is listed
for it, or a Stop when it runs there; inhibiting cascades along chains of such orderings.
Taken off, it pairs with the first clone's instance on the best node of its own scores
that has one (pair_elsewhere): when that instance starts, the Stop is "due to required
<instance> start". Must never create actions or do I/O: the ordering stage reads this set.
"""

from __future__ import annotations

from hacluster.common import is_true
from hacluster.scheduler.assign import Assignment
from hacluster.scheduler.model import ClusterModel, Order
from hacluster.scheduler.scores import LazyTable

# The reason an inhibited instance's start carries (never printed: see graph.summary_for).
INHIBITED = "inhibited by an interleaved ordering"


def interleaves(model: ClusterModel, order: Order) -> bool:
    first, then = model.resources[order.first], model.resources[order.then]
    return (first.kind == "clone" and then.kind == "clone"
            and is_true(model.meta(order.then, "interleave", "false")))


def inhibiting(model: ClusterModel, order: Order) -> bool:
    clone_min = int(model.meta(order.first, "clone-min", "0") or 0)  # a clone-min order
    return (order.kind == "Mandatory" and order.require_all and interleaves(model, order)
            and clone_min <= 0 and order.first_action in ("start", "promote")
            and order.then_action in ("start", "promote"))


def inhibited_instances(model: ClusterModel, asg: Assignment) -> frozenset[str]:
    """The 'then' instances (top-level instance ids) inhibited by interleaved orderings,
    to a fixed point."""
    orders = [o for o in model.orders if inhibiting(model, o)]
    out: set[str] = set()
    changed = bool(orders)
    while changed:
        changed = False
        for order in orders:
            firsts = {asg.nodes.get(f) for f in model.resources[order.first].children
                      if f not in out}
            for inst in model.resources[order.then].children:
                node = asg.nodes.get(inst)
                if node is not None and inst not in out and node not in firsts:
                    out.add(inst)
                    changed = True
    return frozenset(out)


def pair_elsewhere(model: ClusterModel, asg: Assignment, order: Order, inst: str,
                   inhibited: frozenset[str]) -> str | None:
    """The 'first' instance an inhibited 'then' instance pairs with once it is off its
    node: the one placed on the best node of its last table (ties by node name)."""
    prims = model.primitives(inst)
    table = last_table(asg, prims[0]) if prims else {}
    for node in sorted(table, key=lambda n: (-table[n], n)):
        for first in model.resources[order.first].children:
            if first not in inhibited and asg.nodes.get(first) == node:
                return first
    return None


def last_table(asg: Assignment, prim: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for fn, rid, _node, table in asg.scores:
        if fn == "pcmk__primitive_assign" and rid == prim:
            value = table.get() if isinstance(table, LazyTable) else table
            if isinstance(value, dict):
                found = value
    return found
