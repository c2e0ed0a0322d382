"""Schema upgrade (cibadmin --upgrade): pacemaker-1.2/2.x forms rewritten as pacemaker-3.7 ones.

Owns the rewrites: <master> → <clone> with meta promotable=true; roles Master/Slave →
Promoted/Unpromoted in constraints, resource sets, ops, rules and target-role; rsc_order
`score` → `kind`; cluster options that became defaults (default-resource-stickiness,
is-managed-default, default-action-timeout) moved to rsc_defaults/op_defaults; validate-with
set to the newest schema we write and crm_feature_set capped at 3.16.1.
Must never do I/O. Spec: Pacemaker Explained, "Upgrading the Configuration" and the
deprecation notes of 2.0/2.1 (promotable clones, role names, order kinds).
"""

from __future__ import annotations

from types import MappingProxyType

from hacluster.cib.diff import finish_update
from hacluster.cib.document import (
    DEFAULT_SCHEMA,
    NEWEST_FEATURE_SET,
    CIBDocument,
    XMLElement,
    child_elements,
    iter_elements,
    make_element,
    xpath_elements,
)
from hacluster.cib.ops import Update
from hacluster.cib.validate import feature_set_tuple
from hacluster.common import parse_score

ROLE_NAMES = MappingProxyType({"Master": "Promoted", "Slave": "Unpromoted"})
ROLE_ATTRS = frozenset({"role", "rsc-role", "with-rsc-role", "first-role", "then-role"})
# Cluster options that Pacemaker 2.0 moved to resource/operation defaults.
MOVED_OPTIONS = MappingProxyType({
    "default-resource-stickiness": ("rsc_defaults", "resource-stickiness"),
    "is-managed-default": ("rsc_defaults", "is-managed"),
    "default-action-timeout": ("op_defaults", "timeout"),
})


def _unique_id(wanted: str, taken: set[str]) -> str:
    candidate, n = wanted, 0
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    taken.add(candidate)
    return candidate


def _master_to_clone(master: XMLElement, taken: set[str]) -> None:
    master.tag = "clone"
    meta = next((c for c in child_elements(master) if c.tag == "meta_attributes"), None)
    master_id = master.get("id", "")
    if meta is None:
        meta = make_element("meta_attributes",
                            {"id": _unique_id(f"{master_id}-meta_attributes", taken)})
        master.insert(0, meta)
    existing = [n for n in child_elements(meta) if n.get("name") == "promotable"]
    if existing:
        existing[0].set("value", "true")
        return
    meta.append(make_element("nvpair", {
        "id": _unique_id(f"{master_id}-meta_attributes-promotable", taken),
        "name": "promotable", "value": "true"}))


def _rename_roles(element: XMLElement) -> None:
    for name in ROLE_ATTRS:
        value = element.get(name, "")
        if value in ROLE_NAMES:
            element.set(name, ROLE_NAMES[value])
    if element.tag == "nvpair" and element.get("name") == "target-role":
        value = element.get("value", "")
        if value in ROLE_NAMES:
            element.set("value", ROLE_NAMES[value])


def _order_kind(order: XMLElement) -> None:
    score_text = order.get("score")
    if score_text is None:
        return
    del order.attrib["score"]
    if order.get("kind") is None:
        score = parse_score(score_text)
        order.set("kind", "Mandatory" if score is not None and score > 0 else "Optional")


def _defaults_set(root: XMLElement, section: str, taken: set[str]) -> XMLElement:
    configuration = xpath_elements(root, "/cib/configuration")[0]
    holder = configuration.find(section)
    if holder is None:
        holder = make_element(section)
        configuration.append(holder)
    meta = holder.find("meta_attributes")
    if meta is None:
        meta = make_element("meta_attributes", {"id": _unique_id(f"{section}-options", taken)})
        holder.append(meta)
    return meta


def _move_options(root: XMLElement, taken: set[str]) -> None:
    for nvpair in xpath_elements(root, "/cib/configuration/crm_config/*/nvpair"):
        moved = MOVED_OPTIONS.get(nvpair.get("name", ""))
        if moved is None:
            continue
        section, new_name = moved
        meta = _defaults_set(root, section, taken)
        if not any(n.get("name") == new_name for n in child_elements(meta)):
            meta.append(make_element("nvpair", {
                "id": _unique_id(f"{section}-{new_name}", taken),
                "name": new_name, "value": nvpair.get("value", "")}))
        parent = nvpair.getparent()
        assert parent is not None
        parent.remove(nvpair)


def upgrade_root(root: XMLElement) -> None:
    """Rewrite a copied tree in place into pacemaker-3.7 forms."""
    taken = {e.get("id", "") for e in iter_elements(root) if e.get("id") is not None}
    for master in xpath_elements(root, "/cib/configuration/resources//master"):
        _master_to_clone(master, taken)
    for element in iter_elements(root):
        _rename_roles(element)
        if element.tag == "rsc_order":
            _order_kind(element)
    _move_options(root, taken)
    root.set("validate-with", DEFAULT_SCHEMA)
    feature_set = feature_set_tuple(root.get("crm_feature_set", "0"))
    newest = feature_set_tuple(NEWEST_FEATURE_SET)
    if feature_set is None or (newest is not None and feature_set > newest):
        root.set("crm_feature_set", NEWEST_FEATURE_SET)


def upgrade(doc: CIBDocument) -> Update:
    """The CIB rewritten for pacemaker-3.7, as a configuration change (epoch+1)."""
    root = doc.copy_root()
    upgrade_root(root)
    return finish_update(doc, root)
