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
from hacluster.api.resource import (
    Pairs,
    agent_of,
    append_op,
    clone_problems,
    legacy_seconds,
    op_interval,
    op_listing,
    op_role,
)
from hacluster.cib import XMLElement
from hacluster.common import Code, Problem

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


def remove_resource(root: XMLElement, element: XMLElement) -> list[str]:
    """pcs 0.11's legacy removal and its report: a clone is removed through its child, a
    group member by member; constraints go first, the clone's before its child's."""
    if element.tag in CLONE_TAGS:
        inner = [c for c in element if c.tag in cibedit.RESOURCE_TAGS]
        if not inner:
            cibedit.remove_element(element)
            return [f"Deleting Resource - {element.get('id')}"]
        element = inner[0]
    if element.tag != "group":
        return remove_primitive(root, element)
    gid = element.get("id")
    report = [f"Removing group: {gid} (and all resources within group)",
              f"Stopping all resources in group: {gid}..."]
    for member in element.findall("primitive"):
        report += remove_primitive(root, member)
    return report


def remove_primitive(root: XMLElement, primitive: XMLElement) -> list[str]:
    """A primitive and the constraints naming it; the last member of a group takes the
    group (and the group's clone) along."""
    def constraints_of(rid: object) -> list[str]:
        return [f"Removing Constraint - {c}"
                for c in constraint.remove_references(root, str(rid))]

    rid, parent = primitive.get("id"), primitive.getparent()
    assert parent is not None
    report = constraints_of(parent.get("id")) if parent.tag in CLONE_TAGS else []
    report += constraints_of(rid)
    if parent.tag != "group" or len(parent.findall("primitive")) > 1:
        report.append(f"Deleting Resource - {rid}")
        cibedit.remove_element(parent if parent.tag in CLONE_TAGS else primitive)
        return report
    target, what = parent, "and group"
    top = parent.getparent()
    if top is not None and top.tag in CLONE_TAGS:
        constraint.remove_references(root, str(parent.get("id")))  # pcs says nothing here
        target = top
        what = "and group and M/S" if top.tag == "master" else "and group and clone"
    report += constraints_of(target.get("id"))
    report.append(f"Deleting Resource ({what}) - {rid}")
    cibedit.remove_element(target)
    return report


# ------------------------------------------------------------------------- groups


def group_add(env: CIBEnvironment, group_id: str, rids: Sequence[str]) -> list[Problem]:
    """Move primitives into a group (made when missing), in pcs's order of checks: the new
    group's id, unknown ids, each member's kind, then the group's own (a group, no duplicate
    or present member). A group emptied by the move goes, unless something refers to it."""
    def edit(root: XMLElement) -> list[Problem]:
        group = cibedit.find_resource(root, group_id)
        problems: list[Problem] = []
        if group is None:
            bad = cibedit.id_problem(group_id, "group name")
            if bad is None and cibedit.id_exists(root, group_id):
                bad = error(Code.RSC_ID_EXISTS, f"'{group_id}' already exists")
            problems += [bad] if bad else []
        problems += [error(Code.RSC_NOT_FOUND, f"'{rid}' does not exist", id=rid)
                     for rid in rids if cibedit.find_resource(root, rid) is None]
        members = [m for m in (cibedit.find_resource(root, rid) for rid in rids)
                   if m is not None]
        problems += [p for m in members for p in member_problems(m)]
        problems += group_problems(group, group_id, rids)
        if problems:
            return problems
        emptied = emptied_groups(members, rids)
        referred = [g for g in emptied if constraint.references(root, g)]
        if referred:
            return [error(Code.RSC_WRONG_KIND, f"Unable to move {plural_ids(emptied[g])} as "
                          f"it would leave group '{g}' empty. Please, use the 'pcs resource "
                          f"ungroup {g}' command first.") for g in referred]
        if group is None:
            group = cibedit.sub_element(cibedit.section(root, "resources"), "group",
                                        {"id": group_id})
        for member in members:
            leave_group(root, member)
            group.append(member)
        return []

    return cibedit.change(env, edit)


def member_problems(member: XMLElement) -> list[Problem]:
    rid, parent = str(member.get("id")), member.getparent()
    if member.tag != "primitive":
        return [error(Code.RSC_WRONG_KIND, f"'{rid}' is a {member.tag} resource, {member.tag} "
                      "resources cannot be put into a group")]
    if parent is not None and parent.tag in CLONE_TAGS:
        return [error(Code.RSC_WRONG_KIND, f"'{rid}' cannot be put into a group because its "
                      f"parent '{parent.get('id')}' is a clone resource")]
    return []


def group_problems(group: XMLElement | None, group_id: str,
                   rids: Sequence[str]) -> list[Problem]:
    if group is not None and group.tag != "group":
        return [error(Code.RSC_WRONG_KIND, f"'{group_id}' is not a group")]
    twice = sorted({rid for rid in rids if list(rids).count(rid) > 1})
    if twice:
        return [error(Code.RSC_ID_EXISTS, "Resources to add or remove must be unique, "
                      f"duplicate resources: {', '.join(repr(r) for r in twice)}")]
    present = {str(m.get("id")) for m in group.findall("primitive")} if group is not None \
        else set()
    return [error(Code.RSC_ID_EXISTS, f"Cannot add resource '{rid}', it is already present "
                  f"in group '{group_id}'") for rid in rids if rid in present]


def emptied_groups(members: Sequence[XMLElement], rids: Sequence[str]) -> dict[str, list[str]]:
    """The groups every member of which is being moved: group id → its members' ids."""
    found: dict[str, list[str]] = {}
    for member in members:
        parent = member.getparent()
        if parent is None or parent.tag != "group":
            continue
        inner = [str(p.get("id")) for p in parent.findall("primitive")]
        if set(inner) <= set(rids):
            found[str(parent.get("id"))] = inner
    return found


def plural_ids(ids: Sequence[str]) -> str:
    listed = ", ".join(f"'{i}'" for i in sorted(ids))
    return f"resources {listed}" if len(ids) > 1 else f"resource {listed}"


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
          promotable: bool, force: bool = False) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is None:
            return problems
        parent = element.getparent()
        assert parent is not None
        if element.tag not in ("primitive", "group") or parent.tag in CLONE_TAGS:
            return [error(Code.RSC_WRONG_KIND, f"{rid} is already a clone resource")]
        meta = list(options) + ([("promotable", "true")] if promotable else [])
        found = agent_problems(element, tuple(meta), force)
        if any(p.is_error(force) for p in found):
            return found
        wanted = clone_id or f"{rid}-clone"
        if cibedit.id_exists(root, wanted):
            return [error(Code.RSC_ID_EXISTS, f"'{wanted}' already exists")]
        # pcs puts the new clone last and points the resource's constraints at the clone.
        leave_group(root, element)  # a group member leaves its group (pcs does the same)
        wrapper = cibedit.sub_element(cibedit.section(root, "resources"), "clone",
                                      {"id": wanted})
        wrapper.append(element)
        constraint.rename_references(root, rid, wanted)
        if meta:
            cibedit.set_meta(root, wrapper, meta)
        return found

    return cibedit.change(env, edit, force)


def agent_problems(element: XMLElement, meta: Pairs, force: bool) -> list[Problem]:
    """What the agents of a resource about to be cloned say to its clone options. pcs 0.11
    honours --force only for a group's members: a lone primitive is refused regardless."""
    found: list[Problem] = []
    members = element.findall("primitive") if element.tag == "group" else [element]
    for member in members:
        name, metadata = agent_of(member)
        if name is None:
            continue
        where = f" of resource '{member.get('id')}'"
        if element.tag == "group":
            where += f" in group '{element.get('id')}'"
        problems = clone_problems(name, metadata, meta, where, check_missing=True)
        if element.tag != "group":  # refused even when forced
            problems = [error(p.code, p.message + (", use --force to override"
                                                   if p.forceable else ""))
                        for p in problems]
        found += problems
    return found


def unclone(env: CIBEnvironment, rid: str) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is None:
            return problems
        wrapper = element if element.tag in CLONE_TAGS else element.getparent()
        if wrapper is None or wrapper.tag not in CLONE_TAGS:
            return [error(Code.RSC_WRONG_KIND, f"'{rid}' is not a clone resource")]
        child = [c for c in wrapper if c.tag in cibedit.RESOURCE_TAGS][0]
        constraint.remove_references(root, str(wrapper.get("id")))
        cibedit.remove_element(wrapper)
        # pcs puts the uncloned resource last in the resources section
        cibedit.section(root, "resources").append(child)
        return []

    return cibedit.change(env, edit)


# ------------------------------------------------------------------------ operations


def duplicate_op(rid: str, op: dict[str, str], existing: Sequence[XMLElement],
                 force: bool) -> list[Problem]:
    """pcs refuses an operation at the interval of another of its name (any role), and,
    unless forced, a second operation of a name (for monitors: of the same role)."""
    name = op["name"]
    interval = legacy_seconds(op_interval(op))
    same = [o for o in existing if o.get("name") == name]
    clash = [o for o in same if legacy_seconds(o.get("interval", "")) == interval]
    if clash:
        listing = "\n".join(op_listing(o) for o in clash)
        return [error(Code.RSC_ID_EXISTS, f"operation {name} with interval "
                      f"{interval}s already specified for {rid}:\n{listing}")]
    role = op_role(op.get("role") or "Started")
    if name == "monitor":
        same = [o for o in same if op_role(o.get("role") or "Started") == role]
    if force or not same:
        return []
    listing = "\n".join(op_listing(o) for o in same)
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
        problems += duplicate_op(rid, op, operations.findall("op"), force)
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


def defaults_sets(env: CIBEnvironment, section: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every meta_attributes set of `section`: (its id, its name/value pairs), in order."""
    assert section in DEFAULTS_SECTIONS
    found = cibedit.find_all(env.read().root, f"/cib/configuration/{section}/meta_attributes")
    return [(str(s.get("id", "")), cibedit.nvpairs(s)) for s in found]


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
