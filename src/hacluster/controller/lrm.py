"""The node's own resource history: every op result its executor reported, kept as the
`lrm_rsc_op` entries Pacemaker's controller keeps, and written as this node's `<lrm>`.

Owns the entry rules: one "<rsc>_last_0" per resource for the last one-shot op, one
"<rsc>_last_failure_0" for the last failed op, one "<rsc>_<task>_<interval>" per recurring
op (removed when the resource stops), and which resources are active here. It is the truth
the node rewrites into the CIB on every join, so a merge never loses or invents resource
state; a failure an operator cleaned up from the CIB is forgotten here too (else the next
write of the resource, or the next join, would bring it back). Must never do I/O. Spec: Pacemaker Explained "Operation History".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hacluster.controller.records import (
    FEATURE_SET,
    attrs_xml,
    digest_of,
    node_state_of,
    target_rc_of,
)
from hacluster.events import OpResult

RC_OK, RC_NOT_RUNNING, RC_PROMOTED = 0, 7, 8


@dataclass(slots=True)
class ResourceHistory:
    rsc_class: str
    provider: str
    agent_type: str
    ops: dict[str, dict[str, str]] = field(default_factory=dict)


def is_failure(result: OpResult) -> bool:
    """Did the op miss its expected result? (probes finding a resource are no failure)"""
    op = result.op
    if result.op_status != 0:
        return True
    target = target_rc_of(op.transition_key)
    if target is None:
        target = RC_OK
    if op.action == "monitor" and op.interval_ms == 0:
        return result.rc not in (RC_OK, RC_NOT_RUNNING, RC_PROMOTED)
    return result.rc != target


class LocalHistory:
    """What this node's executor ran, by resource."""

    def __init__(self, node_name: str) -> None:
        self.node_name = node_name
        self.resources: dict[str, ResourceHistory] = {}

    def record(self, result: OpResult, wall_s: int) -> dict[str, str]:
        """Keep `result`; returns its lrm_rsc_op attributes."""
        op = result.op
        entry = self.resources.setdefault(
            op.rsc_id, ResourceHistory(op.rsc_class, op.provider, op.agent_type))
        attrs = self.op_attrs(result, wall_s)
        if op.interval_ms > 0:
            entry.ops[f"{op.rsc_id}_{op.action}_{op.interval_ms}"] = attrs
        else:
            entry.ops[f"{op.rsc_id}_last_0"] = {**attrs, "id": f"{op.rsc_id}_last_0"}
            if op.action == "stop" and result.rc == RC_OK and result.op_status == 0:
                for key in [k for k in entry.ops if not k.endswith(("_last_0",
                                                                   "_last_failure_0"))]:
                    del entry.ops[key]
        if is_failure(result):
            entry.ops[f"{op.rsc_id}_last_failure_0"] = {**attrs,
                                                        "id": f"{op.rsc_id}_last_failure_0"}
        return attrs

    def drop_recurring(self, rsc_id: str) -> None:
        """Forget `rsc_id`'s recurring op entries (they were cancelled)."""
        entry = self.resources.get(rsc_id)
        if entry is not None:
            for key in [k for k in entry.ops if not k.endswith(("_last_0",
                                                                "_last_failure_0"))]:
                del entry.ops[key]

    def drop_op(self, rsc_id: str, task: str, interval_ms: int) -> bool:
        """Forget one recurring op's entry (the graph cancelled it); False when none."""
        entry = self.resources.get(rsc_id)
        key = f"{rsc_id}_{task}_{interval_ms}"
        return entry is not None and entry.ops.pop(key, None) is not None

    def forget_failure(self, rsc_id: str) -> bool:
        """Drop a resource's `_last_failure_0` entry (an operator cleaned it up); False when
        there was none."""
        entry = self.resources.get(rsc_id)
        return entry is not None and entry.ops.pop(f"{rsc_id}_last_failure_0", None) is not None

    def forget(self, rsc_id: str) -> bool:
        """Drop a resource's history (a `delete` action); False when there was none."""
        return self.resources.pop(rsc_id, None) is not None

    def op_attrs(self, result: OpResult, wall_s: int) -> dict[str, str]:
        op = result.op
        key = f"{op.rsc_id}_{op.action}_{op.interval_ms}"
        attrs = {
            "id": key, "operation_key": key, "operation": op.action,
            "crm-debug-origin": "do_update_resource", "crm_feature_set": FEATURE_SET,
            "transition-key": op.transition_key,
            "transition-magic": f"{result.op_status}:{result.rc};{op.transition_key}",
            "exit-reason": result.exit_reason, "on_node": self.node_name, "call-id": str(result.call_id),
            "rc-code": str(result.rc), "op-status": str(result.op_status),
            "interval": str(op.interval_ms), "last-rc-change": str(wall_s)}
        if op.interval_ms == 0:
            attrs["last-run"] = str(wall_s)
        attrs.update({"exec-time": str(result.exec_time_ms),
                      "queue-time": str(result.queue_time_ms), "op-digest": digest_of(op)})
        return attrs

    def is_active(self, rsc_id: str) -> bool:
        entry = self.resources.get(rsc_id)
        last = entry.ops.get(f"{rsc_id}_last_0") if entry else None
        if last is None:
            return False
        rc, task = int(last["rc-code"]), last["operation"]
        if task == "stop":
            return rc != RC_OK or last["op-status"] != "0"
        if task == "monitor":
            return rc in (RC_OK, RC_PROMOTED)
        return rc != RC_NOT_RUNNING  # a failed start/promote may have left it half-up

    def active(self) -> list[str]:
        return [r for r in sorted(self.resources) if self.is_active(r)]

    def recurring(self, rsc_id: str) -> list[tuple[str, int]]:
        """(task, interval_ms) of the recurring ops recorded for `rsc_id`."""
        entry = self.resources.get(rsc_id)
        if entry is None:
            return []
        return sorted((a["operation"], int(a["interval"])) for a in entry.ops.values()
                      if a["interval"] != "0")

    def lrm_xml(self, node_id: str, only: str | None = None) -> str:
        """This node's whole <lrm> element (or one holding only resource `only`, to merge)."""
        parts = []
        for rsc_id in sorted(self.resources):
            if only is not None and rsc_id != only:
                continue
            entry = self.resources[rsc_id]
            head = {"id": rsc_id, "type": entry.agent_type, "class": entry.rsc_class}
            if entry.provider:
                head["provider"] = entry.provider
            ops = "".join(attrs_xml("lrm_rsc_op", entry.ops[k]) for k in sorted(entry.ops))
            parts.append(attrs_xml("lrm_resource", head, ops))
        inner = attrs_xml("lrm_resources", {}, "".join(parts)) if parts else "<lrm_resources/>"
        return attrs_xml("lrm", {"id": node_id}, inner)


def lrm_resource_ids(root: Any, node_id: str) -> set[str] | None:
    """The lrm_resource ids in node `node_id`'s <lrm> of a CIB, None when it has no <lrm>."""
    state = node_state_of(root, node_id) if root is not None else None
    lrm = state.find("lrm") if state is not None else None
    if lrm is None:
        return None
    return {str(e.get("id")) for e in lrm.iterfind("lrm_resources/lrm_resource")}


def cleaned_up(before: Any, after: Any, node_id: str) -> list[str]:
    """Resources whose history someone else removed from this node's <lrm> between two
    CIBs that both hold it (an operator's cleanup: the node never removes one itself)."""
    old, new = lrm_resource_ids(before, node_id), lrm_resource_ids(after, node_id)
    return sorted(old - new) if old is not None and new is not None else []
