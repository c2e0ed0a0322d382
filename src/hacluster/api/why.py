"""`crm_resource --why`: whether resources run, and what in the configuration stops them.

Owns Pacemaker 2.1.5's answer from the status the CIB records (no placement is computed):
with -r, whether that resource runs (anywhere, or on -N's node); with -N alone, what runs
on that node; with neither, every top-level resource. After each line, the reasons its
top-level resource's meta-attributes give: target-role Stopped ("should remain stopped"),
Unpromoted on a promotable clone ("should not be promoted"), is-managed false
("prevents cluster from stopping or starting unmanaged"). A resource inside a clone is
named as its first instance ("rsc:0"), as crm_resource finds it.
Must never print or parse command lines.
"""

from __future__ import annotations

from hacluster.api import cibedit, move
from hacluster.api.cibedit import error
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import Code, HaError, is_true

CLONE_TAGS = ("clone", "master")


def reasons(env: CIBEnvironment, rid: str, node: str, now_s: int) -> list[str]:
    root = env.read().root
    if rid:
        element = cibedit.find_resource(root, rid)
        if element is None:
            raise HaError([error(Code.RSC_NOT_FOUND, f"Resource '{rid}' not found", id=rid)])
        return one_resource(root, element, node, now_s)
    if node and node not in cibedit.node_names(root):
        raise HaError([error(Code.NODE_NOT_FOUND, f"Node '{node}' not found", node=node)])
    lines: list[str] = []
    for element in top_level(root):
        where = {loc.node for loc in running(root, element, now_s)}
        name = str(element.get("id"))
        if node and node not in where:
            continue
        state = f"running on host {node}" if node else \
            ("running" if where else "not running")
        lines += [f"Resource {name} is {state}", *checks(root, element)]
    return lines


def one_resource(root: XMLElement, element: XMLElement, node: str, now_s: int) -> list[str]:
    where = {loc.node for loc in running(root, element, now_s)}
    name = instance_name(element)
    if node:
        state = "running" if node in where else "not running"
        head = f"Resource {name} is {state} on host {node}"
    else:
        head = f"Resource {name} is {'running' if where else 'not running'}"
    return [head, *checks(root, element)]


def top_level(root: XMLElement) -> list[XMLElement]:
    resources = root.find("configuration/resources")
    return [e for e in resources if e.tag in cibedit.RESOURCE_TAGS] \
        if resources is not None else []


def running(root: XMLElement, element: XMLElement, now_s: int) -> list[move.Location]:
    return move.resource_locations(root, str(element.get("id")), now_s) or []


def instance_name(element: XMLElement) -> str:
    """crm_resource finds a resource inside a clone as the clone's first instance."""
    inside = any(a.tag in CLONE_TAGS for a in element.iterancestors())
    return f"{element.get('id')}:0" if inside else str(element.get("id"))


def instance_id(env: CIBEnvironment, rid: str) -> str:
    """The name crm_resource gives the resource it finds for `rid` ("rsc:0" in a clone)."""
    element = cibedit.find_resource(env.read().root, rid)
    return instance_name(element) if element is not None else rid


def uber_parent(element: XMLElement) -> XMLElement:
    top = element
    for ancestor in element.iterancestors():
        if ancestor.tag in cibedit.RESOURCE_TAGS:
            top = ancestor
    return top


def meta_value(element: XMLElement, name: str) -> str | None:
    for nvpair in element.iterfind("meta_attributes/nvpair"):
        if nvpair.get("name") == name:
            return nvpair.get("value")
    return None


def checks(root: XMLElement, element: XMLElement) -> list[str]:
    """The reasons the top-level resource's own meta-attributes give."""
    del root
    parent = uber_parent(element)
    pid = parent.get("id")
    role = (meta_value(parent, "target-role") or "").lower()
    promotable = parent.tag == "master" or is_true(meta_value(parent, "promotable"))
    found = []
    if role == "stopped":
        found.append(f"Configuration specifies '{pid}' should remain stopped")
    elif role in ("unpromoted", "slave") and promotable:
        found.append(f"Configuration specifies '{pid}' should not be promoted")
    managed = meta_value(parent, "is-managed")
    if managed is not None and not is_true(managed):
        found.append(f"Configuration prevents cluster from stopping or starting unmanaged "
                     f"'{pid}'")
    return found
