"""One configuration change as a transaction, and the small tree edits the tools share.

Owns `change(env, edit)`: read the CIB, let `edit` change a copy of the tree and return its
problems, refuse when any is an error (unless forced), then submit the difference as one
patchset (the way `pcs` pushes with diff-against), so a live write only touches what the
command changed. Also owns id rules (pcs: "<parent>-<name>", "-1", "-2" on a clash) and
nvpair sets. Must never print or parse command lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from lxml import etree

from hacluster.api.env import CIBEnvironment
from hacluster.cib import (
    CIBDocument,
    CIBRequest,
    XMLElement,
    create_diff,
    diff_changes,
    parse_cib,
    serialize,
)
from hacluster.common import Code, Problem, Severity, raise_if_errors

Edit = Callable[[XMLElement], list[Problem]]

RESOURCE_TAGS = ("primitive", "group", "clone", "master", "bundle")
_ID_FIRST = re.compile(r"^[A-Za-z_]")
_ID_REST = re.compile(r"^[A-Za-z0-9_.-]*$")


def error(code: Code, message: str, forceable: bool = False, **details: Any) -> Problem:
    return Problem(code, message, MappingProxyType(dict(details)), Severity.ERROR, forceable)


def warning(code: Code, message: str, **details: Any) -> Problem:
    return Problem(code, message, MappingProxyType(dict(details)), Severity.WARNING)


def change(env: CIBEnvironment, edit: Edit, force: bool = False) -> list[Problem]:
    """Apply `edit` to the CIB `env` holds; every problem at once. Returns the warnings
    (and the errors --force downgraded) for the caller to show."""
    old = env.read()
    root = old.copy_root()
    problems = edit(root)
    raise_if_errors(problems, force)
    submit_tree(env, old, root)
    return [p for p in problems if not p.is_error(force)]


def submit_tree(env: CIBEnvironment, old: CIBDocument, root: XMLElement) -> None:
    new = parse_cib(serialize(root, pretty=False))
    diff = create_diff(old, new, with_digest=False)
    if not diff_changes(diff):
        return
    env.submit(CIBRequest("apply-diff", serialize(diff, pretty=False).decode("utf-8"),
                          options=frozenset({"no-version"})))


# --------------------------------------------------------------------------- xpath


def find_all(element: XMLElement, expression: str, **variables: str) -> list[XMLElement]:
    """The elements an XPath selects (typed: lxml's xpath() returns a union)."""
    result = element.xpath(expression, **variables)  # type: ignore[arg-type]
    assert isinstance(result, list)
    return [e for e in result if isinstance(e, etree._Element) and isinstance(e.tag, str)]


def find_values(element: XMLElement, expression: str, **variables: str) -> list[str]:
    result = element.xpath(expression, **variables)  # type: ignore[arg-type]
    assert isinstance(result, list)
    return [str(v) for v in result]


# ----------------------------------------------------------------------------- ids


def id_exists(root: XMLElement, element_id: str) -> bool:
    return bool(find_all(root, "//*[@id=$i]", i=element_id))


def unique_id(root: XMLElement, wanted: str) -> str:
    """`wanted` made a valid id, with "-1", "-2" ... appended while it is taken."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", wanted)
    if not _ID_FIRST.match(base):
        base = f"_{base}"
    candidate, counter = base, 0
    while id_exists(root, candidate):
        counter += 1
        candidate = f"{base}-{counter}"
    return candidate


def id_problem(element_id: str, what: str = "resource name") -> Problem | None:
    """pcs's wording for an id that is not an XML NCName."""
    if not element_id:
        return error(Code.RSC_ID_INVALID, f"{what} cannot be empty")
    if not _ID_FIRST.match(element_id):
        return error(Code.RSC_ID_INVALID, f"invalid {what} '{element_id}', "
                     f"'{element_id[0]}' is not a valid first character for a {what}")
    for char in element_id:
        if not _ID_REST.match(char):
            return error(Code.RSC_ID_INVALID, f"invalid {what} '{element_id}', "
                         f"'{char}' is not a valid character for a {what}")
    return None


# ----------------------------------------------------------------------- lookups


def section(root: XMLElement, name: str) -> XMLElement:
    """A configuration section, created (in Pacemaker's order) when missing."""
    configuration = root.find("configuration")
    assert configuration is not None, "a parsed CIB always has a configuration"
    found = configuration.find(name)
    if found is not None:
        return found
    return sub_element(configuration, name)


def find_resource(root: XMLElement, rid: str) -> XMLElement | None:
    for element in find_all(root, "/cib/configuration/resources//*[@id=$i]", i=rid):
        if element.tag in RESOURCE_TAGS:
            return element
    return None


def all_resource_ids(root: XMLElement) -> list[str]:
    return [str(e.get("id")) for e in find_all(root, "/cib/configuration/resources//*")
            if e.tag in RESOURCE_TAGS and e.get("id")]


def resource_or_problem(root: XMLElement, rid: str) -> tuple[XMLElement | None, list[Problem]]:
    found = find_resource(root, rid)
    if found is None:
        return None, [error(Code.RSC_NOT_FOUND, f"Resource '{rid}' does not exist", id=rid)]
    return found, []


def node_names(root: XMLElement) -> list[str]:
    return [str(n.get("uname")) for n in find_all(root, "/cib/configuration/nodes/node")
            if n.get("uname")]


def find_node(root: XMLElement, name: str) -> XMLElement | None:
    found = find_all(root, "/cib/configuration/nodes/node[@uname=$n]", n=name)
    return found[0] if found else None


# ------------------------------------------------------------------------ elements


def sub_element(parent: XMLElement, tag: str, attrs: Mapping[str, str] | None = None,
                index: int | None = None) -> XMLElement:
    element = parent.makeelement(tag, {k: v for k, v in (attrs or {}).items()})
    if index is None:
        parent.append(element)
    else:
        parent.insert(index, element)
    return element


def nvset(parent: XMLElement, tag: str, root: XMLElement, wanted_id: str | None = None,
          create: bool = True, first: bool = False) -> XMLElement | None:
    """The first <tag> set of `parent`, made (with id "<parent>-<tag>", as the first child
    if `first`, else the last) when asked to."""
    found = parent.find(tag)
    if found is not None or not create:
        return found
    return sub_element(parent, tag,
                       {"id": unique_id(root, wanted_id or f"{parent.get('id')}-{tag}")},
                       0 if first else None)


def set_nvpairs(root: XMLElement, nvs: XMLElement, pairs: Iterable[tuple[str, str]],
                name_chars: int | None = None) -> None:
    """Set each name to its value; an empty value removes the name (pcs semantics). New
    nvpairs get the id "<set id>-<name>" (with the name cut to `name_chars` if given)."""
    for name, value in pairs:
        existing = [p for p in nvs.findall("nvpair") if p.get("name") == name]
        if not value:
            for pair in existing:
                nvs.remove(pair)
            continue
        if existing:
            existing[0].set("value", value)
            continue
        sub_element(nvs, "nvpair", {"id": unique_id(root, f"{nvs.get('id')}-"
                                                          f"{name[:name_chars]}"),
                                    "name": name, "value": value})


def nvpairs(nvs: XMLElement | None) -> list[tuple[str, str]]:
    if nvs is None:
        return []
    return [(str(p.get("name")), str(p.get("value", ""))) for p in nvs.findall("nvpair")]


def set_meta(root: XMLElement, element: XMLElement,
             pairs: Iterable[tuple[str, str]], first: bool = False) -> None:
    meta = nvset(element, "meta_attributes", root, first=first)
    assert meta is not None
    set_nvpairs(root, meta, pairs)


def remove_element(element: XMLElement) -> None:
    parent = element.getparent()
    assert parent is not None, "only children are removed"
    parent.remove(element)
