"""The copy every member installs at the end of a sync: the winner's configuration with each
member's own node_state (the status section is each node's own truth).

Owns the pure pieces of a merge: a node's own node_state, the digest of what the sync
decides (everything but the members' own entries), the merged document and its version
(never below any member's, so no copy's version goes backwards), and what a losing copy's
configuration had that the merged one has not (for the error log). Must never do I/O.
Spec: Pacemaker Explained "CIB versions" (epoch for configuration, num_updates for status).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence

from hacluster.cib.document import (
    VERSION_ATTRS,
    VOLATILE_ATTRS,
    CIBDocument,
    CIBVersion,
    XMLElement,
    canonical,
    child_elements,
    content_digest,
    copy_element,
    document_from_element,
    serialize,
    xpath_elements,
)
from hacluster.cib.lineage import Lineage
from hacluster.common import NodeId


def node_state_id(node: NodeId) -> str:
    """The id of a node's node_state entry (Pacemaker: the cluster layer's node id)."""
    return str(int(node))


def own_node_state(doc: CIBDocument, node: NodeId) -> XMLElement | None:
    found = xpath_elements(doc.root, "/cib/status/node_state[@id=$i]", i=node_state_id(node))
    return found[0] if found else None


def own_node_state_text(doc: CIBDocument, node: NodeId) -> str:
    element = own_node_state(doc, node)
    return "" if element is None else serialize(element, pretty=False).decode()


def _without_members(root: XMLElement, members: Sequence[NodeId]) -> XMLElement:
    """`root` (a copy the caller owns) with the members' node_state entries removed."""
    ids = {node_state_id(m) for m in members}
    for status in root.findall("status"):
        for element in list(status):
            if element.tag == "node_state" and element.get("id") in ids:
                status.remove(element)
    return root


DigestParts = tuple[tuple[str, str], ...]


def digest_parts(doc: CIBDocument) -> DigestParts:
    """(key, md5) of each piece of `doc` in document order: the root's attributes, each
    child but the status, the status' attributes, and each status child (keyed by its
    node_state id). One canonical pass over the document, with no copy of it; base_digest
    combines the parts for any set of members (a replica keeps them per copy)."""
    def md5(data: bytes) -> str:
        return hashlib.md5(data, usedforsecurity=False).hexdigest()

    root = doc.root
    attrs = "".join(f"{k}={root.get(k)}\n" for k in sorted(str(k) for k in root.attrib)
                    if k not in VOLATILE_ATTRS)
    parts = [("", md5(attrs.encode()))]
    for child in child_elements(root):
        if child.tag != "status":
            parts.append(("", md5(canonical(child))))
            continue
        status = "".join(f"{k}={child.get(k)}\n" for k in sorted(str(k) for k in child.attrib))
        parts.append(("", md5(f"status\n{status}".encode())))
        for entry in child_elements(child):
            key = f"node_state:{entry.get('id')}" if entry.tag == "node_state" else ""
            parts.append((key, md5(canonical(entry))))
    return tuple(parts)


def base_digest(parts: DigestParts, members: Sequence[NodeId]) -> str:
    """The digest of what a sync takes from the winner: all but the members' own entries
    (from the copy's digest_parts; only ever compared with other members' base digests)."""
    own = {f"node_state:{node_state_id(m)}" for m in members}
    kept = "\n".join(digest for key, digest in parts if key not in own)
    return hashlib.md5(kept.encode(), usedforsecurity=False).hexdigest()


def merged_version(versions: Sequence[CIBVersion], winner: CIBVersion) -> CIBVersion:
    """Above every member's version: num_updates moves on when the winner's configuration
    version is the highest; otherwise a copy's configuration is replaced, and epoch does."""
    top = max(versions)
    if top[:2] == winner[:2]:
        return CIBVersion(winner.admin_epoch, winner.epoch, top.num_updates + 1)
    return CIBVersion(top.admin_epoch, top.epoch + 1, 0)


def merged_document(base: CIBDocument, own: Mapping[NodeId, XMLElement | None],
                    copies: Sequence[tuple[CIBVersion, str]], winner: CIBVersion) -> CIBDocument:
    """`base` with each member's entry replaced by its own (removed when it has none),
    appended in node order so that every member builds the same bytes. It keeps the
    winner's version only when every member copy (version, digest) at that version or
    above is exactly the result; otherwise the version moves above them all."""
    root = _without_members(base.copy_root(), sorted(own))
    status = root.find("status")
    assert status is not None, "a parsed CIB always has a status"
    for node in sorted(own):
        element = own[node]
        if element is not None:
            status.append(copy_element(element))
    for name, value in zip(VERSION_ATTRS, winner, strict=True):
        root.set(name, str(value))
    result = content_digest(root)
    if all(digest == result for version, digest in copies if version >= winner):
        return document_from_element(root)
    versions = [version for version, _ in copies]
    for name, value in zip(VERSION_ATTRS, merged_version(versions, winner), strict=True):
        root.set(name, str(value))
    return document_from_element(root)


def dropped_ids(old: CIBDocument, new: CIBDocument, limit: int = 10) -> list[str]:
    """Ids in `old`'s configuration that `new`'s lacks (what a losing copy gives up)."""
    def ids(doc: CIBDocument) -> set[str]:
        return {str(v) for v in doc.configuration.xpath(".//@id")}  # type: ignore[union-attr]

    return sorted(ids(old) - ids(new))[:limit]


def log_losses(doc: CIBDocument, lineage: Lineage, merged: CIBDocument, winner: Lineage,
               ring_id: int, log: logging.Logger) -> None:
    """Loud when our copy (`doc`, `lineage`) held configuration writes the winner's history
    lacks: what the merge into `merged` drops."""
    held = winner.contains(lineage)
    if held:
        return
    if held is None:
        log.warning("cib copy too old to tell what the merge drops ring=%s lineage=%s "
                    "winner=%s", ring_id, lineage.to_text(), winner.to_text())
        return
    log.error("cib dropped configuration writes no quorum acknowledged ring=%s "
              "lineage=%s winner=%s version=%s kept=%s dropped_ids=%s", ring_id,
              lineage.to_text(), winner.to_text(), doc.version, merged.version,
              dropped_ids(doc, merged))
