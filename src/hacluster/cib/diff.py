"""Pacemaker's v2 patchsets: create one from two CIBs, apply one with a version check.

Owns the `<diff format="2">` shape: a <version> with <source>/<target> version triples and
<change operation="create|delete|modify|move" path="..."> entries, applied in order, plus a
digest of the expected result. Also owns the version bump rule of an update (configuration
changed: epoch+1 and num_updates=0; status only: num_updates+1).
Must never mutate its inputs, and never do I/O. Spec: Pacemaker Explained, "CIB patchsets".
"""

from __future__ import annotations

from hacluster.cib.document import (
    VERSION_ATTRS,
    CIBDocument,
    CIBVersion,
    XMLElement,
    child_elements,
    content_digest,
    copy_element,
    is_same_tree,
    make_element,
    xpath_elements,
)
from hacluster.common import Code, HaError

Key = tuple[str, str]


def _version_element(tag: str, version: CIBVersion) -> XMLElement:
    return make_element(tag, dict(zip(VERSION_ATTRS, map(str, version), strict=True)))


def _step(element: XMLElement) -> str:
    tag = str(element.tag)
    element_id = element.get("id")
    if element_id is not None:
        return f"{tag}[@id='{element_id}']"
    parent = element.getparent()
    if parent is None:
        return tag
    same = [c for c in parent if c.tag == tag]
    return tag if len(same) == 1 else f"{tag}[{same.index(element) + 1}]"


def element_path(element: XMLElement) -> str:
    """The absolute XPath of an element as patchsets write it: ids where there are ids."""
    steps: list[str] = []
    node: XMLElement | None = element
    while node is not None:
        steps.append(_step(node))
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def _keys(children: list[XMLElement]) -> list[Key]:
    seen: dict[str, int] = {}
    keys: list[Key] = []
    for child in children:
        tag = str(child.tag)
        element_id = child.get("id")
        if element_id is None:
            seen[tag] = seen.get(tag, 0) + 1
            keys.append((tag, f"#{seen[tag]}"))
        else:
            keys.append((tag, element_id))
    return keys


def _attr_changes(work: XMLElement, new: XMLElement, skip: frozenset[str]) -> list[XMLElement]:
    changes: list[XMLElement] = []
    for name in work.attrib.keys():
        key = str(name)
        if key not in skip and new.get(key) is None:
            changes.append(make_element("change-attr", {"name": key, "operation": "unset"}))
    for name, value in new.attrib.items():
        key = str(name)
        if key not in skip and work.get(key) != value:
            changes.append(make_element("change-attr",
                                        {"name": key, "operation": "set", "value": str(value)}))
    return changes


def _record_modify(old: XMLElement, new: XMLElement, path: str, is_root: bool,
                   out: list[XMLElement]) -> None:
    skip = frozenset(VERSION_ATTRS) if is_root else frozenset()
    attr_changes = _attr_changes(old, new, skip)
    if not attr_changes:
        return
    change = make_element("change", {"operation": "modify", "path": path})
    change_list = make_element("change-list")
    change_list.extend(attr_changes)
    result = make_element(str(new.tag), {str(k): str(v) for k, v in new.attrib.items()
                                         if str(k) not in skip})
    change_result = make_element("change-result")
    change_result.append(result)
    change.extend([change_list, change_result])
    out.append(change)


def _virtual_step(state: list[Key], index: int) -> str:
    """The path step of the child at `index` of a parent whose children are `state`."""
    tag, name = state[index]
    if not name.startswith("#"):
        return f"{tag}[@id='{name}']"
    same = [i for i, key in enumerate(state) if key[0] == tag]
    return tag if len(same) == 1 else f"{tag}[{same.index(index) + 1}]"


def _sync(old: XMLElement, new: XMLElement, path: str, out: list[XMLElement],
          is_root: bool = False) -> None:
    """Record the changes that turn `old` (at `path`) into `new`. Changes apply in order, so
    each path is computed on `state`: the parent's children as they are at that moment.
    Nothing is copied or mutated: the old tree is only read."""
    _record_modify(old, new, path, is_root, out)
    old_kids, new_kids = child_elements(old), child_elements(new)
    old_keys, new_keys = _keys(old_kids), _keys(new_kids)
    by_key = dict(zip(old_keys, old_kids, strict=True))
    matched = {k for k in new_keys if k in by_key}
    state = list(old_keys)
    index = 0
    while index < len(state):
        if state[index] in matched:
            index += 1
            continue
        out.append(make_element("change", {"operation": "delete",
                                           "path": f"{path}/{_virtual_step(state, index)}"}))
        del state[index]
    for position, (key, new_kid) in enumerate(zip(new_keys, new_kids, strict=True)):
        if key not in matched:
            change = make_element("change", {"operation": "create", "path": path,
                                              "position": str(position)})
            change.append(copy_element(new_kid))
            out.append(change)
            state.insert(position, key)
            continue
        if state[position] != key:
            current = state.index(key, position)
            out.append(make_element("change", {
                "operation": "move", "path": f"{path}/{_virtual_step(state, current)}",
                "position": str(position)}))
            del state[current]
            state.insert(position, key)
        old_kid = by_key[key]
        if not is_same_tree(old_kid, new_kid):
            _sync(old_kid, new_kid, f"{path}/{_virtual_step(state, position)}", out)


def create_diff(old: CIBDocument, new: CIBDocument, with_digest: bool = True) -> XMLElement:
    """The v2 patchset that turns `old` into `new` (versions and, unless told not to, the
    digest of `new` included)."""
    changes: list[XMLElement] = []
    _sync(old.root, new.root, "/cib", changes, is_root=True)
    diff = make_element("diff", {"format": "2"})
    if with_digest:
        diff.set("digest", new.digest())
    version = make_element("version")
    version.extend([_version_element("source", old.version),
                    _version_element("target", new.version)])
    diff.append(version)
    diff.extend(changes)
    return diff


def diff_changes(diff: XMLElement) -> list[XMLElement]:
    return [c for c in child_elements(diff) if c.tag == "change"]


def is_configuration_change(diff: XMLElement) -> bool:
    """Whether a patchset touches the configuration section. Status changes and changes of
    root attributes (have-quorum, dc-uuid, ...) are not: Pacemaker counts those in
    num_updates, configuration changes in epoch."""
    return any(c.get("path", "").startswith("/cib/configuration") or _creates_configuration(c)
               for c in diff_changes(diff))


def _creates_configuration(change: XMLElement) -> bool:
    kids = child_elements(change)
    return (change.get("operation") == "create" and change.get("path") == "/cib"
            and bool(kids) and kids[0].tag == "configuration")


def diff_version(diff: XMLElement, which: str) -> CIBVersion:
    found = xpath_elements(diff, f"version/{which}")
    if not found:
        raise HaError.single(Code.CIB_DIFF_INVALID, f"patchset has no {which} version")
    try:
        return CIBVersion(*(int(found[0].get(a, "0")) for a in VERSION_ATTRS))
    except ValueError:
        raise HaError.single(Code.CIB_DIFF_INVALID,
                             f"patchset {which} version is not numeric") from None


# ----------------------------------------------------------------------------- apply


def _invalid(message: str) -> HaError:
    return HaError.single(Code.CIB_DIFF_INVALID, message)


def _target(work: XMLElement, change: XMLElement) -> XMLElement:
    path = change.get("path", "")
    found = xpath_elements(work, path) if path.startswith("/") else []
    if len(found) != 1:
        raise _invalid(f"patchset path {path!r} matches {len(found)} elements, not one")
    return found[0]


def _position(change: XMLElement) -> int:
    try:
        return int(change.get("position", "-1"))
    except ValueError:
        raise _invalid("patchset position is not a number") from None


def _apply_modify(target: XMLElement, change: XMLElement) -> None:
    for attr in xpath_elements(change, "change-list/change-attr"):
        name = attr.get("name", "")
        if not name or (target.getparent() is None and name in VERSION_ATTRS):
            continue
        if attr.get("operation") == "unset":
            if name in target.attrib:
                del target.attrib[name]
        else:
            target.set(name, attr.get("value", ""))


def _apply_change(work: XMLElement, change: XMLElement) -> None:
    operation = change.get("operation")
    target = _target(work, change)
    if operation == "create":
        kids = child_elements(change)
        if len(kids) != 1:
            raise _invalid("a create change must carry exactly one element")
        position = _position(change)
        created = copy_element(kids[0])
        if 0 <= position < len(child_elements(target)):
            target.insert(position, created)
        else:
            target.append(created)
    elif operation == "delete":
        parent = target.getparent()
        if parent is None:
            raise _invalid("a patchset may not delete the document root")
        parent.remove(target)
    elif operation == "modify":
        _apply_modify(target, change)
    elif operation == "move":
        parent = target.getparent()
        if parent is None:
            raise _invalid("a patchset may not move the document root")
        parent.remove(target)
        parent.insert(max(0, _position(change)), target)
    else:
        raise _invalid(f"unknown patchset operation {operation!r}")


def apply_diff(doc: CIBDocument, diff: XMLElement, check_version: bool = True) -> CIBDocument:
    """Apply a v2 patchset to a copy of `doc`; refuse it unless `doc` is at its source version,
    and refuse the result when it does not match the patchset's digest."""
    if diff.tag != "diff" or diff.get("format") != "2":
        raise _invalid("not a format 2 patchset")
    source, target = diff_version(diff, "source"), diff_version(diff, "target")
    if check_version and doc.version != source:
        raise HaError.single(
            Code.CIB_VERSION_CONFLICT,
            f"patchset applies to version {source} but the CIB is at {doc.version}",
            source=str(source), current=str(doc.version))
    work = doc.copy_root()
    _apply_all(work, diff)
    for name, value in zip(VERSION_ATTRS, target, strict=True):
        work.set(name, str(value))
    expected = diff.get("digest")
    if expected is not None and content_digest(work) != expected:
        raise HaError.single(Code.CIB_DIFF_DIGEST_MISMATCH,
                             "the CIB after the patchset does not match its digest",
                             expected=expected)
    return CIBDocument(work)


def bumped_version(old: CIBVersion, diff: XMLElement) -> CIBVersion:
    """Pacemaker's counters: a configuration change bumps epoch, a status change num_updates."""
    if not diff_changes(diff):
        return old
    if is_configuration_change(diff):
        return CIBVersion(old.admin_epoch, old.epoch + 1, 0)
    return CIBVersion(old.admin_epoch, old.epoch, old.num_updates + 1)


def finish_update(old: CIBDocument, new_root: XMLElement, version: CIBVersion | None = None,
                  base: CIBVersion | None = None) -> tuple[CIBDocument, XMLElement]:
    """Give a changed copy its new version and return it with the patchset from `old`.
    The version is `version` when given, else the bump rule applied to `base` (a version the
    caller asked for, e.g. a pushed CIB's own) or to the old version. Nothing changed: the
    old document and an empty patchset."""
    start = base if base is not None else old.version
    for name, value in zip(VERSION_ATTRS, old.version, strict=True):
        new_root.set(name, str(value))
    probe = create_diff(old, CIBDocument(new_root), with_digest=False)
    changed = bool(diff_changes(probe))
    if not changed and version is None and start == old.version:
        return old, probe
    if version is None:
        version = bumped_version(start, probe) if changed else CIBVersion(
            start.admin_epoch, start.epoch, start.num_updates + 1)
    for name, value in zip(VERSION_ATTRS, version, strict=True):
        new_root.set(name, str(value))
    new = CIBDocument(new_root)
    target = xpath_elements(probe, "version/target")[0]
    for name, value in zip(VERSION_ATTRS, version, strict=True):
        target.set(name, str(value))
    probe.set("digest", new.digest())
    return new, probe


def apply_changes(doc: CIBDocument, diff: XMLElement) -> tuple[CIBDocument, XMLElement]:
    """Apply a patchset's changes whatever its versions (crm_diff --no-version, as
    `pcs cluster cib-push diff-against=` uses): the result gets the usual version bump."""
    if diff.tag != "diff" or diff.get("format") != "2":
        raise _invalid("not a format 2 patchset")
    work = doc.copy_root()
    _apply_all(work, diff)
    return finish_update(doc, work)


def _apply_all(work: XMLElement, diff: XMLElement) -> None:
    for change in diff_changes(diff):
        try:
            _apply_change(work, change)
        except ValueError as error:  # e.g. an attribute name lxml refuses
            raise _invalid(f"patchset change cannot be applied: {error}") from None
