"""Where node attributes live in the CIB, as CIB requests: what attrd's writes become.

Owns the layout Pacemaker's attrd and crm_attribute use: transient attributes (lifetime
"reboot") in status/node_state[@id]/transient_attributes/instance_attributes "status-<id>",
permanent ones ("forever") in nodes/node[@id]/instance_attributes "nodes-<id>", each nvpair
with the id "<set id>-<name>" made XML-safe. Pure: builds CIBRequests, applies nothing.
"""

from __future__ import annotations

import re

from hacluster.cib.document import CIBDocument
from hacluster.cib.requests import CIBRequest
from hacluster.common import xml_quoteattr as quoteattr

LIFETIMES = ("reboot", "forever")


def sanitize_id(text: str) -> str:
    """An XML id from any text ("fail-count-d1#start_0" -> "fail-count-d1.start_0")."""
    return re.sub(r"[^A-Za-z0-9_.\-]", ".", text)


def _element(tag: str, attrs: dict[str, str], inner: str = "") -> str:
    text = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{text}>{inner}</{tag}>" if inner else f"<{tag}{text}/>"


def attribute_nvpair_id(node_id: str, name: str, lifetime: str) -> str:
    prefix = "status" if lifetime == "reboot" else "nodes"
    return sanitize_id(f"{prefix}-{node_id}-{name}")


def node_attribute_request(node_id: str, node_name: str, name: str, value: str | None,
                           lifetime: str = "reboot") -> CIBRequest:
    """Set (value) or remove (None) attribute `name` of the node `node_id`/`node_name`."""
    assert lifetime in LIFETIMES, f"unknown lifetime {lifetime!r}"
    nvpair_id = attribute_nvpair_id(node_id, name, lifetime)
    section = "status" if lifetime == "reboot" else "nodes"
    if value is None:
        return CIBRequest("delete", _element("nvpair", {"id": nvpair_id}), section)
    nvpair = _element("nvpair", {"id": nvpair_id, "name": name, "value": value})
    if lifetime == "reboot":
        block = _element("instance_attributes", {"id": f"status-{node_id}"}, nvpair)
        xml = _element("node_state", {"id": node_id, "uname": node_name},
                       _element("transient_attributes", {"id": node_id}, block))
    else:
        block = _element("instance_attributes", {"id": f"nodes-{node_id}"}, nvpair)
        xml = _element("node", {"id": node_id, "uname": node_name}, block)
    return CIBRequest("modify", xml, section, options=frozenset({"allow-create"}))


def node_id_of(doc: CIBDocument, node_name: str) -> str | None:
    """The id of the node called `node_name` in the nodes section (or a node_state)."""
    for path in ("configuration/nodes/node", "status/node_state"):
        for element in doc.root.iterfind(path):
            if element.get("uname") == node_name and element.get("id"):
                return str(element.get("id"))
    return None


def node_attributes(doc: CIBDocument, name: str | None = None,
                    node_name: str | None = None) -> list[tuple[str, str, str, str]]:
    """(node name, attribute, value, lifetime) of every node attribute in the CIB,
    optionally of one name and/or one node, in document order."""
    names = {str(n.get("id")): str(n.get("uname") or n.get("id"))
             for n in doc.root.iterfind("configuration/nodes/node")}
    found: list[tuple[str, str, str, str]] = []
    sources = (("status/node_state", "transient_attributes/instance_attributes/nvpair", "reboot"),
               ("configuration/nodes/node", "instance_attributes/nvpair", "forever"))
    for path, inner, lifetime in sources:
        for element in doc.root.iterfind(path):
            node = names.get(str(element.get("id")), str(element.get("uname") or ""))
            if node_name is not None and node != node_name:
                continue
            for nvpair in element.iterfind(inner):
                if name is None or nvpair.get("name") == name:
                    found.append((node, str(nvpair.get("name")), str(nvpair.get("value", "")),
                                  lifetime))
    return found
