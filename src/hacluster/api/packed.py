"""Chunked, optionally lean parsing of the operator's CIB file for crm_simulate.

Owns parse_cib_chunks. With `lean`, each lrm_resource and lrm_rsc_op keeps its attributes as
one packed text node instead of one libxml2 attribute (plus text node) per attribute: about
4 KB less per operation, so 32 nodes x 10k resources schedule in under 1 GiB. The packed
elements answer .get() exactly as before; that is the only way any stage reads operation
history (tests/unit/test_scheduler_perf.py checks it). Must never be used for a CIB that is
serialized or written back (the packed text would leak), and never does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from hacluster.common import Code, HaError

# Bookkeeping attributes of lrm_rsc_op that neither the scheduler nor the status view reads
# (the test above checks that no stage names them): a lean parse drops them altogether.
# (crm_feature_set is read: it says how an old history computed its secure digest.)
UNREAD_OP_ATTRS = frozenset({"crm-debug-origin", "transition-magic", "on_node"})
PACKED_TAGS = ("lrm_resource", "lrm_rsc_op")
# DEL: XML-legal (lxml accepts it as text), ASCII (the text stays a compact str) and never
# in a CIB's names or values; an element whose names or values hold one anyway is left
# unpacked, so the packing is always exact. Packed text: SEP name=value SEP name=value ...
# SEP then only starts fields, and XML names never hold "=", so SEP+name+"=" is unique.
SEP = "\x7f"


class PackedElement(etree.ElementBase):
    """An lrm_resource / lrm_rsc_op whose attributes a lean parse packed into its text."""

    def get(self, key: Any, default: Any = None) -> Any:
        text = self.text
        if not text or text[0] != SEP:
            return super().get(key, default)
        field = f"{SEP}{key}="
        start = text.find(field)
        if start < 0:
            return default
        start += len(field)
        end = text.find(SEP, start)
        return text[start:end] if end >= 0 else text[start:]


def too_large(size: int, max_bytes: int) -> HaError:
    return HaError.single(Code.CIB_UNSAFE_XML,
                          f"refusing a CIB of {size} bytes or more (the limit is {max_bytes})")


def lean_parser() -> Any:
    """The safe options of api.simulate.safe_parser, reporting the end of each packed tag
    and building those elements as PackedElement."""
    parser = etree.XMLPullParser(events=("end",), tag=PACKED_TAGS, resolve_entities=False,
                                 no_network=True, load_dtd=False, remove_comments=True,
                                 huge_tree=True)
    lookup = etree.ElementNamespaceClassLookup()
    registry = lookup.get_namespace(None)
    for tag in PACKED_TAGS:
        registry[tag] = PackedElement
    parser.set_element_class_lookup(lookup)
    return parser


def parse_cib_chunks(chunks: Iterable[bytes], max_bytes: int, lean: bool = False) -> Any:
    """Parse a CIB fed piece by piece (the CLI reads the operator's file in chunks): the
    whole text is never held next to the tree it becomes. `lean`: see the module doc."""
    parser = lean_parser() if lean else etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
        huge_tree=True)
    total = 0
    try:
        for chunk in chunks:
            total += len(chunk)
            if total > max_bytes:
                raise too_large(total, max_bytes)
            parser.feed(chunk)
            if lean:
                pack(parser.read_events())
        root = parser.close()
        if lean:
            pack(parser.read_events())
        return root
    except etree.XMLSyntaxError as exc:
        raise HaError.single(Code.CIB_XML_SYNTAX, f"the CIB is not well-formed XML: {exc}") \
            from exc


def pack(events: Iterable[tuple[str, Any]]) -> None:
    for _event, el in events:
        attrs = el.attrib
        fields = [f"{SEP}{k}={v}" for k, v in attrs.items() if k not in UNREAD_OP_ATTRS]
        packed = "".join(fields) or SEP
        if packed.count(SEP) != max(len(fields), 1):
            continue  # a name or value holds the separator: keep this element as parsed
        attrs.clear()
        el.text = packed
