"""crm_attribute's commands: query, set and delete cluster properties and node attributes.

Owns what crm_attribute does once its options are parsed: the scope (crm_config without a
node; with a node "nodes" for lifetime forever, the default, and "status" for reboot), the
existing nvpair to update (found by name, as Pacemaker does, so an id someone else chose is
kept), and where a write goes: the CIB for crm_config and nodes; for transient (status)
attributes on a live cluster, attrd (so attrd knows the value and its writer keeps it),
the CIB directly with CIB_file. Must never print or parse command lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacluster.api import attrd
from hacluster.api.env import CIBEnvironment, CibFile
from hacluster.cib import CIBDocument, CIBRequest, node_attribute_request, node_id_of
from hacluster.common import Code, HaError
from hacluster.common import xml_quoteattr as quoteattr

SCOPES = ("crm_config", "nodes", "status")
PROPERTY_SET = "cib-bootstrap-options"


@dataclass(frozen=True, slots=True)
class Found:
    scope: str
    name: str
    value: str
    nvpair_id: str


def scope_of(node: str | None, lifetime: str | None, scope: str | None) -> str:
    if scope is not None:
        if scope not in SCOPES:
            raise HaError.single(Code.ATTR_INVALID,
                                 f"unsupported type {scope!r}: crm_config, nodes or status")
        return scope
    if node is None:
        return "crm_config"
    return "status" if lifetime == "reboot" else "nodes"


def get(env: CIBEnvironment, name: str, node: str | None = None, lifetime: str | None = None,
        scope: str | None = None) -> Found:
    where = scope_of(node, lifetime, scope)
    doc = env.read()
    found = _find(doc, where, name, _node_id(doc, node, where))
    if found is None:
        raise HaError.single(Code.ATTR_NOT_FOUND,
                             "Error performing operation: No such device or address", name=name)
    return found


def get_all(env: CIBEnvironment, node: str | None = None, lifetime: str | None = None,
            scope: str | None = None) -> list[Found]:
    """A query without a name: every attribute of the scope (and node), in CIB order."""
    where = scope_of(node, lifetime, scope)
    doc = env.read()
    return _find_all(doc, where, _node_id(doc, node, where))


def set_value(env: CIBEnvironment, name: str, value: str, node: str | None = None,
              lifetime: str | None = None, scope: str | None = None) -> None:
    where = scope_of(node, lifetime, scope)
    problems = attrd.check_update(name, value, "reboot", 0)
    if problems:
        raise HaError(problems)
    doc = env.read()
    node_id = _node_id(doc, node, where)
    if where == "status" and not isinstance(env, CibFile):
        attrd.update(env, name, value, node, "reboot")
        return
    env.submit(_set_request(doc, where, name, value, node, node_id))


def delete(env: CIBEnvironment, name: str, node: str | None = None,
           lifetime: str | None = None, scope: str | None = None) -> str:
    """Remove the attribute; the line crm_attribute prints (empty when there was none)."""
    where = scope_of(node, lifetime, scope)
    doc = env.read()
    node_id = _node_id(doc, node, where)
    found = _find(doc, where, name, node_id)
    if found is None:
        return ""
    if where == "status" and not isinstance(env, CibFile):
        attrd.update(env, name, None, node, "reboot")
    else:
        env.submit(CIBRequest("delete", f"<nvpair id={quoteattr(found.nvpair_id)}/>", where))
    kind = "option" if where == "crm_config" else "attribute"
    return f"Deleted {where} {kind}: id={found.nvpair_id} name={name}"


def check_node(env: CIBEnvironment, node: str) -> None:
    """HaError (Pacemaker's words) when `node` is not in the CIB's nodes."""
    _node_id(env.read(), node, "nodes")


def missing_status_set(env: CIBEnvironment, node: str | None) -> str:
    """On a CIB file, a node with no <node_state> has nowhere for a transient attribute
    (Pacemaker's tool fails there): the set id it would have used, "" when there is one
    or on a live cluster (attrd writes it)."""
    if not isinstance(env, CibFile) or node is None:
        return ""
    doc = env.read()
    node_id = node_id_of(doc, node)
    if node_id is None or doc.root.find(f"status/node_state[@id='{node_id}']") is not None:
        return ""
    return f"status-{node_id}"


def _node_id(doc: CIBDocument, node: str | None, scope: str) -> str | None:
    if scope == "crm_config":
        return None
    if node is None:
        raise HaError.single(Code.ATTR_UNKNOWN_NODE, f"a node (-N) is needed for {scope}")
    node_id = node_id_of(doc, node)
    if node_id is None:
        raise HaError.single(Code.ATTR_UNKNOWN_NODE, f"Could not map name={node} to a UUID",
                             node=node)
    return node_id


def _find(doc: CIBDocument, scope: str, name: str, node_id: str | None) -> Found | None:
    return next((f for f in _find_all(doc, scope, node_id) if f.name == name), None)


def _find_all(doc: CIBDocument, scope: str, node_id: str | None) -> list[Found]:
    if scope == "crm_config":
        paths = ["configuration/crm_config/cluster_property_set/nvpair"]
    elif scope == "nodes":
        paths = [f"configuration/nodes/node[@id='{node_id}']/instance_attributes/nvpair"]
    else:
        paths = [f"status/node_state[@id='{node_id}']/transient_attributes/"
                 "instance_attributes/nvpair"]
    return [Found(scope, str(nvpair.get("name", "")), str(nvpair.get("value", "")),
                  str(nvpair.get("id"))) for path in paths for nvpair in doc.root.iterfind(path)]


def _set_request(doc: CIBDocument, scope: str, name: str, value: str, node: str | None,
                 node_id: str | None) -> CIBRequest:
    existing = _find(doc, scope, name, node_id)
    if scope == "crm_config":
        set_id = PROPERTY_SET
        nvpair_id = f"{PROPERTY_SET}-{name}"
        if existing is not None:
            nvpair_id = existing.nvpair_id
            for props in doc.root.iterfind("configuration/crm_config/cluster_property_set"):
                if any(nv.get("id") == nvpair_id for nv in props.iterfind("nvpair")):
                    set_id = str(props.get("id"))
        xml = (f"<cluster_property_set id={quoteattr(set_id)}><nvpair id={quoteattr(nvpair_id)} "
               f"name={quoteattr(name)} value={quoteattr(value)}/></cluster_property_set>")
        return CIBRequest("modify", xml, "crm_config", options=frozenset({"allow-create"}))
    assert node is not None and node_id is not None
    if existing is not None:
        return CIBRequest("modify", f"<nvpair id={quoteattr(existing.nvpair_id)} "
                          f"name={quoteattr(name)} value={quoteattr(value)}/>", scope)
    lifetime = "reboot" if scope == "status" else "forever"
    return node_attribute_request(node_id, node, name, value, lifetime)
