"""The local requests a node serves itself over IPC, checked before they enter Node.step.

Owns the checks of the untrusted fields of SendRequest, CpgJoinRequest, CpgLeaveRequest,
CpgSendRequest and ProcessExited as a client sent them (each refusal a Problem with a stable
code); the checked request then enters Node.step like any other input. The IPC codec has
already checked their types. Must never touch a core: node.py does.
"""

from __future__ import annotations

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
LOCAL_REQUESTS = (SendRequest, CpgJoinRequest, CpgLeaveRequest, CpgSendRequest, ProcessExited)
MAX_REQUEST_DATA = 1 << 20


def request_problem(request: object) -> Problem | None:
    """Why a client's request cannot be served by the node itself (None when it can)."""
    if not isinstance(request, LOCAL_REQUESTS):
        return Problem(Code.IPC_UNKNOWN_REQUEST,
                       f"this node does not serve {type(request).__name__} requests")
    data = getattr(request, "data", b"")
    if len(data) > MAX_REQUEST_DATA:
        return Problem(Code.IPC_BAD_REQUEST, "data must be bytes of at most 1 MiB")
    pid = getattr(request, "pid", 0)
    if not 0 <= pid < 1 << 32:
        return Problem(Code.IPC_BAD_REQUEST, "pid must be an unsigned 32-bit integer")
    group = getattr(request, "group", None)
    if group is not None and not 0 < len(group.encode()) <= MAX_GROUP:
        return Problem(Code.IPC_BAD_REQUEST, f"group must be a name of 1..{MAX_GROUP} bytes")
    if isinstance(request, CpgLeaveRequest) and request.reason not in ("leave", "procdown"):
        return Problem(Code.IPC_BAD_REQUEST, "a leave's reason is leave or procdown")
    return None
