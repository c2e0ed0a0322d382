"""What of a new CIB a schema check must see: the parts a write changed, in a skeleton CIB.

The RelaxNG check of a whole large CIB costs seconds (libxml2's interleave is worse than
linear in the children of one element), and a replica checked every write that way, status
updates included. The document before the write was checked already, and the Pacemaker
schemas judge each child of a section (a resource, a constraint, a property set, a
node_state) on its own: so the new document is checked as a skeleton holding the root's
attributes, every section (empty) and, whole, each section child the patchset touches.
Ids across the document are not the schema's business here: `validate` (finish_update)
checks them on the whole document. When the skeleton fails, or the write is not confined
to section children (a new section, another schema, ...), the caller checks the whole
document: the skeleton only ever saves work, it never decides a refusal.
Must never do I/O.
"""

from __future__ import annotations

import re

from lxml import etree

from hacluster.cib.diff import diff_changes
from hacluster.cib.document import (
    CIBDocument,
    XMLElement,
    child_elements,
    copy_element,
    xpath_elements,
)
from hacluster.common import HaError

# One path step: a tag with an optional [@id='...'] predicate (quotes may hold slashes).
_STEP = re.compile(r"[^/\[]+(?:\[[^\]']*(?:'[^']*'[^\]']*)*\])?")
_SECTION_ROOTS = ("configuration", "status")


def path_steps(path: str) -> list[str] | None:
    """'/cib/status/node_state[@id='1']' -> ['cib', 'status', "node_state[@id='1']"]."""
    if not path.startswith("/"):
        return None
    steps: list[str] = []
    at = 1
    while at < len(path):
        match = _STEP.match(path, at)
        if match is None:
            return None
        steps.append(match.group(0))
        at = match.end()
        if at < len(path):
            if path[at] != "/":
                return None
            at += 1
    return steps


def _unit_path(change: XMLElement) -> str | None:
    """The path of the section child a change lies in (None: not confined to one)."""
    path = change.get("path", "")
    steps = path_steps(path)
    if steps is None or len(steps) < 2 or steps[0] != "cib":
        return None
    if steps[1] == "status":
        depth = 3  # /cib/status/<node_state>
    elif steps[1] == "configuration" and len(steps) >= 3:
        depth = 4  # /cib/configuration/<section>/<child>
    else:
        return None
    if len(steps) >= depth:
        return "/" + "/".join(steps[:depth])
    if change.get("operation") != "create" or len(steps) != depth - 1:
        return None
    created = child_elements(change)
    if len(created) != 1 or created[0].get("id") is None or "'" in created[0].get("id", ""):
        return None
    return f"{path}/{created[0].tag}[@id='{created[0].get('id')}']"


def changed_units(diff: XMLElement) -> list[str] | None:
    """The section-child paths a patchset touches (sorted), or None when some change is not
    confined to a section child. A change of the root's attributes alone names none."""
    paths: set[str] = set()
    for change in diff_changes(diff):
        if change.get("path") == "/cib" and change.get("operation") == "modify":
            continue
        unit = _unit_path(change)
        if unit is None:
            return None
        paths.add(unit)
    return sorted(paths)


def _shallow(element: XMLElement, parent: XMLElement | None) -> XMLElement:
    attrib = {str(k): str(v) for k, v in element.attrib.items()}
    if parent is None:
        return etree.Element(str(element.tag), attrib)
    return etree.SubElement(parent, str(element.tag), attrib)


def check_skeleton(old: CIBDocument, new: CIBDocument, diff: XMLElement) -> XMLElement | None:
    """The skeleton of `new` for the schema check, or None when the whole document must be
    checked (another validate-with, or a change outside section children)."""
    if old.validate_with != new.validate_with:
        return None
    units = changed_units(diff)
    if units is None:
        return None
    root = _shallow(new.root, None)
    parents: dict[str, XMLElement] = {}
    for part in child_elements(new.root):
        copy = _shallow(part, root)
        parents[f"/cib/{part.tag}"] = copy
        if part.tag == "configuration":
            for section in child_elements(part):
                parents[f"/cib/configuration/{section.tag}"] = _shallow(section, copy)
        elif part.tag not in _SECTION_ROOTS:
            return None
    for unit in units:
        parent = parents.get(unit.rsplit("/", 1)[0])
        if parent is None:
            return None
        try:
            found = xpath_elements(new.root, unit)
        except HaError:
            return None
        for element in found:
            parent.append(copy_element(element))
    return root


__all__ = ["changed_units", "check_skeleton", "path_steps"]
