"""Which of this node's resources are in maintenance: their recurring monitors are paused.

Owns the reading of the three switches Pacemaker Explained describes: the cluster property
`maintenance-mode`, the node attribute `maintenance` (permanent in the nodes section or
transient in the node's status), and the resource meta-attribute `maintenance` (on the
primitive, a group/clone/bundle holding it, or rsc_defaults). While one holds, the cluster
starts and stops nothing there (the scheduler's part) and the node cancels the resource's
recurring monitors; when it ends they run again. `is-managed=false` is not maintenance:
monitors go on. Must never do I/O. Spec: Pacemaker Explained "Cluster Options"
(maintenance-mode), "Node Attributes" (maintenance), "Resource Meta-Attributes"; the real
crm_simulate plans `cancel=<interval>` for each of the three, nothing for is-managed=false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hacluster.common import is_true
from hacluster.controller.records import cluster_property, nvpairs, transient_attrs

HOLDERS = ("primitive", "group", "clone", "master", "bundle")


@dataclass(frozen=True, slots=True)
class Maintenance:
    """Everything on this node (cluster or node switch), or these primitives only."""

    everything: bool
    primitives: frozenset[str]

    def covers(self, rsc_id: str) -> bool:
        """Is this lrm resource id (a primitive's, or a unique clone instance's) paused?"""
        return self.everything or rsc_id.split(":")[0] in self.primitives


NONE = Maintenance(False, frozenset())


def maintenance_on(root: Any, node_id: str) -> Maintenance:
    """What is in maintenance on node `node_id` by the CIB `root`."""
    if root is None:
        return NONE
    if is_true(cluster_property(root, "maintenance-mode", "false")):
        return Maintenance(True, frozenset())
    if node_in_maintenance(root, node_id):
        return Maintenance(True, frozenset())
    default = is_true(nvpairs(root.find("configuration/rsc_defaults"),
                              "meta_attributes").get("maintenance"))
    found: set[str] = set()
    resources = root.find("configuration/resources")
    if resources is not None:
        _walk(resources, default, found)
    return Maintenance(False, frozenset(found)) if found else NONE


def node_in_maintenance(root: Any, node_id: str) -> bool:
    """The node attribute: transient (status) first, as it outranks the permanent one."""
    transient = transient_attrs(root, node_id).get("maintenance")
    if transient is not None:
        return is_true(transient)
    for node in root.iterfind("configuration/nodes/node"):
        if node.get("id") == node_id:
            return is_true(nvpairs(node, "instance_attributes").get("maintenance"))
    return False


def _walk(parent: Any, inherited: bool, found: set[str]) -> None:
    for child in parent:
        if child.tag not in HOLDERS:
            continue
        own = nvpairs(child, "meta_attributes").get("maintenance")
        flag = inherited if own is None else is_true(own)
        if child.tag == "primitive":
            if flag:
                found.add(str(child.get("id")))
        else:
            _walk(child, flag, found)
