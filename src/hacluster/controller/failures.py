"""Fail counts: what a failed op makes its node write (fail-count-*, last-failure-*), and
the DC's prediction of it, so the first transition after a failure already counts it.

Owns the counting rule (one more per failure; INFINITY for a start when
start-failure-is-fatal) and the prediction the DC keeps for an observed failure until attrd's
write of the very same values lands: the scheduling copy carries the predicted values, and
their arrival is then no news (no abort, no second scheduler run on the recovery path).
Must never do I/O; a prediction that does not come true is dropped and the DC reschedules.
Spec: Pacemaker Explained "Failure Response" (fail-count, migration-threshold).
"""

from __future__ import annotations

from typing import Any

from hacluster.common import INFINITY, is_true
from hacluster.controller.records import (
    cluster_property,
    node_state_of,
    sanitize_id,
    transient_attrs,
)

AttrKey = tuple[str, str]  # node id, attribute name
Prediction = dict[AttrKey, tuple[str | None, str]]  # (value it was counted from, new value)


def failure_attrs(root: Any, node_id: str, rsc_id: str, action: str, interval_ms: int,
                  wall_s: int) -> dict[str, str]:
    """The fail-count and last-failure values node `node_id` writes for this failed op."""
    current = transient_attrs(root, node_id)
    name = f"{rsc_id}#{action}_{interval_ms}"
    fatal = is_true(cluster_property(root, "start-failure-is-fatal", "true"))
    count = current.get(f"fail-count-{name}", "0")
    value = INFINITY if action == "start" and fatal else \
        min(INFINITY, (int(count) if count.isdigit() else INFINITY) + 1)
    return {f"fail-count-{name}": "INFINITY" if value >= INFINITY else str(value),
            f"last-failure-{name}": str(wall_s)}


def predict(root: Any, node_id: str, rsc_id: str, action: str, interval_ms: int,
            wall_s: int) -> Prediction:
    """What the failing node is about to write, with the values it is counted from."""
    current = transient_attrs(root, node_id)
    return {(node_id, name): (current.get(name), value) for name, value in
            failure_attrs(root, node_id, rsc_id, action, interval_ms, wall_s).items()}


def settle(root: Any, predicted: Prediction) -> Prediction:
    """The predictions still pending in `root`: one whose value has landed is done, one whose
    base value was changed by someone else is wrong and dropped."""
    out: Prediction = {}
    for (node_id, name), (base, value) in sorted(predicted.items()):
        now = transient_attrs(root, node_id).get(name)
        if now == base and now != value:
            out[(node_id, name)] = (base, value)
    return out


def is_predicted(before: frozenset[tuple[str, str, str]],
                 after: frozenset[tuple[str, str, str]], predicted: Prediction) -> bool:
    """Is every attribute change between `before` and `after` a predicted value landing?"""
    changed = before ^ after
    if not changed:
        return True
    arrived = {(node, name): value for node, name, value in after}
    keys = {(node, name) for node, name, _ in changed}
    return all(key in predicted and arrived.get(key) == predicted[key][1] for key in keys)


def apply_prediction(root: Any, predicted: Prediction) -> None:
    """Write the predicted values into a scheduling copy of the CIB (in place)."""
    status = root.find("status")
    for (node_id, name), (_, value) in sorted(predicted.items()):
        state = node_state_of(root, node_id)
        if state is None or status is None:
            continue
        block = state.find("transient_attributes/instance_attributes")
        if block is None:
            transient = state.find("transient_attributes")
            if transient is None:
                transient = state.makeelement("transient_attributes", {"id": node_id})
                state.append(transient)
            block = transient.makeelement("instance_attributes", {"id": f"status-{node_id}"})
            transient.append(block)
        pair = next((p for p in block.iterfind("nvpair") if p.get("name") == name), None)
        if pair is None:
            pair = block.makeelement("nvpair", {"id": sanitize_id(f"status-{node_id}-{name}"),
                                                "name": name})
            block.append(pair)
        pair.set("value", value)


__all__ = ["AttrKey", "Prediction", "apply_prediction", "failure_attrs", "is_predicted",
           "predict", "settle"]
