"""The CIB: Pacemaker's cluster information base as an immutable document and pure operations.

Public API for every other layer (import from here, never from the modules):
parse_cib / CIBDocument (with `.root` lxml element and `.version` CIBVersion tuple),
the cibadmin-style operations returning (new document, v2 patchset), patchset
create/apply, validation, schema upgrade and the replication core.
Must never do I/O: files are the drivers' business (drivers/cibfile.py).
"""

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hacluster.cib.attributes import (
    node_attribute_request,
    node_attributes,
    node_id_of,
)
from hacluster.cib.diff import (
    apply_changes,
    apply_diff,
    bumped_version,
    create_diff,
    diff_changes,
    diff_version,
    element_path,
    finish_update,
    is_configuration_change,
)
from hacluster.cib.document import (
    CONFIGURATION_SECTIONS,
    DEFAULT_SCHEMA,
    MAX_CIB_BYTES,
    MAX_LOCAL_CIB_BYTES,
    NEWEST_FEATURE_SET,
    SECTION_PATHS,
    CIBDocument,
    CIBVersion,
    XMLElement,
    content_digest,
    copy_element,
    empty_cib,
    parse_cib,
    parse_fragment,
    parse_xml,
    relaxng_check,
    serialize,
)
from hacluster.cib.ops import (
    Update,
    create,
    delete,
    erase,
    modify,
    query,
    replace,
    replace_document,
)
from hacluster.cib.requests import (
    OPERATIONS,
    CIBRequest,
    SchemaCheck,
    SchemaLookup,
    apply_request,
    raise_if_nonconforming,
    request_from_bytes,
)
from hacluster.cib.upgrade import upgrade
from hacluster.cib.validate import schema_version, validate

if TYPE_CHECKING:
    from hacluster.cib.applying import OFFLOAD_MIN_BYTES, ApplyDone, ApplyJob, run_apply
    from hacluster.cib.lineage import Lineage, parse_persisted, persisted_bytes
    from hacluster.cib.merge import node_state_id
    from hacluster.cib.messages import CIB_CODEC, CIBAnnounce, CIBApplied, CIBSync, CIBUpdate
    from hacluster.cib.replica import (
        Broadcast,
        CIBReplica,
        Delivered,
        LocalWrite,
        MembershipChanged,
        ReplicaStatus,
    )

# The replication core, its wire messages, the write jobs, lineage and merge load on first
# use (PEP 562): a command-line tool that reads or writes the CIB through the daemon never
# needs them, and they are a good part of its start-up time.
_LAZY = MappingProxyType({
    **{name: "hacluster.cib.applying" for name in (
        "OFFLOAD_MIN_BYTES", "ApplyDone", "ApplyJob", "run_apply")},
    **{name: "hacluster.cib.lineage" for name in (
        "Lineage", "parse_persisted", "persisted_bytes")},
    "node_state_id": "hacluster.cib.merge",
    **{name: "hacluster.cib.messages" for name in (
        "CIB_CODEC", "CIBAnnounce", "CIBApplied", "CIBSync", "CIBUpdate")},
    **{name: "hacluster.cib.replica" for name in (
        "Broadcast", "CIBReplica", "Delivered", "LocalWrite", "MembershipChanged",
        "ReplicaStatus")}})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

__all__ = [
    "OFFLOAD_MIN_BYTES",
    "ApplyDone",
    "ApplyJob",
    "run_apply",
    "node_attribute_request",
    "node_attributes",
    "node_id_of",
    "CIB_CODEC",
    "Broadcast",
    "CIBAnnounce",
    "CIBApplied",
    "CIBSync",
    "CIBUpdate",
    "Lineage",
    "node_state_id",
    "parse_persisted",
    "persisted_bytes",
    "CIBReplica",
    "Delivered",
    "LocalWrite",
    "MembershipChanged",
    "ReplicaStatus",
    "CONFIGURATION_SECTIONS",
    "DEFAULT_SCHEMA",
    "MAX_CIB_BYTES",
    "MAX_LOCAL_CIB_BYTES",
    "NEWEST_FEATURE_SET",
    "SECTION_PATHS",
    "CIBDocument",
    "CIBRequest",
    "OPERATIONS",
    "SchemaCheck",
    "SchemaLookup",
    "relaxng_check",
    "raise_if_nonconforming",
    "CIBVersion",
    "Update",
    "XMLElement",
    "apply_changes",
    "apply_diff",
    "apply_request",
    "bumped_version",
    "content_digest",
    "copy_element",
    "create",
    "create_diff",
    "delete",
    "diff_changes",
    "diff_version",
    "element_path",
    "empty_cib",
    "erase",
    "finish_update",
    "is_configuration_change",
    "modify",
    "parse_cib",
    "parse_fragment",
    "parse_xml",
    "query",
    "replace",
    "replace_document",
    "request_from_bytes",
    "schema_version",
    "upgrade",
    "serialize",
    "validate",
]
