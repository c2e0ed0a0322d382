"""CIB write requests as values: what a client asked for, carried between nodes and applied.

Owns `CIBRequest` (operation name, XML, section, XPath, options), its bytes (REQUEST_CODEC,
the tagged-JSON codec of hacluster.common: CibWrite carries them), and `apply_request`, the one dispatch from a request to the pure operations.
The same function runs on a file (api/env.py CibFile) and on every replica in agreed order,
so a write means the same thing everywhere. Must never do I/O or read a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from hacluster.cib.diff import apply_changes, apply_diff, diff_changes, diff_version
from hacluster.cib.document import (
    VERSION_ATTRS,
    CIBDocument,
    XMLElement,
    copy_element,
    make_element,
    parse_cib,
    parse_fragment,
)
from hacluster.cib.ops import Update, create, delete, erase, modify, replace, replace_document
from hacluster.cib.schema_scope import check_skeleton
from hacluster.cib.upgrade import upgrade
from hacluster.common import Code, Codec, DecodeError, HaError, Problem

OPERATIONS = frozenset({"create", "modify", "replace", "delete", "erase", "upgrade",
                        "apply-diff", "replace-config"})


STAMP_ATTRS = ("cib-last-written", "update-origin", "update-client", "update-user")
# The root attributes the DC maintains (Pacemaker Explained, "CIB properties"): status, not
# configuration (they count in num_updates), so a DC without quorum records them too.
DC_ATTRS = ("have-quorum", "dc-uuid")


@dataclass(frozen=True, slots=True)
class CIBRequest:
    """One client write. `options` are flags: "allow-create" (modify), "no-version"
    (apply-diff without a version check), "force" (accepted for erase/upgrade).
    `stamp` holds the root attributes a live write records (cib-last-written,
    update-origin, update-client, update-user): values chosen once, by the client and
    the origin node, so every replica writes the same ones.
    `status_of`: a status update for the node whose node_state has this id (its resource
    history, transient attributes, join state; from its DC also the root's DC_ATTRS): it
    may change nothing else, and needs no quorum; see hacluster.cib.replica for what that
    means at a merge."""

    operation: str
    xml: str = ""
    section: str | None = None
    xpath: str | None = None
    options: frozenset[str] = frozenset()
    stamp: tuple[tuple[str, str], ...] = ()
    status_of: str | None = None

    def to_bytes(self) -> bytes:
        """The request as REQUEST_CODEC carries it (CibWrite's bytes over the IPC socket)."""
        return REQUEST_CODEC.encode(self)


REQUEST_CODEC = Codec({"cib.request": CIBRequest})


def request_from_bytes(data: bytes) -> CIBRequest:
    """Decode a request; anything malformed is CIB_DIFF_INVALID (peers drop, never raise)."""
    request = REQUEST_CODEC.check(data, CIBRequest)
    if isinstance(request, DecodeError):
        raise HaError.single(Code.CIB_DIFF_INVALID, f"malformed CIB request: {request.reason}")
    problem = request_problem(request)
    if problem is not None:
        raise problem
    return request  # type: ignore[no-any-return]


def request_problem(request: CIBRequest) -> HaError | None:
    """Why a request (from a client or a peer) is malformed; None when it is well formed."""
    if request.operation not in OPERATIONS:
        return HaError.single(Code.CIB_DIFF_INVALID,
                              f"unknown CIB operation {request.operation!r}")
    for value in (request.section, request.xpath, request.status_of):
        if value is not None and not isinstance(value, str):
            return HaError.single(Code.CIB_DIFF_INVALID, "malformed CIB request")
    if any(name not in STAMP_ATTRS for name, _ in request.stamp):
        return HaError.single(Code.CIB_DIFF_INVALID, "a CIB request may stamp only "
                              f"{', '.join(STAMP_ATTRS)}")
    if request.status_of is not None and not request.status_of:
        return HaError.single(Code.CIB_DIFF_INVALID, "a status update names its node")
    return None


def is_confined_to_node_state(diff: XMLElement, node_state_id: str) -> bool:
    """Whether a patchset changes only the node_state with this id (and the stamp and the
    DC's have-quorum / dc-uuid on the root): what a status update may do. It never moves
    admin_epoch or epoch (those rank copies at a merge): only num_updates."""
    try:
        if diff_version(diff, "source")[:2] != diff_version(diff, "target")[:2]:
            return False
    except HaError:
        return False
    own = f"/cib/status/node_state[@id='{node_state_id}']"
    for change in diff_changes(diff):
        path, operation = change.get("path", ""), change.get("operation")
        if path == own or path.startswith(own + "/"):
            continue
        if operation == "create" and path == "/cib/status":
            kids = [k for k in change if isinstance(k.tag, str)]
            if len(kids) == 1 and kids[0].tag == "node_state" \
                    and kids[0].get("id") == node_state_id:
                continue
        if operation == "modify" and path == "/cib":
            names = {c.get("name") for c in change.iter("change-attr")}
            if names <= set(STAMP_ATTRS + DC_ATTRS):
                continue
        return False
    return True


def _replace_config(doc: CIBDocument, xml: str) -> Update:
    """pcs cluster cib-push --config: only the configuration section of the given CIB."""
    pushed = parse_cib(xml)
    return replace(doc, pushed.configuration, "configuration")


SchemaCheck = Callable[[XMLElement], list[str]]
# validate-with name -> its RelaxNG check (None: not installed, or "none"). The I/O layer
# (api.env, drivers) loads the schemas; the pure layers only call the lookup.
SchemaLookup = Callable[[str], "SchemaCheck | None"]


def apply_request(doc: CIBDocument, request: CIBRequest,
                  schemas: SchemaLookup | None = None) -> Update:
    """Apply one write to `doc`: (new document, patchset) or HaError. A write that changed
    something also records the request's stamp on the root. With `schemas`, a result that
    does not conform to the RelaxNG schema its validate-with names is refused as the real
    CIB manager refuses it (exit 78), and nothing changes."""
    new, diff = _apply_operation(doc, request)
    if new is not doc and schemas is not None:
        schema_check = schemas(new.validate_with)
        if schema_check is not None:
            # The parts the write changed first (see schema_scope); the whole document
            # only when that is not enough to tell.
            skeleton = check_skeleton(doc, new, diff)
            if skeleton is None or schema_check(skeleton):
                raise_if_nonconforming(new, schema_check)
    if new is doc or not request.stamp:
        return new, diff
    return stamp_update(new, diff, request.stamp)


def raise_if_nonconforming(doc: CIBDocument, schema_check: SchemaCheck) -> None:
    errors = schema_check(doc.root)
    if errors:
        raise HaError([Problem(Code.CIB_SCHEMA_INVALID,
                               "Update does not conform to the configured schema",
                               MappingProxyType({"errors": tuple(errors)}))])


def stamp_update(new: CIBDocument, diff: XMLElement,
                 stamp: tuple[tuple[str, str], ...]) -> Update:
    """Set the stamp attributes on a copy of `new` and record them in its patchset."""
    root = new.copy_root()
    change_list = make_element("change-list")
    for name, value in stamp:
        if name in STAMP_ATTRS and root.get(name) != value:
            root.set(name, value)
            change_list.append(make_element("change-attr",
                                            {"name": name, "operation": "set", "value": value}))
    if not len(change_list):
        return new, diff
    stamped = CIBDocument(root)
    change = make_element("change", {"operation": "modify", "path": "/cib"})
    result = make_element("change-result")
    result.append(make_element("cib", {str(k): str(v) for k, v in root.attrib.items()
                                       if str(k) not in VERSION_ATTRS}))
    change.extend([change_list, result])
    patched = copy_element(diff)
    patched.append(change)
    patched.set("digest", stamped.digest())
    return stamped, patched


def _apply_operation(doc: CIBDocument, request: CIBRequest) -> Update:
    op = request.operation
    if op == "erase":
        return erase(doc)
    if op == "upgrade":
        return upgrade(doc)
    if op == "delete" and request.xpath is not None:
        return delete(doc, None, request.section, request.xpath)
    if op == "replace-config":
        return _replace_config(doc, request.xml)
    fragment = parse_fragment(request.xml)
    if op == "create":
        return create(doc, fragment, request.section)
    if op == "modify":
        return modify(doc, fragment, request.section, "allow-create" in request.options)
    if op == "replace":
        if fragment.tag == "cib":
            return replace_document(doc, parse_cib(request.xml))
        return replace(doc, fragment, request.section)
    if op == "delete":
        return delete(doc, fragment, request.section)
    if op == "apply-diff":
        if "no-version" in request.options:
            return apply_changes(doc, fragment)
        new = apply_diff(doc, fragment)
        return new, fragment
    raise HaError.single(Code.CIB_DIFF_INVALID, f"unknown CIB operation {op!r}")
