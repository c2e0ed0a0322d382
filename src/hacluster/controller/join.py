"""What the DC writes about the membership, and the scheduling copy's view of it.

Owns the join fields of each node's `node_state` as Pacemaker's DC writes them (`in_ccm`,
`crmd`, `join`, `expected`), whether a node that is gone left cleanly (its history and
transient attributes are then dropped), `have-quorum`/`dc-uuid`, and the patches that make a
scheduling copy of the CIB say what the DC knows before its writes are applied. Must never
do I/O. Spec: Pacemaker Explained "Node Status" (node_state), DESIGN.md §3b.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hacluster import __version__
from hacluster.cib import CIBRequest, parse_fragment
from hacluster.common import NodeId
from hacluster.controller.messages import CibWrite
from hacluster.controller.observe import ops_by_node
from hacluster.controller.records import (
    attrs_xml,
    cluster_property,
    node_names,
    node_state_of,
    transient_attrs,
)

CREATE = frozenset({"allow-create"})
# What the DC records about itself in crm_config, as Pacemaker's DC does: the version it
# runs (Pacemaker's "<version>-<build>": the Pacemaker we stand in for, then ours) and the
# cluster layer under it.
DC_PROPERTIES = (("dc-version", f"2.1.5-hacluster-{__version__}"),
                 ("cluster-infrastructure", "corosync"))
BOOTSTRAP = "cib-bootstrap-options"


def node_states(root: Any, members: Collection[NodeId],
                shutting: Collection[str]) -> list[tuple[dict[str, str], bool]]:
    """The join fields of each known node as the DC sees the membership, and whether the
    node left cleanly (its history and attributes are then forgotten)."""
    out = []
    for node_id, uname in sorted(node_names(root).items()):
        key = str(node_id)
        if NodeId(node_id) in members:
            out.append(({"id": key, "uname": uname, "in_ccm": "true", "crmd": "online",
                         "crm-debug-origin": "do_state_transition", "join": "member",
                         "expected": "member"}, False))
            continue
        state = node_state_of(root, key)
        if state is None:
            continue
        # attrd may drop a leaver's attributes first: what the DC saw counts too
        clean = "shutdown" in transient_attrs(root, key) or key in shutting \
            or state.get("expected") == "down"
        attrs = {"id": key, "uname": uname, "in_ccm": "false", "crmd": "offline",
                 "crm-debug-origin": "do_state_transition", "join": "down"}
        if clean:
            attrs["expected"] = "down"
        out.append((attrs, clean))
    return out


def node_state_writes(root: Any, members: Collection[NodeId],
                      shutting: Collection[str]) -> list[CibWrite]:
    """One status update per node (each may touch only its own node_state): these need
    no quorum, so a minority's DC records its view as well."""
    out: list[CibWrite] = []
    for attrs, clean in node_states(root, members, shutting):
        out.append(CibWrite(CIBRequest("modify", attrs_xml("node_state", attrs), "status",
                                       options=CREATE, status_of=attrs["id"])))
        if clean:
            out += forget_node(root, attrs["id"])
    return out


def forget_node(root: Any, node_id: str) -> list[CibWrite]:
    """A node that left cleanly (or was fenced) runs nothing: drop its history/attrs."""
    out: list[CibWrite] = []
    state = node_state_of(root, node_id)
    if state is not None and state.find("lrm") is not None:
        out.append(CibWrite(CIBRequest("delete", attrs_xml("lrm", {"id": node_id}),
                                       "status", status_of=node_id)))
    if state is not None and state.find("transient_attributes") is not None:
        out.append(CibWrite(CIBRequest("delete", attrs_xml("transient_attributes",
                                                           {"id": node_id}), "status",
                                       status_of=node_id)))
    return out


def cib_attrs_write(quorate: bool, members: Collection[NodeId], node_id: str) -> CibWrite:
    """have-quorum and dc-uuid: a status update of the DC's own (as Pacemaker's DC records
    them whatever the quorum), so a DC that lost quorum says so in the CIB."""
    return CibWrite(CIBRequest("modify", attrs_xml("cib", {
        "have-quorum": "1" if quorate else "0",
        "dc-uuid": str(int(min(members)))}), status_of=node_id))


def dc_properties_write(root: Any) -> CibWrite | None:
    """dc-version and cluster-infrastructure into cib-bootstrap-options, when the CIB
    does not say them yet (a configuration write: the DC sends it only with quorum)."""
    if root is None or all(cluster_property(root, name, "") == value
                           for name, value in DC_PROPERTIES):
        return None
    pairs = "".join(attrs_xml("nvpair", {"id": f"{BOOTSTRAP}-{name}", "name": name,
                                         "value": value}) for name, value in DC_PROPERTIES)
    block = attrs_xml("cluster_property_set", {"id": BOOTSTRAP}, pairs)
    return CibWrite(CIBRequest("modify", attrs_xml("crm_config", {}, block), "crm_config",
                               options=CREATE))


def patch_membership(root: Any, quorate: bool, members: Collection[NodeId],
                     shutting: Collection[str]) -> None:
    """Make a scheduling copy say what the DC knows and is writing anyway: quorum, itself
    as DC, each node's join fields (its write may not be applied yet)."""
    root.set("have-quorum", "1" if quorate else "0")
    root.set("dc-uuid", str(int(min(members))))
    status = root.find("status")
    if status is None:
        return
    for attrs, clean in node_states(root, members, shutting):
        state = node_state_of(root, attrs["id"])
        if state is None:
            state = root.makeelement("node_state", {})
            status.append(state)
        for name, value in attrs.items():
            state.set(name, value)
        if clean:
            for child in list(state):
                if child.tag in ("lrm", "transient_attributes"):
                    state.remove(child)


def patch_own_history(root: Any, node_id: str, lrm_xml: str) -> None:
    """The DC's own <lrm> in a scheduling copy is its history as it is now (it acts on
    its own results at once, before its write of them is in the CIB)."""
    state = node_state_of(root, node_id)
    if state is None:
        return
    for lrm in state.findall("lrm"):
        state.remove(lrm)
    state.append(parse_fragment(lrm_xml))


def recorded_active(root: Any, node_id: str) -> bool:
    """Does this node's lrm in the CIB still show a resource active there?"""
    if root is None:
        return False
    for (_node, _rsc, op_id), seen in ops_by_node(root, frozenset({node_id}))[node_id].items():
        if not op_id.endswith("_last_0"):
            continue
        if seen.operation == "stop" and seen.rc == 0 and seen.op_status == 0:
            continue
        if seen.operation == "monitor" and seen.rc == 7:
            continue
        return True
    return False
