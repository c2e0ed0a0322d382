"""The CIB document: the only module that wraps the XML library (lxml).

Owns safe parsing (no entity expansion, no DTD, no network, size and depth limits),
the section layout Pacemaker writes, ids, the version triple (admin_epoch, epoch,
num_updates) with its precedence, serialization and a content digest.
A CIBDocument is never mutated after construction: operations work on a copy.
Must never do I/O. Spec: Pacemaker Explained, "Configuration Layout" and "CIB Properties".
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple, TypeAlias

from lxml import etree

from hacluster.common import MAX_CIB_BYTES as MAX_CIB_BYTES  # re-exported: the one limit
from hacluster.common import Code, HaError

XMLElement: TypeAlias = etree._Element

# A file the operator names on the command line (crm_simulate -x, CIB_file) comes from the
# operator, not from a peer: it may be larger (32 nodes x 10k resources with status is
# ~210 MB). Still bounded, so a wrong path (a disk image, /dev/zero) fails cleanly.
MAX_LOCAL_CIB_BYTES = 4 * 1024 * 1024 * 1024
MAX_DEPTH = 64
NEWEST_FEATURE_SET = "3.16.1"
DEFAULT_SCHEMA = "pacemaker-3.7"

VERSION_ATTRS = ("admin_epoch", "epoch", "num_updates")
# Attributes stamped with wall-clock time or caller identity: not part of the content digest.
VOLATILE_ATTRS = frozenset({"cib-last-written"})

CONFIGURATION_SECTIONS = (
    "crm_config", "nodes", "resources", "constraints", "rsc_defaults", "op_defaults",
    "alerts", "acls", "tags", "fencing-topology",
)
REQUIRED_CONFIGURATION_SECTIONS = ("crm_config", "nodes", "resources", "constraints")
# Where each section lives, as an absolute path from the document root.
SECTION_PATHS: Mapping[str, str] = MappingProxyType(
    {"cib": "/cib", "configuration": "/cib/configuration", "status": "/cib/status"}
    | {name: f"/cib/configuration/{name}" for name in CONFIGURATION_SECTIONS}
)


class CIBVersion(NamedTuple):
    """Pacemaker's precedence: admin_epoch first, then epoch, then num_updates."""

    admin_epoch: int
    epoch: int
    num_updates: int

    def __str__(self) -> str:
        return f"{self.admin_epoch}.{self.epoch}.{self.num_updates}"


def _int_attr(element: XMLElement, name: str) -> int:
    text = element.get(name, "0")
    try:
        return int(text)
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class CIBDocument:
    """A parsed CIB. `root` is the <cib> element; treat it as read-only."""

    root: XMLElement

    @property
    def version(self) -> CIBVersion:
        return CIBVersion(*(_int_attr(self.root, a) for a in VERSION_ATTRS))

    @property
    def validate_with(self) -> str:
        return self.root.get("validate-with", "")

    @property
    def crm_feature_set(self) -> str:
        return self.root.get("crm_feature_set", "")

    def section(self, name: str) -> XMLElement | None:
        """The element of a named section ("resources", "status", ...), None when absent."""
        path = SECTION_PATHS.get(name)
        if path is None:
            raise HaError.single(Code.CIB_UNKNOWN_SECTION, f"unknown CIB section '{name}'",
                                 section=name)
        found = xpath_elements(self.root, path)
        return found[0] if found else None

    @property
    def configuration(self) -> XMLElement:
        found = self.section("configuration")
        assert found is not None, "a parsed CIB always has a configuration"
        return found

    @property
    def status(self) -> XMLElement:
        found = self.section("status")
        assert found is not None, "a parsed CIB always has a status"
        return found

    def find_by_id(self, element_id: str, tag: str = "*") -> XMLElement | None:
        found = xpath_elements(self.root, f"//{tag}[@id=$i]", i=element_id)
        return found[0] if found else None

    def xpath(self, expression: str) -> list[XMLElement]:
        return xpath_elements(self.root, expression)

    def to_bytes(self, pretty: bool = True) -> bytes:
        return serialize(self.root, pretty)

    def to_text(self, pretty: bool = True) -> str:
        return self.to_bytes(pretty).decode("utf-8")

    def digest(self) -> str:
        return content_digest(self.root)

    def copy_root(self) -> XMLElement:
        """A deep copy of the tree for an operation to change."""
        return copy_element(self.root)


# ------------------------------------------------------------------ element helpers


def xpath_elements(root: XMLElement, expression: str, **variables: Any) -> list[XMLElement]:
    """Evaluate an XPath and keep only elements; a bad expression is CIB_BAD_XPATH."""
    try:
        result = root.xpath(expression, **variables)
    except (etree.XPathError, TypeError) as exc:
        raise HaError.single(Code.CIB_BAD_XPATH, f"invalid XPath '{expression}': {exc}",
                             xpath=expression) from None
    if not isinstance(result, list):
        return []
    return [node for node in result if isinstance(node, etree._Element)
            and isinstance(node.tag, str)]


def make_element(tag: str, attrs: Mapping[str, str] | None = None) -> XMLElement:
    element = etree.Element(tag)
    for name, value in (attrs or {}).items():
        element.set(name, value)
    return element


def copy_element(element: XMLElement) -> XMLElement:
    """A deep copy detached from any parent, without the tail text."""
    clone = copy.deepcopy(element)
    clone.tail = None
    return clone


def serialize(element: XMLElement, pretty: bool = True) -> bytes:
    data: bytes = etree.tostring(element, pretty_print=pretty, encoding="utf-8")
    return data


def child_elements(element: XMLElement) -> list[XMLElement]:
    return [c for c in element if isinstance(c.tag, str)]


def is_same_tree(a: XMLElement, b: XMLElement) -> bool:
    """Byte-identical subtrees (a fast, conservative equality: attribute order counts)."""
    return bool(etree.tostring(a) == etree.tostring(b))


def iter_elements(element: XMLElement) -> Iterator[XMLElement]:
    for node in element.iter():
        if isinstance(node.tag, str):
            yield node


def canonical(element: XMLElement) -> bytes:
    """The element's canonical XML (C14N: attributes sorted), what digests are taken of."""
    data: bytes = etree.tostring(element, method="c14n")
    return data


def content_digest(root: XMLElement) -> str:
    """md5 over sorted root attributes (minus volatile ones) and the C14N of each child.
    C14N sorts attributes, so the digest does not depend on attribute order."""
    md5 = hashlib.md5(usedforsecurity=False)
    for name in sorted(root.attrib.keys()):
        key = str(name)
        if key not in VOLATILE_ATTRS:
            md5.update(f"{key}={root.get(key)}\n".encode())
    for child in child_elements(root):
        md5.update(canonical(child))
    return md5.hexdigest()


# ------------------------------------------------------------------------ safe parsing


def _safe_parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers carry state and are not to be shared.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_blank_text=True, remove_comments=True, remove_pis=True,
    )


def _as_bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _unsafe(reason: str) -> HaError:
    return HaError.single(Code.CIB_UNSAFE_XML, f"refusing unsafe XML: {reason}", reason=reason)


def parse_xml(data: str | bytes, max_bytes: int = MAX_CIB_BYTES,
              max_depth: int = MAX_DEPTH) -> XMLElement:
    """Parse any XML text safely: DTDs, entities, oversize and overdeep input are refused."""
    raw = _as_bytes(data)
    if len(raw) > max_bytes:
        raise _unsafe(f"{len(raw)} bytes is over the limit of {max_bytes}")
    # CIBs are UTF-8; other encodings would hide markup from the byte checks below.
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:4]:
        raise _unsafe("only UTF-8 XML is accepted")
    # No CIB has a DTD; refusing any DOCTYPE stops XXE and billion-laughs before parsing.
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise _unsafe("a DOCTYPE or ENTITY declaration is not allowed")
    try:
        root = etree.fromstring(raw, _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise HaError.single(Code.CIB_XML_SYNTAX, f"XML syntax error: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise _unsafe("a DOCTYPE is not allowed")
    if xpath_elements(root, "/*" + "/*" * max_depth):
        raise _unsafe(f"nesting deeper than {max_depth} elements")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise _unsafe("entity references are not allowed")
    return root


def parse_fragment(data: str | bytes) -> XMLElement:
    """Parse one XML element given by a client (cibadmin -X), safely."""
    return parse_xml(data)


def parse_cib(data: str | bytes, max_bytes: int = MAX_CIB_BYTES) -> CIBDocument:
    """Parse a whole CIB safely and complete missing mandatory sections and version attributes.
    `max_bytes` stays MAX_CIB_BYTES for anything from a peer or client; only a local file
    the operator named may pass MAX_LOCAL_CIB_BYTES."""
    root = parse_xml(data, max_bytes)
    return document_from_element(root)


def document_from_element(root: XMLElement) -> CIBDocument:
    """Wrap a freshly built <cib> tree (which the caller gives up) as a CIBDocument."""
    if root.tag != "cib":
        raise HaError.single(Code.CIB_NOT_A_CIB,
                             f"the document root is <{root.tag}>, not <cib>", tag=str(root.tag))
    for attr in VERSION_ATTRS:
        if root.get(attr) is None:
            root.set(attr, "0")
        elif not root.get(attr, "").isdigit():
            raise HaError.single(Code.CIB_NOT_A_CIB,
                                 f"the CIB attribute {attr}='{root.get(attr)}' is not a number")
    configuration = root.find("configuration")
    if configuration is None:
        configuration = etree.SubElement(root, "configuration")
        configuration.getparent().insert(0, configuration)  # type: ignore[union-attr]
    for name in REQUIRED_CONFIGURATION_SECTIONS:
        if configuration.find(name) is None:
            etree.SubElement(configuration, name)
    if root.find("status") is None:
        etree.SubElement(root, "status")
    return CIBDocument(root)


def empty_cib(validate_with: str = DEFAULT_SCHEMA,
              crm_feature_set: str = NEWEST_FEATURE_SET) -> CIBDocument:
    """A CIB with no configuration, as `cibadmin --empty` writes it."""
    root = make_element("cib", {
        "crm_feature_set": crm_feature_set, "validate-with": validate_with,
        "epoch": "1", "num_updates": "0", "admin_epoch": "0",
    })
    return document_from_element(root)


def relaxng_check(relaxng: etree.RelaxNG) -> Callable[[XMLElement], list[str]]:
    """A compiled RelaxNG schema as a check returning its error lines (none: conforms)."""

    def check(root: XMLElement) -> list[str]:
        if relaxng.validate(root):
            return []
        return [f"{e.line}: {e.message}" for e in relaxng.error_log]

    return check
