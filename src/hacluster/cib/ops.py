"""CIB operations as pure functions: query, create, modify, replace, delete, erase.

Each write takes a CIBDocument and returns (new document, v2 patchset); the input is never
mutated, and failures raise HaError with Problems (CIB_NO_SUCH_OBJECT, CIB_ID_EXISTS,
CIB_VERSION_CONFLICT, validation problems). Semantics follow cibadmin(8): -C adds under a
section, -M merges by id, -R replaces by id (or a whole section / the whole CIB with a version
check), -D removes the first element matching tag and attributes, -E empties everything.
Must never do I/O or read a clock.
"""

from __future__ import annotations

import re

from hacluster.cib.diff import finish_update, is_configuration_change
from hacluster.cib.document import (
    CONFIGURATION_SECTIONS,
    NEWEST_FEATURE_SET,
    SECTION_PATHS,
    VERSION_ATTRS,
    CIBDocument,
    CIBVersion,
    XMLElement,
    child_elements,
    copy_element,
    document_from_element,
    make_element,
    xpath_elements,
)
from hacluster.cib.validate import validate
from hacluster.common import Code, HaError, raise_if_errors

Update = tuple[CIBDocument, XMLElement]

_INCREMENT = re.compile(r"^(?P<name>[\w-]+)(?P<op>\+\+|\+=)(?P<amount>\d*)$")


def _no_such(message: str, **details: str) -> HaError:
    return HaError.single(Code.CIB_NO_SUCH_OBJECT, message, **details)


def _check_section(section: str | None) -> None:
    if section is not None and section not in SECTION_PATHS:
        raise HaError.single(Code.CIB_UNKNOWN_SECTION, f"unknown CIB section '{section}'",
                             section=section)


def _section_in(root: XMLElement, section: str, create: bool = False) -> XMLElement | None:
    found = xpath_elements(root, SECTION_PATHS[section])
    if found:
        return found[0]
    if not create or section not in CONFIGURATION_SECTIONS:
        return None
    configuration = xpath_elements(root, SECTION_PATHS["configuration"])[0]
    created = make_element(section)
    configuration.append(created)
    return created


def _finish(old: CIBDocument, new_root: XMLElement, check: bool,
            base: CIBVersion | None = None) -> Update:
    new, diff = finish_update(old, new_root, base=base)
    # Status-only writes (the frequent ones) cannot break the configuration's rules.
    if check and new is not old and is_configuration_change(diff):
        raise_if_errors(validate(new))
    return new, diff


# ------------------------------------------------------------------------------ query


def query(doc: CIBDocument, section: str | None = None,
          xpath: str | None = None) -> list[XMLElement]:
    """Copies of the matching elements: a section, every XPath match, or the whole CIB."""
    _check_section(section)
    if xpath is not None:
        found = doc.xpath(xpath)
        if not found:
            raise _no_such(f"no element matches the XPath '{xpath}'", xpath=xpath)
        return [copy_element(e) for e in found]
    if section is None:
        return [doc.copy_root()]
    element = doc.section(section)
    if element is None:
        raise _no_such(f"the CIB has no {section} section", section=section)
    return [copy_element(element)]


# ----------------------------------------------------------------------------- create


def _existing_child(parent: XMLElement, element: XMLElement) -> XMLElement | None:
    element_id = element.get("id")
    if element_id is None:
        return None
    for child in child_elements(parent):
        if child.tag == element.tag and child.get("id") == element_id:
            return child
    return None


def create(doc: CIBDocument, fragment: XMLElement, section: str | None = None,
           check: bool = True) -> Update:
    """Add `fragment` as a new child of `section` (or its children, when `fragment` is the
    section element itself). An object with the same tag and id there is CIB_ID_EXISTS."""
    _check_section(section)
    root = doc.copy_root()
    tag = str(fragment.tag)
    if section is None:
        if tag not in CONFIGURATION_SECTIONS:
            raise _no_such(f"no section given for <{tag}>: use -o/--scope", tag=tag)
        if _section_in(root, tag) is None:
            _section_in(root, tag, create=True)
        return _finish(doc, root, check)
    parent = _section_in(root, section, create=True)
    if parent is None:
        raise _no_such(f"the CIB has no {section} section", section=section)
    items = child_elements(fragment) if tag == parent.tag else [fragment]
    for item in items:
        if _existing_child(parent, item) is not None:
            raise HaError.single(
                Code.CIB_ID_EXISTS,
                f"a <{item.tag}> with id '{item.get('id')}' already exists in {section}",
                id=item.get("id", ""), tag=str(item.tag))
        parent.append(copy_element(item))
    return _finish(doc, root, check)


# ----------------------------------------------------------------------------- modify


def _merged_value(old: str | None, value: str, name: str) -> str:
    """cibadmin -M understands value="attr++" and value="attr+=N" as increments."""
    match = _INCREMENT.match(value)
    if match is None or match.group("name") != name:
        return value
    amount = int(match.group("amount") or "1") if match.group("op") == "+=" else 1
    base = int(old) if old is not None and old.lstrip("-").isdigit() else 0
    return str(base + amount)


def _merge(target: XMLElement, update: XMLElement) -> None:
    for name, value in update.attrib.items():
        key = str(name)
        if target.getparent() is None and key in VERSION_ATTRS:
            continue
        target.set(key, _merged_value(target.get(key), str(value), key))
    for child in child_elements(update):
        match = _existing_child(target, child)
        if match is None and child.get("id") is None:
            match = next((c for c in child_elements(target) if c.tag == child.tag), None)
        if match is None:
            target.append(copy_element(child))
        else:
            _merge(match, child)


def _locate(root: XMLElement, fragment: XMLElement, section: str | None) -> XMLElement | None:
    """The element an update names: the section itself, or a descendant with its tag and id."""
    tag = str(fragment.tag)
    scope = root if section is None else _section_in(root, section)
    if scope is None:
        return None
    if tag == scope.tag:
        return scope
    if section is None and tag in SECTION_PATHS:
        found = xpath_elements(root, SECTION_PATHS[tag])
        return found[0] if found else None
    element_id = fragment.get("id")
    if element_id is None:
        found = xpath_elements(scope, f".//{tag}")
    else:
        found = xpath_elements(scope, ".//*[local-name()=$t][@id=$i]", t=tag, i=element_id)
    return found[0] if found else None


def modify(doc: CIBDocument, fragment: XMLElement, section: str | None = None,
           allow_create: bool = False, check: bool = True) -> Update:
    """Merge `fragment` into the element with its tag and id (attributes set, children merged
    by id, new children appended). Missing: CIB_NO_SUCH_OBJECT unless `allow_create`."""
    _check_section(section)
    root = doc.copy_root()
    target = _locate(root, fragment, section)
    if target is None:
        if allow_create and section is not None:
            return create(doc, fragment, section, check)
        raise _no_such(f"no <{fragment.tag}> with id '{fragment.get('id', '')}' to modify",
                       tag=str(fragment.tag), id=fragment.get("id", ""))
    base = _requested_version(doc, fragment) if target is root else None
    _merge(target, fragment)
    return _finish(doc, root, check, base)


def _requested_version(doc: CIBDocument, fragment: XMLElement) -> CIBVersion | None:
    """cibadmin -M -X '<cib admin_epoch="N"/>' sets counters; lowering them is refused."""
    if not any(fragment.get(a) is not None for a in VERSION_ATTRS):
        return None
    try:
        wanted = CIBVersion(*(int(fragment.get(a) or v)
                              for a, v in zip(VERSION_ATTRS, doc.version, strict=True)))
    except ValueError:
        raise HaError.single(Code.CIB_NOT_A_CIB, "CIB version attributes must be numbers") \
            from None
    if wanted < doc.version:
        raise HaError.single(Code.CIB_VERSION_CONFLICT,
                             f"update was older than existing configuration ({wanted} < "
                             f"{doc.version})", current=str(doc.version), pushed=str(wanted))
    return wanted


# ---------------------------------------------------------------------------- replace


def replace(doc: CIBDocument, fragment: XMLElement, section: str | None = None,
            check: bool = True) -> Update:
    """Replace the element with `fragment`'s tag and id (or a section, or the whole CIB)."""
    _check_section(section)
    if fragment.tag == "cib":
        return replace_document(doc, document_from_element(copy_element(fragment)), check)
    root = doc.copy_root()
    target = _locate(root, fragment, section)
    if target is None:
        raise _no_such(f"no <{fragment.tag}> with id '{fragment.get('id', '')}' to replace",
                       tag=str(fragment.tag), id=fragment.get("id", ""))
    parent = target.getparent()
    assert parent is not None, "only <cib> has no parent, and it is handled above"
    parent.replace(target, copy_element(fragment))
    return _finish(doc, root, check)


def replace_document(doc: CIBDocument, new: CIBDocument, check: bool = True) -> Update:
    """Install a whole CIB. An older one (by admin_epoch, then epoch) is CIB_VERSION_CONFLICT;
    the result gets the usual bump on top of the newer of the two versions."""
    if new.version[:2] < doc.version[:2]:
        raise HaError.single(
            Code.CIB_VERSION_CONFLICT,
            f"update was older than existing configuration ({new.version} < {doc.version})",
            current=str(doc.version), pushed=str(new.version))
    root = new.copy_root()
    return _finish(doc, root, check, base=max(new.version, doc.version))


# ----------------------------------------------------------------------------- delete


def _matches(element: XMLElement, pattern: XMLElement) -> bool:
    if element.tag != pattern.tag:
        return False
    return all(element.get(str(k)) == v for k, v in pattern.attrib.items())


def delete(doc: CIBDocument, fragment: XMLElement | None = None, section: str | None = None,
           xpath: str | None = None, check: bool = True) -> Update:
    """Remove the first element matching `fragment`'s tag and attributes (nothing matching is
    not an error, as for cibadmin -D), or the first element an XPath matches (none: an
    error)."""
    _check_section(section)
    root = doc.copy_root()
    if xpath is not None:
        found = xpath_elements(root, xpath)
        if not found:
            raise _no_such(f"no element matches the XPath '{xpath}'", xpath=xpath)
        targets = found[:1]  # as cibadmin -D --xpath: the first match in document order
    else:
        assert fragment is not None, "delete needs an element or an XPath"
        scope = root if section is None else _section_in(root, section)
        candidates = [] if scope is None else [e for e in scope.iter(str(fragment.tag))]
        targets = [e for e in candidates if _matches(e, fragment)][:1]
    for target in targets:
        parent = target.getparent()
        if parent is None or target.tag in ("configuration", "status"):
            raise HaError.single(Code.CIB_DANGEROUS, f"refusing to delete <{target.tag}>")
        parent.remove(target)
    return _finish(doc, root, check)


# ------------------------------------------------------------------------------ erase


def erase(doc: CIBDocument, crm_feature_set: str = NEWEST_FEATURE_SET) -> Update:
    """Empty the configuration and status (cibadmin -E): admin_epoch+1 and epoch+1."""
    root = make_element("cib", {str(k): str(v) for k, v in doc.root.attrib.items()
                                if str(k) in ("validate-with", *VERSION_ATTRS)})
    root.set("crm_feature_set", crm_feature_set)
    new_root = document_from_element(root).root
    old = doc.version
    version = CIBVersion(old.admin_epoch + 1, old.epoch + 1, 0)
    new, diff = finish_update(doc, new_root, version)
    return new, diff


