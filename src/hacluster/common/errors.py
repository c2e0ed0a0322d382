"""Errors as data: stable codes, problems, the one exception that crosses layers.

Owns `Code` (never reuse or rename a member: scripts match on them), `Problem`,
`HaError` and the map from codes to process exit statuses, which follows
Pacemaker's crm_exit_t numbers so our tools exit as the real ones do.
Must never format messages lazily or print: a Problem's message is rendered once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class ExitStatus(IntEnum):
    """Process exit statuses, numbered as Pacemaker's crm_exit_t."""

    OK = 0
    ERROR = 1
    INVALID_PARAM = 2
    UNIMPLEMENT_FEATURE = 3
    INSUFFICIENT_PRIV = 4
    NOT_INSTALLED = 5
    NOT_CONFIGURED = 6
    NOT_RUNNING = 7
    USAGE = 64
    DATAERR = 65
    NOINPUT = 66
    NOHOST = 68
    UNAVAILABLE = 69
    SOFTWARE = 70
    OSERR = 71
    CANTCREAT = 73
    IOERR = 74
    TEMPFAIL = 75
    PROTOCOL = 76
    NOPERM = 77
    CONFIG = 78
    FATAL = 100
    DISCONNECT = 102
    OLD = 103
    DIGEST = 104
    NOSUCH = 105
    QUORUM = 106
    UNSAFE = 107
    EXISTS = 108
    MULTIPLE = 109
    EXPIRED = 110
    TIMEOUT = 124


class Code(StrEnum):
    """Stable problem codes, grouped by prefix. Append only; never reuse a value."""

    # --- generic ---
    INTERNAL_ERROR = "INTERNAL_ERROR"
    FILE_NOT_FOUND = "FILE_NOT_FOUND"
    FILE_READ_ERROR = "FILE_READ_ERROR"
    FILE_WRITE_ERROR = "FILE_WRITE_ERROR"
    FILE_EXISTS = "FILE_EXISTS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    USAGE = "USAGE"
    # --- config (corosync.conf) ---
    CONFIG_SYNTAX = "CONFIG_SYNTAX"
    CONFIG_UNCLOSED_SECTION = "CONFIG_UNCLOSED_SECTION"
    CONFIG_UNEXPECTED_CLOSE = "CONFIG_UNEXPECTED_CLOSE"
    CONFIG_UNKNOWN_KEY = "CONFIG_UNKNOWN_KEY"
    CONFIG_UNKNOWN_SECTION = "CONFIG_UNKNOWN_SECTION"
    CONFIG_BAD_VALUE = "CONFIG_BAD_VALUE"
    CONFIG_VALUE_OUT_OF_RANGE = "CONFIG_VALUE_OUT_OF_RANGE"
    CONFIG_OBSOLETE_KEY = "CONFIG_OBSOLETE_KEY"
    CONFIG_DUPLICATE_KEY = "CONFIG_DUPLICATE_KEY"
    CONFIG_DUPLICATE_NODEID = "CONFIG_DUPLICATE_NODEID"
    CONFIG_DUPLICATE_ADDRESS = "CONFIG_DUPLICATE_ADDRESS"
    CONFIG_NO_MEMBERS = "CONFIG_NO_MEMBERS"
    CONFIG_LOCAL_NODE_NOT_FOUND = "CONFIG_LOCAL_NODE_NOT_FOUND"
    CONFIG_CONSENSUS_TOO_SMALL = "CONFIG_CONSENSUS_TOO_SMALL"
    CONFIG_SECAUTH_NO_KEY = "CONFIG_SECAUTH_NO_KEY"
    CONFIG_MISSING_KEY = "CONFIG_MISSING_KEY"
    KEY_EXISTS = "KEY_EXISTS"
    CONFIG_CONFLICT = "CONFIG_CONFLICT"
    KEY_BAD_SIZE = "KEY_BAD_SIZE"
    # --- totem / cpg / quorum ---
    # --- cib ---
    CIB_XML_SYNTAX = "CIB_XML_SYNTAX"
    CIB_UNSAFE_XML = "CIB_UNSAFE_XML"
    CIB_NOT_A_CIB = "CIB_NOT_A_CIB"
    CIB_NO_SUCH_OBJECT = "CIB_NO_SUCH_OBJECT"
    CIB_ID_EXISTS = "CIB_ID_EXISTS"
    CIB_ID_MISSING = "CIB_ID_MISSING"
    CIB_ID_DUPLICATE = "CIB_ID_DUPLICATE"
    CIB_UNKNOWN_SECTION = "CIB_UNKNOWN_SECTION"
    CIB_BAD_XPATH = "CIB_BAD_XPATH"
    CIB_VERSION_CONFLICT = "CIB_VERSION_CONFLICT"
    CIB_DIFF_INVALID = "CIB_DIFF_INVALID"
    CIB_DIFF_DIGEST_MISMATCH = "CIB_DIFF_DIGEST_MISMATCH"
    CIB_UNKNOWN_SCHEMA = "CIB_UNKNOWN_SCHEMA"
    CIB_SCHEMA_INVALID = "CIB_SCHEMA_INVALID"
    CIB_UNKNOWN_REFERENCE = "CIB_UNKNOWN_REFERENCE"
    CIB_BAD_SCORE = "CIB_BAD_SCORE"
    CIB_UNKNOWN_RESOURCE_CLASS = "CIB_UNKNOWN_RESOURCE_CLASS"
    CIB_MISSING_ATTRIBUTE = "CIB_MISSING_ATTRIBUTE"
    CIB_FEATURE_SET_TOO_NEW = "CIB_FEATURE_SET_TOO_NEW"
    CIB_DANGEROUS = "CIB_DANGEROUS"
    CIB_CORRUPT = "CIB_CORRUPT"
    CIB_NO_VALID_COPY = "CIB_NO_VALID_COPY"
    CIB_NO_LIVE_CLUSTER = "CIB_NO_LIVE_CLUSTER"
    CIB_NO_QUORUM = "CIB_NO_QUORUM"
    CIB_SYNC_INTERRUPTED = "CIB_SYNC_INTERRUPTED"
    CIB_STATUS_OUT_OF_SCOPE = "CIB_STATUS_OUT_OF_SCOPE"
    # --- tools (pcs, crm_resource, crm_attribute, crm_node) ---
    TOOL_UNKNOWN_COMMAND = "TOOL_UNKNOWN_COMMAND"
    TOOL_NOT_WITH_FILE = "TOOL_NOT_WITH_FILE"
    TOOL_BAD_VALUE = "TOOL_BAD_VALUE"
    RSC_NOT_FOUND = "RSC_NOT_FOUND"
    RSC_ID_EXISTS = "RSC_ID_EXISTS"
    RSC_ID_INVALID = "RSC_ID_INVALID"
    RSC_AGENT_UNKNOWN = "RSC_AGENT_UNKNOWN"
    RSC_OPTION_UNKNOWN = "RSC_OPTION_UNKNOWN"
    RSC_OPTION_MISSING = "RSC_OPTION_MISSING"
    RSC_WRONG_KIND = "RSC_WRONG_KIND"
    RSC_OP_NOT_FOUND = "RSC_OP_NOT_FOUND"
    RSC_NOT_RUNNING = "RSC_NOT_RUNNING"
    NODE_NOT_FOUND = "NODE_NOT_FOUND"
    CONSTRAINT_NOT_FOUND = "CONSTRAINT_NOT_FOUND"
    CONSTRAINT_DUPLICATE = "CONSTRAINT_DUPLICATE"
    SCORE_INVALID = "SCORE_INVALID"
    PROPERTY_UNKNOWN = "PROPERTY_UNKNOWN"
    ATTRIBUTE_NOT_FOUND = "ATTRIBUTE_NOT_FOUND"
    TOOL_TIMEOUT = "TOOL_TIMEOUT"
    CIB_TOO_LARGE = "CIB_TOO_LARGE"
    # --- scheduler ---
    SCHED_UNKNOWN_RESOURCE = "SCHED_UNKNOWN_RESOURCE"
    SCHED_INVALID_CIB = "SCHED_INVALID_CIB"
    # --- daemon / ipc ---
    IPC_NOT_RUNNING = "IPC_NOT_RUNNING"
    IPC_ACCESS_DENIED = "IPC_ACCESS_DENIED"
    IPC_DISCONNECTED = "IPC_DISCONNECTED"
    IPC_TIMEOUT = "IPC_TIMEOUT"
    IPC_PROTOCOL = "IPC_PROTOCOL"
    IPC_UNKNOWN_REQUEST = "IPC_UNKNOWN_REQUEST"
    IPC_MESSAGE_TOO_LARGE = "IPC_MESSAGE_TOO_LARGE"
    IPC_BAD_REQUEST = "IPC_BAD_REQUEST"
    IPC_EVENT_MALFORMED = "IPC_EVENT_MALFORMED"  # a pushed frame the client could not decode
    NODE_LEFT = "NODE_LEFT"
    DAEMON_ALREADY_RUNNING = "DAEMON_ALREADY_RUNNING"
    DAEMON_AUTHKEY = "DAEMON_AUTHKEY"
    DAEMON_BIND_FAILED = "DAEMON_BIND_FAILED"
    # --- node attributes (attrd) / fencing ---
    ATTR_INVALID = "ATTR_INVALID"
    ATTR_NOT_FOUND = "ATTR_NOT_FOUND"
    ATTR_UNKNOWN_NODE = "ATTR_UNKNOWN_NODE"
    FENCE_FAILED = "FENCE_FAILED"
    FENCE_NO_LIVE_CLUSTER = "FENCE_NO_LIVE_CLUSTER"


_EXIT_BY_CODE: Mapping[Code, ExitStatus] = MappingProxyType(
    {
        Code.INTERNAL_ERROR: ExitStatus.SOFTWARE,
        Code.FILE_NOT_FOUND: ExitStatus.NOINPUT,
        Code.FILE_READ_ERROR: ExitStatus.IOERR,
        Code.FILE_WRITE_ERROR: ExitStatus.CANTCREAT,
        Code.FILE_EXISTS: ExitStatus.EXISTS,
        Code.KEY_EXISTS: ExitStatus.EXISTS,
        Code.PERMISSION_DENIED: ExitStatus.INSUFFICIENT_PRIV,
        Code.USAGE: ExitStatus.USAGE,
        Code.ATTR_INVALID: ExitStatus.USAGE,
        Code.ATTR_NOT_FOUND: ExitStatus.NOSUCH,
        Code.ATTR_UNKNOWN_NODE: ExitStatus.NOSUCH,
        Code.FENCE_NO_LIVE_CLUSTER: ExitStatus.DISCONNECT,
    }
)


def exit_status_for(code: Code) -> ExitStatus:
    """The exit status a tool returns when `code` is its first error."""
    if code in _EXIT_BY_CODE:
        return _EXIT_BY_CODE[code]
    if code.value.startswith("CONFIG_"):
        return ExitStatus.CONFIG
    return ExitStatus.ERROR


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, rendered once, with a stable code."""

    code: Code
    message: str
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    severity: Severity = Severity.ERROR
    forceable: bool = False

    def is_error(self, force: bool = False) -> bool:
        if self.severity is not Severity.ERROR:
            return False
        return not (force and self.forceable)

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.message}"


class HaError(Exception):
    """The one exception that crosses layer boundaries; carries every problem at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        assert self.problems, "HaError needs at least one problem"
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, code: Code, message: str, **details: Any) -> HaError:
        return cls([Problem(code, message, MappingProxyType(dict(details)))])

    @property
    def exit_status(self) -> ExitStatus:
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        first = errors[0] if errors else self.problems[0]
        return exit_status_for(first.code)


def has_errors(problems: Iterable[Problem], force: bool = False) -> bool:
    return any(p.is_error(force) for p in problems)


def raise_if_errors(problems: Iterable[Problem], force: bool = False) -> None:
    """Raise one HaError carrying every problem when any of them is a (non-forced) error."""
    collected = list(problems)
    if has_errors(collected, force):
        raise HaError(collected)
