"""Where resources sit and what they run: delete, groups, clones, operations, defaults.

Owns `pcs resource delete`, `group add|remove`, `clone`, `promotable`, `unclone`,
`op add|delete`, `defaults` and `op defaults`: deleting a resource takes its constraints (and
an emptied group or its clone) with it; grouping moves primitives; cloning wraps a resource
in place. Spec: Pacemaker Explained, "Groups", "Clones", "Resource Operations".
Must never print or parse command lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from hacluster.api import cibedit, constraint
from hacluster.api.cibedit import error, warning
from hacluster.api.env import CIBEnvironment
from hacluster.api.resource import Pairs, append_op
from hacluster.cib import XMLElement
from hacluster.common import Code, Problem, duration_ms

CLONE_TAGS = ("clone", "master")


def delete(env: CIBEnvironment, rid: str) -> list[str]:
    """Remove a resource and whatever only existed for it; returns what went, in order."""
    report: list[str] = []

    def edit(root: XMLElement) -> list[Problem]:
        element = cibedit.find_resource(root, rid)
        if element is None:
            return [error(Code.RSC_NOT_FOUND, f"Resource '{rid}' does not exist.", id=rid)]
        report.extend(remove_resource(root, element))
        return []

    cibedit.change(env, edit)
    return report


def removal_root(element: XMLElement) -> XMLElement:
    """A clone goes with its only child; a group with its last member."""
    parent = element.getparent()
    if parent is None:
        return element
    if parent.tag in CLONE_TAGS:
        return removal_root(parent)
    if parent.tag == "group" and len(parent.findall("primitive")) == 1:
        return removal_root(parent)
    return element


def remove_resource(root: XMLElement, element: XMLElement) -> list[str]:
    target = removal_root(element)
    ids = [str(e.get("id")) for e in target.iter() if e.tag in cibedit.RESOURCE_TAGS]
    report: list[str] = []
    for rid in ids:
        report += [f"Removing Constraint - {c}" for c in constraint.remove_references(root, rid)]
    report.append(f"Deleting Resource - {element.get('id')}")
    cibedit.remove_element(target)
    return report


# ------------------------------------------------------------------------- groups


def group_add(env: CIBEnvironment, group_id: str, rids: Sequence[str]) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        group = cibedit.find_resource(root, group_id)
        problems = constraint.missing_resources(root, rids)
        if group is not None and group.tag != "group":
            problems.append(error(Code.RSC_WRONG_KIND, f"'{group_id}' is not a group"))
        elif group is None:
            bad = cibedit.id_problem(group_id, "group name")
            if bad is None and cibedit.id_exists(root, group_id):
                bad = error(Code.RSC_ID_EXISTS, f"'{group_id}' already exists")
            problems += [bad] if bad else []
        members = [cibedit.find_resource(root, rid) for rid in rids]
        for rid, member in zip(rids, members, strict=True):
            if member is not None and member.tag != "primitive":
                problems.append(error(Code.RSC_WRONG_KIND, f"'{rid}' is not a primitive "
                                      "resource"))
            elif member is not None and member.getparent().tag in CLONE_TAGS:  # type: ignore[union-attr]
                problems.append(error(Code.RSC_WRONG_KIND, f"cannot put a cloned resource "
                                      f"'{rid}' into a group"))
        if problems:
            return problems
        if group is None:
            group = cibedit.sub_element(cibedit.section(root, "resources"), "group",
                                        {"id": group_id})
        for member in members:
            assert member is not None
            leave_group(root, member)
            group.append(member)
        return []

    return cibedit.change(env, edit)


def leave_group(root: XMLElement, member: XMLElement) -> None:
    """Detach `member`; a group left empty is removed with its constraints."""
    parent = member.getparent()
    assert parent is not None
    parent.remove(member)
    if parent.tag == "group" and parent.find("primitive") is None:
        constraint.remove_references(root, str(parent.get("id")))
        cibedit.remove_element(parent)


def group_remove(env: CIBEnvironment, group_id: str, rids: Sequence[str]) -> list[Problem]:
    """Take members (all when none are named) out of a group, to the end of the resources."""
    def edit(root: XMLElement) -> list[Problem]:
        group = cibedit.find_resource(root, group_id)
        if group is None or group.tag != "group":
            return [error(Code.RSC_NOT_FOUND, f"Group '{group_id}' does not exist")]
        members = group.findall("primitive")
        names = list(rids) or [str(m.get("id")) for m in members]
        chosen = [m for m in members if m.get("id") in names]
        problems = [error(Code.RSC_NOT_FOUND, f"Resource '{rid}' does not exist in group "
                          f"'{group_id}'") for rid in names
                    if rid not in {m.get("id") for m in members}]
        if problems:
            return problems
        # pcs puts the members it takes out last in the resources section.
        resources = cibedit.section(root, "resources")
        for member in chosen:
            leave_group(root, member)
            resources.append(member)
        return []

    return cibedit.change(env, edit)


# ------------------------------------------------------------------------- clones


def clone(env: CIBEnvironment, rid: str, clone_id: str, options: Pairs,
          promotable: bool) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is None:
            return problems
        parent = element.getparent()
        assert parent is not None
        if element.tag not in ("primitive", "group") or parent.tag in CLONE_TAGS:
            return [error(Code.RSC_WRONG_KIND, f"{rid} is already a clone resource")]
        wanted = clone_id or f"{rid}-clone"
        if cibedit.id_exists(root, wanted):
            return [error(Code.RSC_ID_EXISTS, f"'{wanted}' already exists")]
        # pcs puts the new clone last and points the resource's constraints at the clone.
        leave_group(root, element)  # a group member leaves its group (pcs does the same)
        wrapper = cibedit.sub_element(cibedit.section(root, "resources"), "clone",
                                      {"id": wanted})
        wrapper.append(element)
        constraint.rename_references(root, rid, wanted)
        meta = list(options) + ([("promotable", "true")] if promotable else [])
        if meta:
            cibedit.set_meta(root, wrapper, meta)
        return []

    return cibedit.change(env, edit)


def unclone(env: CIBEnvironment, rid: str) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is None:
            return problems
        wrapper = element if element.tag in CLONE_TAGS else element.getparent()
        if wrapper is None or wrapper.tag not in CLONE_TAGS:
            return [error(Code.RSC_WRONG_KIND, f"'{rid}' is not a clone resource")]
        child = [c for c in wrapper if c.tag in cibedit.RESOURCE_TAGS][0]
        parent = wrapper.getparent()
        assert parent is not None
        constraint.remove_references(root, str(wrapper.get("id")))
        parent.replace(wrapper, child)
        return []

    return cibedit.change(env, edit)


# ------------------------------------------------------------------------ operations


def duplicate_op(rid: str, op: dict[str, str], existing: XMLElement,
                 force: bool) -> list[Problem]:
    """pcs refuses a second operation of a name (unless forced) and, even forced, one with
    the same interval."""
    name = op["name"]
    shown = " ".join(f"{k!s}={v!s}" for k, v in existing.attrib.items()
                     if k not in ("id", "name"))
    listing = f"{name} {shown} ({existing.get('id')})"
    if duration_ms(existing.get("interval", "0")) == duration_ms(op.get("interval", "0")):
        return [error(Code.RSC_ID_EXISTS, f"operation {name} with interval "
                      f"{existing.get('interval')} already specified for {rid}:\n{listing}")]
    if force:
        return []
    return [error(Code.RSC_ID_EXISTS, f"operation {name} already specified for {rid}, use "
                  f"--force to override:\n{listing}")]


def op_add(env: CIBEnvironment, rid: str, name: str, options: Pairs,
           force: bool = False) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is None:
            return problems
        if element.tag != "primitive":
            return [error(Code.RSC_WRONG_KIND, f"'{rid}' is not a primitive resource")]
        op = {"name": name, **dict(options)}
        operations = element.find("operations")
        if operations is None:
            operations = cibedit.sub_element(element, "operations")
        for existing in operations.findall("op"):
            if existing.get("name") == name and existing.get("role") == op.get("role"):
                problems += duplicate_op(rid, op, existing, force)
        append_op(root, operations, rid, op)
        return problems

    return cibedit.change(env, edit, force)


def op_delete(env: CIBEnvironment, rid: str, name: str, options: Pairs) -> list[Problem]:
    """Remove the operations of `name` that match every given option (or one op by id)."""
    def edit(root: XMLElement) -> list[Problem]:
        if not name:
            found = cibedit.find_all(root, "/cib/configuration/resources//op[@id=$i]", i=rid)
            if not found:
                return [error(Code.RSC_OP_NOT_FOUND, f"unable to find operation id: {rid}")]
            cibedit.remove_element(found[0])
            return []
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is None:
            return problems
        matching = [o for o in cibedit.find_all(element, "operations/op")
                    if o.get("name") == name and all(o.get(k) == v for k, v in options)]
        if not matching:
            wanted = " ".join([name] + [f"{k}={v}" for k, v in options])
            return [error(Code.RSC_OP_NOT_FOUND,
                          f"Unable to find operation matching: {wanted}")]
        for op in matching:
            cibedit.remove_element(op)
        return []

    return cibedit.change(env, edit)


# -------------------------------------------------------------------------- defaults


DEFAULTS_SECTIONS = ("rsc_defaults", "op_defaults")


def defaults(env: CIBEnvironment, section: str) -> list[tuple[str, str]]:
    assert section in DEFAULTS_SECTIONS
    found = cibedit.find_all(env.read().root, f"/cib/configuration/{section}/meta_attributes")
    return cibedit.nvpairs(found[0]) if found else []


def defaults_set_id(env: CIBEnvironment, section: str) -> str:
    """The id of the meta_attributes set holding `section`'s defaults ("" when none)."""
    assert section in DEFAULTS_SECTIONS
    found = cibedit.find_all(env.read().root, f"/cib/configuration/{section}/meta_attributes")
    return str(found[0].get("id", "")) if found else ""


def set_defaults(env: CIBEnvironment, section: str, pairs: Pairs) -> list[Problem]:
    assert section in DEFAULTS_SECTIONS

    def edit(root: XMLElement) -> list[Problem]:
        holder = cibedit.section(root, section)
        nvs = cibedit.nvset(holder, "meta_attributes", root, f"{section}-meta_attributes")
        assert nvs is not None
        cibedit.set_nvpairs(root, nvs, pairs)
        return [warning(Code.TOOL_BAD_VALUE, "Defaults do not apply to resources which "
                        "override them with their own defined values")]

    return cibedit.change(env, edit)
