"""`crm_mon -1 -n`: the status grouped by node, as Pacemaker 2.1.5 prints it.

Owns the Node List where every node stands on its own line ("* Node NAME: STATE:") with
the resources active there under "* Resources:", and, with -r, the "Inactive Resources"
section (the top-level resources active nowhere, rendered as in the plain listing).
Must never read the CIB or print: it returns lines.
"""

from __future__ import annotations

from hacluster.api import status as st
from hacluster.cli import render


def node_state(node: st.NodeStatus) -> str:
    text = render.node_state_text(node)
    if text is not None:
        return text
    return "online" if node.online else "OFFLINE"


def by_node_lines(view: st.StatusView, inactive: bool) -> list[str]:
    lines: list[str] = []
    if view.nodes:
        lines += ["", "Node List:"]
    for node in view.nodes:
        lines += [f"  * Node {node.name}: {node_state(node)}:", "    * Resources:"]
        lines += ["      " + render.primitive_line(p)
                  for p in st.iter_primitives(view.resources) if node.name in p.nodes]
    if inactive:
        idle = [r for r in view.resources if not any(
            p.nodes for p in st.iter_primitives([r]))]
        lines += ["", "Inactive Resources:"]
        lines += (["  " + ln for ln in render.resource_lines(idle, True)]
                  or ["  * No inactive resources"])
    return lines
