"""What the DC notices in a new CIB: which op results appeared and which node attributes
changed since the copy it saw before.

Owns the fingerprints of the status section (each lrm_rsc_op's call-id, rc and
transition-key; each transient attribute) and the recheck time that failure-timeout and
cluster-recheck-interval ask for. Must never do I/O or decide what a change means.
Spec: Pacemaker Explained "Failure Response" (failure-timeout, cluster-recheck-interval).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hacluster.common import duration_ms
from hacluster.controller.records import cluster_property, nvpairs

OpKey = tuple[str, str, str]  # node id, lrm_resource id, lrm_rsc_op id


@dataclass(frozen=True, slots=True)
class SeenOp:
    node_id: str
    rsc_id: str
    operation: str
    interval_ms: int
    call_id: str
    rc: int
    op_status: int
    transition_key: str
    last_rc_change: int = 0


NodeOps = dict[str, dict[OpKey, SeenOp]]  # node id -> that node's op entries


def ops_of(root: Any) -> dict[OpKey, SeenOp]:
    out: dict[OpKey, SeenOp] = {}
    for ns in root.iterfind("status/node_state"):
        out.update(node_ops(ns))
    return out


def ops_by_node(root: Any, only: frozenset[str] | None = None) -> NodeOps:
    """The op entries of every node_state (or of those whose id is in `only`; a node
    without a node_state maps to no entries)."""
    out: NodeOps = {node: {} for node in sorted(only)} if only is not None else {}
    for ns in root.iterfind("status/node_state"):
        node_id = ns.get("id", "")
        if only is None or node_id in only:
            out[node_id] = node_ops(ns)
    return out


def node_ops(ns: Any) -> dict[OpKey, SeenOp]:
    """The op entries of one node_state element."""
    out: dict[OpKey, SeenOp] = {}
    node_id = ns.get("id", "")
    for rsc in ns.iterfind("lrm/lrm_resources/lrm_resource"):
        for op in rsc.iterfind("lrm_rsc_op"):
            try:
                seen = SeenOp(node_id, rsc.get("id", ""), op.get("operation", ""),
                              int(op.get("interval", "0")), op.get("call-id", ""),
                              int(op.get("rc-code", "0")), int(op.get("op-status", "0")),
                              op.get("transition-key", ""),
                              int(op.get("last-rc-change", "0")))
            except ValueError:
                continue
            out[(node_id, seen.rsc_id, op.get("id", ""))] = seen
    return out


def attrs_of(root: Any) -> frozenset[tuple[str, str, str]]:
    out = set()
    for ns in root.iterfind("status/node_state"):
        node_id = ns.get("id", "")
        for name, value in nvpairs(ns.find("transient_attributes"),
                                   "instance_attributes").items():
            out.add((node_id, name, value))
    return frozenset(out)


def new_ops(before: dict[OpKey, SeenOp], after: dict[OpKey, SeenOp]) -> list[SeenOp]:
    """Entries that are new or whose call changed, in key order."""
    return [after[k] for k in sorted(after) if before.get(k) != after[k]]


def new_node_ops(before: NodeOps, after: NodeOps) -> list[SeenOp]:
    """new_ops of the nodes in `after` (each against its own entries in `before`), in
    key order."""
    return [seen for node in sorted(after)
            for seen in new_ops(before.get(node, {}), after[node])]


def failure_timeouts_ms(root: Any) -> dict[str, int]:
    """failure-timeout of each primitive (by id) that sets one, itself or via its parents."""
    defaults = nvpairs(root.find("configuration/rsc_defaults"), "meta_attributes")
    out: dict[str, int] = {}
    for prim in root.iterfind("configuration/resources//primitive"):
        value = None
        element = prim
        while element is not None and element.tag != "resources":
            meta = nvpairs(element, "meta_attributes")
            if "failure-timeout" in meta:
                value = meta["failure-timeout"]
                break
            element = element.getparent()
        value = value if value is not None else defaults.get("failure-timeout")
        timeout = duration_ms(value, 0)
        if timeout > 0:
            out[prim.get("id", "")] = timeout
    return out


def recheck_wall_ms(root: Any, now_wall_ms: int,
                    predicted: Iterable[tuple[str, str, str]] = ()) -> int:
    """When the DC must schedule again with no other input: the earliest failure expiry
    (last-failure + failure-timeout, plus a second so it has expired), else
    cluster-recheck-interval from now. `predicted`: (node, name, value) attributes about to
    be written, counted as if they were."""
    interval = duration_ms(cluster_property(root, "cluster-recheck-interval", "15min"),
                           900_000) or 900_000
    best = now_wall_ms + interval
    timeouts = failure_timeouts_ms(root)
    for _, name, value in sorted(attrs_of(root) | frozenset(predicted)):
        if not name.startswith("last-failure-") or not value.isdigit():
            continue
        rsc = name[len("last-failure-"):].split("#", 1)[0].split(":", 1)[0]
        if rsc in timeouts:
            expiry = int(value) * 1000 + timeouts[rsc] + 1000
            if expiry > now_wall_ms:
                best = min(best, expiry)
    return best


def expired_failures(root: Any, now_wall_ms: int) -> list[tuple[str, str]]:
    """(node id, "<rsc>#<op>_<interval>") of each failure whose failure-timeout has passed:
    its fail-count and last-failure can go (Pacemaker clears them the same way)."""
    timeouts = failure_timeouts_ms(root)
    out = []
    for node_id, name, value in sorted(attrs_of(root)):
        if not name.startswith("last-failure-") or not value.isdigit():
            continue
        key = name[len("last-failure-"):]
        rsc = key.split("#", 1)[0].split(":", 1)[0]
        if rsc in timeouts and int(value) * 1000 + timeouts[rsc] <= now_wall_ms:
            out.append((node_id, key))
    return out
