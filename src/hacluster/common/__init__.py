"""The leaf layer: value types and errors shared by every other layer. Stdlib only."""

from hacluster.common.codec import Codec, DecodeError
from hacluster.common.errors import (
    Code,
    ExitStatus,
    HaError,
    Problem,
    Severity,
    exit_status_for,
    has_errors,
    raise_if_errors,
)
from hacluster.common.limits import MAX_CIB_BYTES, MAX_IPC_FRAME_BYTES, MAX_IPC_MESSAGE_BYTES
from hacluster.common.types import INFINITY, Millis, NodeId, Score, add_scores, parse_score
from hacluster.common.values import (
    BOOLEAN_WORDS,
    FALSE_WORDS,
    TRUE_WORDS,
    duration_ms,
    is_true,
    parse_boolean,
    parse_duration_ms,
)
from hacluster.common.xmltext import escape as xml_escape
from hacluster.common.xmltext import quoteattr as xml_quoteattr

__all__ = [
    "xml_escape",
    "xml_quoteattr",
    "BOOLEAN_WORDS",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "duration_ms",
    "is_true",
    "parse_boolean",
    "parse_duration_ms",
    "INFINITY",
    "MAX_CIB_BYTES",
    "MAX_IPC_FRAME_BYTES",
    "MAX_IPC_MESSAGE_BYTES",
    "Code",
    "Codec",
    "DecodeError",
    "ExitStatus",
    "HaError",
    "Millis",
    "NodeId",
    "Problem",
    "Score",
    "Severity",
    "add_scores",
    "exit_status_for",
    "has_errors",
    "parse_score",
    "raise_if_errors",
]
