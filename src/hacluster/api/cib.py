"""CIB commands for the tools: query, write, push, and their exit statuses.

Owns what cibadmin and `pcs cluster cib / cib-push` do once their arguments are parsed:
build a CIBRequest, hand it to the environment (file or live cluster), and turn results
into text. Also owns the CIB part of the exit-status map (crm_exit_t: 105 no such object,
108 exists, 103 old, 104 digest, 107 unsafe, 78 invalid configuration, 102 not connected).
Must never print or parse command lines: that is cli/.
"""

from __future__ import annotations

from types import MappingProxyType

from hacluster.api.env import (
    CIBEnvironment,
    CibFile,
    LiveCluster,
    environment,
    input_too_large,
    read_input_file,
    read_input_stream,
)
from hacluster.cib import (
    SECTION_PATHS,
    CIBRequest,
    XMLElement,
    apply_request,
    copy_element,
    create,
    create_diff,
    empty_cib,
    modify,
    parse_cib,
    parse_fragment,
    query,
    replace,
    serialize,
)
from hacluster.common import MAX_CIB_BYTES, Code, ExitStatus, HaError, Severity

__all__ = [
    "SECTION_PATHS",
    "CIBEnvironment",
    "CIBRequest",
    "CibFile",
    "LiveCluster",
    "environment",
    "MAX_CIB_BYTES",
    "exit_status",
    "input_too_large",
    "push",
    "query_text",
    "read_input_file",
    "read_input_stream",
    "submit",
]

_CIB_EXIT = MappingProxyType({
    Code.CIB_NO_SUCH_OBJECT: ExitStatus.NOSUCH,
    Code.CIB_ID_EXISTS: ExitStatus.EXISTS,
    Code.CIB_VERSION_CONFLICT: ExitStatus.OLD,
    Code.CIB_DIFF_DIGEST_MISMATCH: ExitStatus.DIGEST,
    Code.CIB_CORRUPT: ExitStatus.DIGEST,
    Code.CIB_DANGEROUS: ExitStatus.UNSAFE,
    # cibadmin answers input it cannot parse with CRM_EX_CONFIG, so do we.
    Code.CIB_UNSAFE_XML: ExitStatus.CONFIG,
    Code.CIB_XML_SYNTAX: ExitStatus.CONFIG,
    Code.CIB_NOT_A_CIB: ExitStatus.DATAERR,
    Code.CIB_DIFF_INVALID: ExitStatus.DATAERR,
    Code.CIB_UNKNOWN_SECTION: ExitStatus.INVALID_PARAM,
    Code.CIB_BAD_XPATH: ExitStatus.INVALID_PARAM,
    Code.CIB_FEATURE_SET_TOO_NEW: ExitStatus.PROTOCOL,
    Code.CIB_NO_LIVE_CLUSTER: ExitStatus.DISCONNECT,
    Code.CIB_NO_VALID_COPY: ExitStatus.DIGEST,
    Code.IPC_NOT_RUNNING: ExitStatus.DISCONNECT,
    Code.FILE_NOT_FOUND: ExitStatus.NOSUCH,  # cibadmin: "Could not connect to the CIB"
    Code.RSC_NOT_FOUND: ExitStatus.NOSUCH,
    Code.NODE_NOT_FOUND: ExitStatus.NOSUCH,
    Code.CONSTRAINT_NOT_FOUND: ExitStatus.NOSUCH,
    Code.ATTRIBUTE_NOT_FOUND: ExitStatus.NOSUCH,
    Code.RSC_OP_NOT_FOUND: ExitStatus.NOSUCH,
    Code.RSC_ID_EXISTS: ExitStatus.EXISTS,
    Code.RSC_NOT_RUNNING: ExitStatus.USAGE,
    Code.TOOL_BAD_VALUE: ExitStatus.USAGE,
    Code.TOOL_UNKNOWN_COMMAND: ExitStatus.USAGE,
    Code.SCORE_INVALID: ExitStatus.INVALID_PARAM,
    Code.TOOL_TIMEOUT: ExitStatus.TIMEOUT,
})
_INVALID_CONFIG = frozenset({
    Code.CIB_ID_MISSING, Code.CIB_ID_DUPLICATE, Code.CIB_UNKNOWN_REFERENCE, Code.CIB_BAD_SCORE,
    Code.CIB_UNKNOWN_RESOURCE_CLASS, Code.CIB_MISSING_ATTRIBUTE, Code.CIB_UNKNOWN_SCHEMA,
    Code.CIB_SCHEMA_INVALID,
})


def exit_status(error: HaError) -> int:
    """The process exit status for an error, as Pacemaker's tools would return it."""
    errors = [p for p in error.problems if p.severity is Severity.ERROR] or list(error.problems)
    code = errors[0].code
    if code in _CIB_EXIT:
        return int(_CIB_EXIT[code])
    if code in _INVALID_CONFIG:
        return int(ExitStatus.CONFIG)
    return int(error.exit_status)


def query_text(env: CIBEnvironment, section: str | None = None, xpath: str | None = None,
               no_children: bool = False) -> str:
    """cibadmin -Q: one element as XML, or several XPath matches inside <xpath-query>."""
    found = query(env.read(), section, xpath)
    if no_children:
        found = [_without_children(e) for e in found]
    if len(found) == 1:
        return serialize(found[0]).decode("utf-8")
    wrapper = parse_fragment("<xpath-query/>")
    for element in found:
        wrapper.append(element)
    return serialize(wrapper).decode("utf-8")


def _without_children(element: XMLElement) -> XMLElement:
    clone = copy_element(element)
    for child in list(clone):
        clone.remove(child)
    return clone


def submit(env: CIBEnvironment, request: CIBRequest) -> None:
    env.submit(request)


def candidate_text(env: CIBEnvironment, request: CIBRequest) -> str:
    """The CIB a write the schema refused would have made (cibadmin shows it, its lines
    numbered, before "Call failed"); "" when the write cannot even be applied."""
    doc = env.read()
    try:
        fragment = parse_fragment(request.xml) if request.xml else None
        if fragment is not None and request.operation == "create":
            new, _ = create(doc, fragment, request.section, check=False)
        elif fragment is not None and request.operation == "modify":
            new, _ = modify(doc, fragment, request.section, "allow-create" in request.options,
                            check=False)
        elif fragment is not None and request.operation == "replace" and fragment.tag != "cib":
            new, _ = replace(doc, fragment, request.section, check=False)
        else:
            new, _ = apply_request(doc, request)
    except HaError:
        return ""
    # Pacemaker's own formatting: two-space indents, attributes in document order, and
    # the last line's newline starting one more (empty) line.
    lines = serialize(new.root).decode("utf-8").split("\n")
    return "\n".join(f"{number:4d} {line}" for number, line in enumerate(lines, 1))


def cib_text(env: CIBEnvironment) -> str:
    return env.read().to_text()


def empty_text(schema: str | None = None) -> str:
    doc = empty_cib(schema) if schema else empty_cib()
    return doc.to_text()


def push(env: CIBEnvironment, xml: bytes, diff_against: bytes | None = None,
         config_only: bool = False) -> None:
    """pcs cluster cib-push: the whole CIB (refused when older than the live one), only its
    configuration (--config), or only the changes from ORIG to FILE (diff-against=ORIG)."""
    pushed = parse_cib(xml)
    if diff_against is not None:
        original = parse_cib(diff_against)
        diff = create_diff(original, pushed, with_digest=False)
        request = CIBRequest("apply-diff", serialize(diff).decode("utf-8"),
                             options=frozenset({"no-version"}))
        env.submit(request)
    elif config_only:
        env.submit(CIBRequest("replace-config", pushed.to_text()))
    else:
        env.submit(CIBRequest("replace", pushed.to_text()))
