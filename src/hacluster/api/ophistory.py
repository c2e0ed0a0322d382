"""Operation history, failures, fail counts and bans of a CIB, as crm_mon reports them.

Owns reading the status section's lrm_rsc_op records and transient fail-count attributes
into frozen values (api/status.py composes them into the StatusView). Must never do I/O,
read the clock or format times: timestamps stay int seconds, durations int ms.
Spec: Pacemaker Explained, "Operation History" and "Failure Response".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hacluster.common import INFINITY
from hacluster.scheduler import ClusterModel

Element = Any


@dataclass(frozen=True, slots=True)
class FailedAction:
    rsc: str
    task: str
    interval_ms: int
    node: str
    rc: int
    op_status: int
    exit_reason: str
    last_rc_change_s: int | None
    exec_ms: int | None
    op_key: str = ""
    call: int | None = None
    queue_ms: int | None = None


@dataclass(frozen=True, slots=True)
class FailCount:
    node: str
    rsc: str
    migration_threshold: int
    fail_count: int
    last_failure_s: int | None


def int_attr(el: Element, name: str) -> int | None:
    text = el.get(name)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def failed_actions(root: Element) -> Iterable[FailedAction]:
    """Operations whose result differs from what was expected, as crm_mon lists them."""
    seen: set[tuple[str, str]] = set()
    for ns in root.iterfind("status/node_state"):
        node = ns.get("uname") or ns.get("id") or ""
        ops = list(ns.iterfind("lrm/lrm_resources/lrm_resource/lrm_rsc_op"))
        # the last_failure_0 record is the one reported when last_0 repeats the same call
        ops.sort(key=lambda op: not (op.get("id") or "").endswith("_last_failure_0"))
        for op in ops:
            rc, status = int_attr(op, "rc-code"), int_attr(op, "op-status")
            if rc is None or status is None or not is_failure(op, rc, status):
                continue
            key = op.get("operation_key") or op.get("id") or ""
            if (key, node) in seen:
                continue  # last_0 and last_failure_0 of one failed call are listed once
            seen.add((key, node))
            parts = key.rsplit("_", 2)
            rsc = parts[0] if len(parts) == 3 else key
            yield FailedAction(rsc, op.get("operation", ""), int_attr(op, "interval") or 0,
                               node, rc, status, op.get("exit-reason", ""),
                               int_attr(op, "last-rc-change"), int_attr(op, "exec-time"),
                               key, int_attr(op, "call-id"), int_attr(op, "queue-time"))


def is_failure(op: Element, rc: int, status: int) -> bool:
    if status == -1:  # pending
        return False
    if status not in (0, 4):  # cancelled, timed out, ...: it could not be executed
        return True  # (4, "error", is judged by its rc like a completed call)
    key = op.get("transition-key", "")
    parts = key.split(":")
    target = int(parts[2]) if len(parts) >= 4 and parts[2].isdigit() else 0
    is_probe = op.get("operation") == "monitor" and op.get("interval", "0") == "0"
    if is_probe and rc in (0, 7, 8):  # a probe finding it running or stopped is no failure
        return False
    return rc != target and not (op.get("operation") == "monitor" and rc == 8)


def fail_counts(model: ClusterModel, root: Element) -> Iterable[FailCount]:
    """Per node (in status order) and resource: the summed fail-count-<rsc>#<op> attributes."""
    order: dict[str, int] = {}
    for i, (rid, resource) in enumerate(model.resources.items()):
        order.setdefault(rid, i)
        order.setdefault(resource.base or rid, i)
    by_id = {node.id: name for name, node in model.nodes.items()}
    owners = owner_index(model)
    for ns in root.iterfind("status/node_state"):
        name = by_id.get(ns.get("id") or "") or ns.get("uname") or ""
        if name not in model.nodes:
            continue
        counts, last = node_fail_counts(model.nodes[name].attrs)
        # Only resources with an operation history on the node are listed there.
        known = {(el.get("id") or "").split(":", 1)[0]
                 for el in ns.iterfind("lrm/lrm_resources/lrm_resource")}
        counts = {base: n for base, n in counts.items() if base.split(":", 1)[0] in known}
        for base in sorted(counts, key=lambda r: (order.get(r, len(order)), r)):
            owner = owners.get(base)
            threshold = model.meta(owner, "migration-threshold", str(INFINITY)) \
                if owner is not None else str(INFINITY)
            yield FailCount(name, base, parse_threshold(threshold), counts[base],
                            last.get(base))


def node_fail_counts(attrs: Mapping[str, str]) -> tuple[dict[str, int], dict[str, int]]:
    """(resource -> summed fail count, resource -> latest last-failure) of one node."""
    counts: dict[str, int] = {}
    last: dict[str, int] = {}
    for attr, value in attrs.items():
        if attr.startswith("fail-count-"):
            base = attr[len("fail-count-"):].split("#", 1)[0]
            n = INFINITY if "INFINITY" in value else (int(value) if value.isdigit() else 0)
            counts[base] = min(INFINITY, counts.get(base, 0) + n)
        elif attr.startswith("last-failure-") and value.isdigit():
            base = attr[len("last-failure-"):].split("#", 1)[0]
            last[base] = max(last.get(base, 0), int(value))
    return {k: v for k, v in counts.items() if v > 0}, last


def parse_threshold(text: str) -> int:
    if "INFINITY" in text:
        return INFINITY
    return int(text) if text.isdigit() else INFINITY


@dataclass(frozen=True, slots=True)
class OpRecord:
    call: int
    task: str
    rc: int
    interval_ms: int
    last_rc_change_s: int | None
    exec_ms: int | None
    queue_ms: int | None


@dataclass(frozen=True, slots=True)
class ResourceHistory:
    node: str
    rsc: str
    orphan: bool
    migration_threshold: int
    fail_count: int
    last_failure_s: int | None
    ops: tuple[OpRecord, ...]


@dataclass(frozen=True, slots=True)
class Ban:
    """A location preference below zero, as crm_mon lists it."""

    id: str
    rsc: str
    node: str
    weight: int
    promoted_only: bool


def owner_index(model: ClusterModel) -> dict[str, str]:
    """History id -> the configured resource it belongs to (instances by their base id)."""
    owners: dict[str, str] = {}
    for rid, rsc in model.resources.items():
        owners.setdefault(rid, rid)
        if rsc.base:
            owners.setdefault(rsc.base, rid)
    return owners


def op_record(op: Element) -> OpRecord | None:
    task, interval = op.get("operation", ""), int_attr(op, "interval") or 0
    rc, call = int_attr(op, "rc-code"), int_attr(op, "call-id")
    if rc is None or call is None or task == "notify" or int_attr(op, "op-status") == -1:
        return None
    if task == "monitor" and interval == 0 and rc == 7:
        return None  # a probe that found nothing is not history worth showing
    return OpRecord(call, task, rc, interval, int_attr(op, "last-rc-change"),
                    int_attr(op, "exec-time"), int_attr(op, "queue-time"))


def node_history(model: ClusterModel, root: Element) -> Iterable[ResourceHistory]:
    """Per online node (status order), per resource with shown operations, by call id."""
    by_id = {node.id: name for name, node in model.nodes.items()}
    owners = owner_index(model)
    for ns in root.iterfind("status/node_state"):
        name = by_id.get(ns.get("id") or "") or ns.get("uname") or ""
        if name not in model.nodes or not model.nodes[name].online:
            continue
        counts, last = node_fail_counts(model.nodes[name].attrs)
        for entry in ns.iterfind("lrm/lrm_resources/lrm_resource"):
            ops = [r for r in map(op_record, entry.iterfind("lrm_rsc_op")) if r is not None]
            if not ops:
                continue
            rsc = entry.get("id") or ""
            owner = owners.get(rsc, owners.get(rsc.split(":", 1)[0]))
            threshold = model.meta(owner, "migration-threshold", str(INFINITY)) \
                if owner is not None else str(INFINITY)
            base = rsc.split(":", 1)[0]
            yield ResourceHistory(name, rsc, owner is None, parse_threshold(threshold),
                                  counts.get(rsc, counts.get(base, 0)),
                                  last.get(rsc, last.get(base)),
                                  tuple(sorted(ops, key=lambda r: r.call)))


def bans(model: ClusterModel, root: Element) -> Iterable[Ban]:
    """Negative location preferences; a rule's ban is named by the rule's id."""
    rule_ids: dict[str, str] = {}
    for el in root.iterfind("configuration/constraints/rsc_location"):
        rule = el.find("rule")
        if rule is not None and el.get("id") and rule.get("id"):
            rule_ids[el.get("id")] = rule.get("id")
    for loc in model.locations:
        if loc.score < 0:
            yield Ban(rule_ids.get(loc.id, loc.id), loc.rsc, loc.node,
                      max(loc.score, -INFINITY),
                      loc.role is not None and loc.role.text == "Promoted")


def history_order(cib_root: Element) -> dict[str, list[str]]:
    """Each node's lrm_resource ids in the order its history records them (crm_mon -n lists
    a node's resources in this order)."""
    order: dict[str, list[str]] = {}
    for state in cib_root.iterfind("status/node_state"):
        ids = [str(r.get("id")) for r in state.iterfind("lrm/lrm_resources/lrm_resource")]
        order[str(state.get("uname") or state.get("id"))] = ids
    return order
