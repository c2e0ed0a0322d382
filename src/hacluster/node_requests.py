"""The local requests a node serves over IPC, checked and turned into typed inputs.

Owns the IPC request names of the node itself ("send", "cpg_join", "cpg_leave", "cpg_send",
"cpg_process_exit"), the checks of their untrusted bodies (each refusal a Problem with a
stable code), and the typed input each one becomes (SendRequest, CpgJoinRequest, ...), which
then enters Node.step like any other input. Must never touch a core: node.py does.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from hacluster.common import Code, Problem
from hacluster.cpg import MAX_GROUP
from hacluster.events import (
    CpgJoinRequest,
    CpgLeaveRequest,
    CpgSendRequest,
    ProcessExited,
    SendRequest,
)

LocalRequest = SendRequest | CpgJoinRequest | CpgLeaveRequest | CpgSendRequest | ProcessExited
LOCAL_REQUESTS = frozenset({SendRequest, CpgJoinRequest, CpgLeaveRequest, CpgSendRequest,
                            ProcessExited})
REQUEST_FIELDS = MappingProxyType({
    "send": ("data",), "cpg_join": ("group", "pid"), "cpg_leave": ("group", "pid"),
    "cpg_send": ("group", "pid", "data"), "cpg_process_exit": ("pid",)})
MAX_REQUEST_DATA = 1 << 20


def request_problem(name: str, body: dict[str, Any]) -> Problem | None:
    """Why a client request cannot be served (None when it can)."""
    if name not in REQUEST_FIELDS:
        return Problem(Code.IPC_UNKNOWN_REQUEST, f"unknown request {name!r}")
    for key in REQUEST_FIELDS[name]:
        if key not in body:
            return Problem(Code.IPC_BAD_REQUEST, f"{name} needs {key!r}")
    if "data" in body and (not isinstance(body["data"], bytes | bytearray)
                           or len(body["data"]) > MAX_REQUEST_DATA):
        return Problem(Code.IPC_BAD_REQUEST, "data must be bytes of at most 1 MiB")
    if "pid" in body and (not isinstance(body["pid"], int) or not 0 <= body["pid"] < 1 << 32):
        return Problem(Code.IPC_BAD_REQUEST, "pid must be an unsigned 32-bit integer")
    if "group" in body:
        group = body["group"]
        if not isinstance(group, str) or not 0 < len(group.encode()) <= MAX_GROUP:
            return Problem(Code.IPC_BAD_REQUEST, f"group must be a name of 1..{MAX_GROUP} bytes")
    return None


def typed_request(name: str, body: dict[str, Any]) -> LocalRequest:
    """The typed request of a checked IPC request (see request_problem)."""
    if name == "cpg_send":  # the hot path first
        return CpgSendRequest(body["group"], body["pid"], bytes(body["data"]))
    match name:
        case "send":
            return SendRequest(bytes(body["data"]), bool(body.get("safe", False)))
        case "cpg_join":
            return CpgJoinRequest(body["group"], body["pid"])
        case "cpg_leave":
            return CpgLeaveRequest(body["group"], body["pid"])
        case "cpg_process_exit":
            return ProcessExited(body["pid"])
    raise AssertionError(f"unchecked request {name!r}")
