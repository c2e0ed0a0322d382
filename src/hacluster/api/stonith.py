"""Fencing topology: `pcs stonith level add|remove|config` (the fencing-topology section).

Owns fencing-level elements (index, target, devices) with pcs's ids (fl-<target>-<index>)
and their checks: the level is a positive integer, every device exists as a stonith
resource, the target is a configured node (forceable). Spec: Pacemaker Explained,
"Fencing Topology". Must never print or parse command lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from hacluster.api import cibedit
from hacluster.api.cibedit import error
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import Code, Problem


def level_add(env: CIBEnvironment, level: str, target: str, devices: Sequence[str],
              force: bool = False) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        problems: list[Problem] = []
        if not level.isdigit() or int(level) < 1:
            problems.append(error(Code.TOOL_BAD_VALUE, f"'{level}' is not a valid level value, "
                                  "use a positive integer"))
        if target not in cibedit.node_names(root):
            problems.append(error(Code.NODE_NOT_FOUND, f"Node '{target}' does not appear to "
                                  "exist in configuration", forceable=True, node=target))
        for device in devices:
            found = cibedit.find_resource(root, device)
            if found is None or found.get("class") != "stonith":
                problems.append(error(Code.RSC_NOT_FOUND, f"Stonith resource(s) '{device}' do "
                                      "not exist", forceable=True, id=device))
        topology = cibedit.section(root, "fencing-topology")
        for existing in topology.findall("fencing-level"):
            if existing.get("target") == target and existing.get("index") == level:
                problems.append(error(Code.RSC_ID_EXISTS, f"Fencing level for '{target}' at "
                                      f"level '{level}' with device(s) "
                                      f"'{existing.get('devices')}' already exists"))
        cibedit.sub_element(topology, "fencing-level", {
            "id": cibedit.unique_id(root, f"fl-{target}-{level}"), "target": target,
            "index": level, "devices": ",".join(devices)})
        return problems

    return cibedit.change(env, edit, force)


def level_remove(env: CIBEnvironment, level: str, target: str = "") -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        found = [e for e in cibedit.find_all(root, "//fencing-topology/fencing-level")
                 if e.get("index") == level and (not target or e.get("target") == target)]
        if not found:
            return [error(Code.CONSTRAINT_NOT_FOUND, f"Fencing level at level '{level}' does "
                          "not exist")]
        for element in found:
            cibedit.remove_element(element)
        return []

    return cibedit.change(env, edit)


def levels(env: CIBEnvironment) -> list[tuple[str, str, str]]:
    """(target, index, devices) of every fencing level."""
    return [(str(e.get("target", "")), str(e.get("index", "")), str(e.get("devices", "")))
            for e in cibedit.find_all(env.read().root, "//fencing-topology/fencing-level")]
