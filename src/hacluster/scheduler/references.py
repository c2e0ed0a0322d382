"""Resource templates and tags, expanded before the CIB is unpacked (Pacemaker Explained,
"Reusing Parts of the Configuration": resource templates, tagging resources).

A primitive with `template="T"` is the template's definition under the primitive's id:
the template's class/provider/type and attribute sets first, the primitive's own sets
after them (so on equal scores the primitive's win, see rules.merged_sets), and the
primitive's operations plus each template operation whose name, interval and role the
primitive does not define. A constraint that names a template (every primitive made from
it, in document order) or a tag (its object references, in order) reads as a resource
set of those resources with sequential="false"; the other side of a colocation or an
ordering becomes a set of one, and rsc-role / first-action / then-action move onto the
sets. A template or tag inside a resource set is replaced there by its members.

Owns only this rewriting; returns the same root when nothing refers to a template or a
tag, otherwise a changed copy (the caller's document is never modified). Must never
evaluate rules, place resources or do I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

Element = Any

Sides = tuple[tuple[str, str, str], ...]
SIDES: Mapping[str, Sides] = MappingProxyType({
    "rsc_colocation": (("rsc", "rsc-role", "role"), ("with-rsc", "with-rsc-role", "role")),
    "rsc_order": (("first", "first-action", "action"), ("then", "then-action", "action")),
    "rsc_location": (("rsc", "role", "role"),),
    "rsc_ticket": (("rsc", "rsc-role", "role"),),
})
CONVERT_PLAIN = ("rsc_colocation", "rsc_order")


def expand_references(root: Element) -> Element:
    """`root`, or a copy with templates and tags expanded as the module docstring says."""
    config = root.find("configuration")
    resources = config.find("resources") if config is not None else None
    if resources is None or (resources.find(".//template") is None
                             and config.find("tags") is None):
        return root
    root = copy.deepcopy(root)
    config = root.find("configuration")
    resources = config.find("resources")
    groups = reference_groups(config)
    expand_templates(resources)
    constraints = config.find("constraints")
    for el in list(constraints if constraints is not None else []):
        if el.tag in SIDES:
            expand_constraint(el, groups)
    return root


def reference_groups(config: Element) -> dict[str, list[str]]:
    """Template id -> primitives made from it; tag id -> its references (templates first,
    as Pacemaker looks a name up among templates before tags)."""
    out: dict[str, list[str]] = {}
    resources = config.find("resources")
    for tmpl in resources.iter("template"):
        out[str(tmpl.get("id"))] = []
    for prim in resources.iter("primitive"):
        if prim.get("template") in out:
            out[prim.get("template")].append(str(prim.get("id")))
    tags = config.find("tags")
    for tag in (tags if tags is not None else []):
        if tag.tag == "tag" and tag.get("id") not in out:
            out[str(tag.get("id"))] = [str(r.get("id")) for r in tag if r.tag == "obj_ref"]
    return out


def expand_templates(resources: Element) -> None:
    templates = {t.get("id"): t for t in resources.iter("template")}
    for prim in list(resources.iter("primitive")):
        tmpl = templates.get(prim.get("template"))
        if tmpl is not None and prim.get("template") != prim.get("id"):
            merge_template(prim, tmpl)
    for tmpl in templates.values():
        tmpl.getparent().remove(tmpl)


def op_key(op: Element) -> tuple[str, str, str]:
    return (op.get("name", ""), op.get("interval", ""), op.get("role", ""))


def merge_template(prim: Element, tmpl: Element) -> None:
    own = list(prim)
    for child in own:
        prim.remove(child)
    for name in ("class", "provider", "type"):
        if tmpl.get(name) is not None:
            prim.set(name, tmpl.get(name))
    del prim.attrib["template"]
    tmpl_ops = None
    for child in tmpl:
        if isinstance(child.tag, str):
            prim.append(copy.deepcopy(child))
            if child.tag == "operations":
                tmpl_ops = prim[-1]
    own_ops = None
    for child in own:
        prim.append(child)
        if child.tag == "operations":
            own_ops = child
    if tmpl_ops is not None and own_ops is not None:
        defined = {op_key(op) for op in own_ops if op.tag == "op"}
        for op in tmpl_ops:
            if op.tag == "op" and op_key(op) not in defined:
                own_ops.append(copy.deepcopy(op))
        prim.remove(tmpl_ops)


def expand_constraint(el: Element, groups: dict[str, list[str]]) -> None:
    sets = el.findall("resource_set")
    if sets:
        for rset in sets:
            for ref in rset.findall("resource_ref"):
                if ref.get("id") in groups:
                    at = list(rset).index(ref)
                    for k, member in enumerate(groups[ref.get("id")]):
                        rset.insert(at + 1 + k, ref.makeelement("resource_ref", {"id": member}))
                    rset.remove(ref)
        return
    sides = SIDES[el.tag]
    named = [el.get(attr) in groups for attr, _, _ in sides]
    if not any(named):
        return
    if el.tag == "rsc_colocation" and all(named):
        el.getparent().remove(el)  # two templates or tags cannot be colocated: ignored
        return
    for attr, moved, to in sides:
        named = el.get(attr)
        if named is None or (named not in groups and el.tag not in CONVERT_PLAIN):
            continue
        rset = el.makeelement("resource_set", {"id": named})
        for member in groups.get(named, [named]):
            rset.append(el.makeelement("resource_ref", {"id": member}))
        if named in groups:
            rset.set("sequential", "false")
        if el.get(moved) is not None:
            rset.set(to, el.get(moved))
            del el.attrib[moved]
        del el.attrib[attr]
        el.append(rset)
