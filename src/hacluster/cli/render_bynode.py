"""`crm_mon -1 -n`: the status grouped by node, as Pacemaker 2.1.5 prints it.

Owns the Node List where every node stands on its own line ("* Node NAME: STATE:") with
the resources active there under "* Resources:", and, with -r, the "Inactive Resources"
section (the top-level resources with any part inactive, rendered as in the plain
listing).
Must never read the CIB or print: it returns lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from hacluster.api import status as st
from hacluster.cli import render


def node_state(node: st.NodeStatus) -> str:
    text = render.node_state_text(node)
    if text is not None:
        return text
    return "online" if node.online else "OFFLINE"


def resource_line(p: st.PrimitiveStatus) -> str:
    """A resource under its node, by its displayed id (an anonymous clone's instance by the
    bare id), its role without the node."""
    return f"* {p.id}\t({p.agent}):\t {render.primitive_state(replace(p, nodes=()))}"


def by_node_lines(view: st.StatusView, inactive: bool,
                  order: Mapping[str, Sequence[str]]) -> list[str]:
    """`order`: each node's resources in the order its history records them."""
    lines: list[str] = []
    if view.nodes:
        lines += ["", "Node List:"]
    for node in view.nodes:
        lines += [f"  * Node {node.name}: {node_state(node)}:", "    * Resources:"]
        here = [p for p in st.iter_primitives(view.resources) if node.name in p.nodes]
        recorded = list(order.get(node.name, ()))

        def place(p: st.PrimitiveStatus, recorded: list[str] = recorded) -> int:
            bases = [r.split(":")[0] for r in recorded]
            if p.key in recorded:
                return recorded.index(p.key)
            base = (p.key or p.id).split(":")[0]
            return bases.index(base) if base in bases else len(recorded)

        lines += ["      " + resource_line(p) for p in sorted(here, key=place)]
    if inactive:
        # a resource with any part inactive is listed whole, as in the plain listing
        idle = [r for r in view.resources if not all(
            p.nodes for p in st.iter_primitives([r]))]
        lines += ["", "Inactive Resources:"]
        lines += (["  " + ln for ln in render.resource_lines(idle, True)]
                  or ["  * No inactive resources"])
    return lines
