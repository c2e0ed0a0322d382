"""Replay of one resource's operation history on one node (lrm_rsc_op entries in call
order): the role it leaves, whether it failed and which on-fail applies.

Owns Pacemaker Explained's operation result semantics (rc codes, op-status, probes,
expected results from the transition key, on-fail defaults). Must never do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from hacluster.common import parse_boolean
from hacluster.scheduler.model import OpConfig, RecurringOp, Resource, Role

Element = Any


RC_OK, RC_NOT_RUNNING, RC_PROMOTED, RC_FAILED_PROMOTED = 0, 7, 8, 9


RC_DEGRADED, RC_DEGRADED_PROMOTED = 190, 191


HARD_RCS = frozenset({2, 3, 4, 5, 6})
STOP_UNRECOVERABLE_RCS = frozenset({2, 3, 4, 5})


@dataclass(frozen=True, slots=True)
class NodeHistory:
    """What one lrm_resource's operations say about one node."""

    role: Role
    failed: bool
    on_fail: str
    banned: bool
    fatal: bool
    pending_start: bool
    stop_failed: bool
    last_rc: int
    start_digest: str | None = None
    # (op-secure-digest, op-secure-params, crm_feature_set) of the same operation
    start_secure: tuple[str, str, str] | None = None
    agent_changed: bool = False
    promote_failed: bool = False  # a failed promote: next role Unpromoted (its fail role)
    # Active without a start (found by a monitor, or by a failure): Pacemaker's role for
    # it is Unpromoted in a promotable clone, Started only after a start.
    active_unstarted: bool = False
    recurring: tuple[RecurringOp, ...] = ()
    # A stop failed with a hard error (not installed, bad parameters, no privilege): only
    # fencing the node can recover it (else the resource is blocked there).
    stop_unrecoverable: bool = False


def op_sort_key(op: Element) -> tuple[int, int]:
    call = int(op.get("call-id", "0") or 0)
    return (1, 0) if call < 0 else (0, call)


def target_rc(op: Element) -> int:
    key = op.get("transition-key") or ""
    parts = key.split(":")
    if len(parts) >= 3 and parts[2].lstrip("-").isdigit():
        return int(parts[2])
    return -1


def default_on_fail(task: str, stonith: bool) -> str:
    if task == "stop":
        return "fence" if stonith else "block"
    return "restart"


def valid_on_fail(op: OpConfig, value: str) -> str | None:
    """`value`, or None (the default) where Pacemaker 2.1.5 does not allow it: standby,
    demote or stop for a stop; demote for anything but a promote or a recurring monitor
    of the Promoted role."""
    if op.name == "stop" and value in ("standby", "demote", "stop"):
        return None
    if value == "demote" and op.name != "promote" and not (
            op.name == "monitor" and op.role == Role.PROMOTED and op.interval_ms > 0):
        return None
    return value


def configured_on_fail(rsc: Resource | None, task: str, interval_ms: int) -> str | None:
    if rsc is None:
        return None
    for op in rsc.ops:
        if op.name == task and op.interval_ms == interval_ms and op.on_fail:
            return valid_on_fail(op, op.on_fail.lower())
    if task == "demote":
        # A demote without its own on-fail fails like the Promoted role's monitor.
        for op in rsc.ops:
            if op.name == "monitor" and op.role == Role.PROMOTED and op.interval_ms > 0 \
                    and op.enabled and op.on_fail and op.on_fail.lower() != "demote":
                return op.on_fail.lower()
    return None


def secure_of(op: Element) -> tuple[str, str, str] | None:
    """What an operation recorded of its secure digest (None: nothing)."""
    value = op.get("op-secure-digest")
    if value is None:
        return None
    return value, op.get("op-secure-params", ""), op.get("crm_feature_set", "")


def replay_ops(ops: list[Element], rsc: Resource | None, stonith: bool) -> NodeHistory:
    """Walk one resource's operations on one node in call order."""
    role, failed, on_fail = Role.UNKNOWN, False, "ignore"
    banned = fatal = pending = stop_failed = promote_failed = False
    unstarted = unrecoverable = False
    last_rc = 0
    digest: str | None = None
    secure: tuple[str, str, str] | None = None
    recurring = False  # any op with an interval (most histories have none)
    ordered = sorted(ops, key=op_sort_key) if len(ops) > 1 else ops
    for op in ordered:
        get = op.get
        task = get("operation", "")
        interval = int(get("interval", "0") or 0)
        recurring = recurring or interval > 0
        rc = int(get("rc-code", "0") or 0)
        status = int(get("op-status", "0") or 0)
        is_probe = task == "monitor" and interval == 0
        if status == -1 or get("call-id") == "-1":
            if task in ("start", "promote", "migrate_from"):
                role, pending = max(role, Role.STARTED), True
            continue
        pending = False
        if status in (1,):  # cancelled
            continue
        if rc == RC_DEGRADED:
            rc = RC_OK
        if rc == RC_DEGRADED_PROMOTED:
            rc = RC_PROMOTED
        if status not in (0, 4):
            ok = False
        elif is_probe and rc in (0, 7, 8):
            ok = True  # a probe's result is never a failure
        else:
            expected = target_rc(op)
            ok = rc == expected or rc in (0, 7, 8) and expected < 0 \
                or task in ("stop", "start", "promote", "demote") and rc == 0 and expected < 0
        if ok:
            if task in ("start", "migrate_from"):
                digest, secure = get("op-digest", ""), secure_of(op)
            before = role
            role, failed, on_fail, stop_failed = success_role(task, rc, role, is_probe,
                                                              failed, on_fail, stop_failed)
            unstarted = unstarted_after(task, before, role, unstarted)
            last_rc = rc
            continue
        last_rc = rc
        if is_probe and rc == 5 or status == 7:
            banned = True
            role = Role.STOPPED if role == Role.UNKNOWN else role
            continue
        unrecoverable = unrecoverable or task == "stop" and rc in STOP_UNRECOVERABLE_RCS
        action = configured_on_fail(rsc, task, interval) or default_on_fail(task, stonith)
        if action == "fence" and not stonith:
            action = "stop"  # Pacemaker resets on-fail=fence to stop without fencing
        if action == "ignore":
            role = max(role, Role.STARTED) if task != "stop" else role
            continue
        if rc in HARD_RCS and not is_probe:
            banned = True
            fatal = fatal or rc == 6
        failed, on_fail = True, worse_on_fail(on_fail, action)
        managed = rsc is None or parse_boolean(rsc.meta.get("is-managed", "true")) is not False
        before = role
        role = failure_role(task, rc, role, managed)
        unstarted = unstarted_after(task, before, role, unstarted)
        if task == "stop":
            stop_failed = True
        promote_failed = promote_failed or task == "promote"
    return node_history(role, failed, on_fail, banned, fatal, pending, stop_failed, last_rc,
                        digest, secure, False, promote_failed,
                        unstarted and role == Role.STARTED,
                        active_recurring(ordered) if recurring else (), unrecoverable)


@lru_cache(maxsize=1024)
def node_history(*fields: Any) -> NodeHistory:
    """NodeHistory(*fields) in field order, one shared value per outcome: most histories
    end alike (a probe that found nothing, a start and its monitor), and a frozen value
    is cheaper looked up than built again."""
    return NodeHistory(*fields)


def unstarted_after(task: str, before: Role, after: Role, unstarted: bool) -> bool:
    """Whether the role Started was reached without a start: a monitor or a failure
    making a stopped (or unknown) resource active."""
    if task in ("start", "migrate_from") or after != Role.STARTED:
        return False
    return unstarted or before in (Role.UNKNOWN, Role.STOPPED)


def active_span(ops: list[Element]) -> tuple[int, int]:
    """(start index, stop index) in call order: the last start or migrate_from, else the
    last promote/demote, else the last successful monitor since the last completed stop;
    and the last completed stop (-1 when none)."""
    start = stop = -1
    implied_monitor = implied_clone = -1
    for i, op in enumerate(ops):
        task = op.get("operation", "")
        if task == "stop" and op.get("op-status", "0") == "0":
            stop = i
        elif task in ("start", "migrate_from"):
            start = i
        elif task == "monitor" and implied_monitor <= stop:
            if op.get("rc-code", "0") in ("0", "8"):
                implied_monitor = i
        elif task in ("promote", "demote"):
            implied_clone = i
    if start == -1:
        start = implied_clone if implied_clone != -1 else implied_monitor
    return start, stop


def active_recurring(ops: list[Element]) -> tuple[RecurringOp, ...]:
    """The recurring operations (interval > 0, not pending) recorded since the resource
    last started, unless a stop came after that start: those still run on the node."""
    start, stop = active_span(ops)
    out: dict[tuple[str, int], RecurringOp] = {}
    for i, op in enumerate(ops):
        if start < stop and i <= stop or i < start:
            continue
        interval = int(op.get("interval", "0") or 0)
        if interval <= 0 or op.get("op-status") == "-1":
            continue
        task = op.get("operation", "")
        out[(task, interval)] = RecurringOp(task, interval, op.get("op-digest", ""))
    return tuple(out.values())


ON_FAIL_RANK = MappingProxyType({"ignore": 0, "demote": 1, "restart": 2, "stop": 3, "block": 4, "standby": 5,
                "fence": 6})


def worse_on_fail(a: str, b: str) -> str:
    return a if ON_FAIL_RANK.get(a, 2) >= ON_FAIL_RANK.get(b, 2) else b


def success_role(task: str, rc: int, role: Role, is_probe: bool, failed: bool, on_fail: str,
                 stop_failed: bool) -> tuple[Role, bool, str, bool]:
    if task == "stop":
        keep = on_fail if on_fail in ("stop", "fence", "standby") else "ignore"
        return Role.STOPPED, False if keep == "ignore" else failed, keep, False
    if task in ("start", "migrate_from"):
        # A successful start after a failure is the recovery having happened.
        keep = on_fail if on_fail in ("stop", "fence", "standby", "block") else "ignore"
        return Role.STARTED, False if keep == "ignore" else failed, keep, stop_failed
    if task == "promote":
        return Role.PROMOTED, failed, on_fail, stop_failed
    if task == "demote":
        return Role.UNPROMOTED, failed, on_fail, stop_failed
    if task == "monitor":
        if rc == RC_NOT_RUNNING:
            return Role.STOPPED, failed, on_fail, stop_failed
        if rc == RC_PROMOTED:
            return Role.PROMOTED, failed, on_fail, stop_failed
        if role in (Role.UNKNOWN, Role.STOPPED):
            return Role.STARTED, failed, on_fail, stop_failed
    return role, failed, on_fail, stop_failed


def failure_role(task: str, rc: int, role: Role, managed: bool) -> Role:
    if rc == RC_FAILED_PROMOTED:
        return Role.PROMOTED
    if task == "demote":
        return Role.UNPROMOTED
    if task == "promote":
        return Role.PROMOTED  # a failed promote is recovered from the Promoted role
    if rc == RC_NOT_RUNNING and task == "monitor" and not managed:
        return Role.STOPPED
    return max(role, Role.STARTED)
