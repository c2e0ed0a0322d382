"""What `pcs status` says around crm_mon's text: the cluster's name and its warnings.

Owns: the cluster name (corosync.conf's totem cluster_name when a corosync.conf is given,
else the cluster-name property), and the warnings pcs 0.11 puts first: no fencing device
while stonith-enabled is not false, and move/ban constraints (ids "cli-...") still in place
with how to clear them. Must never print: the cli shows the lines.
Spec: pcs 0.11 `pcs status`; Pacemaker Explained, "Fencing" (stonith-enabled).
"""

from __future__ import annotations

from hacluster.api import cibedit
from hacluster.cib import XMLElement
from hacluster.common import is_true
from hacluster.config import load_config


def cluster_name(root: XMLElement, corosync_text: str | None, live_name: str = "") -> str:
    """corosync.conf's name (the given text's, else the running node's), else the
    cluster-name property."""
    if live_name:
        return live_name
    if corosync_text is not None:
        return load_config(corosync_text, "corosync.conf")[0].totem.cluster_name
    values = cibedit.find_values(root, "/cib/configuration/crm_config/cluster_property_set/"
                                 "nvpair[@name='cluster-name']/@value")
    return values[-1] if values else ""


def quoted_list(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in sorted(set(names)))


def warnings(root: XMLElement) -> list[str]:
    found: list[str] = []
    enabled = cibedit.find_values(root, "/cib/configuration/crm_config/cluster_property_set/"
                                  "nvpair[@name='stonith-enabled']/@value")
    devices = cibedit.find_all(root, "/cib/configuration/resources//primitive"
                                     "[@class='stonith']")
    if is_true(enabled[-1] if enabled else "true") and not devices:
        found.append("No stonith devices and stonith-enabled is not false")
    moved = cibedit.find_values(root, "/cib/configuration/constraints/rsc_location"
                                      "[starts-with(@id, 'cli-')]/@rsc")
    if moved:
        found.append("Following resources have been moved and their move constraints are "
                     f"still in place: {quoted_list(moved)}")
        found.append("Run 'pcs constraint location' or 'pcs resource clear <resource id>' to "
                     "view or remove the constraints, respectively")
    return found
