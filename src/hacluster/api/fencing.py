"""Fencing commands (stonith_admin): fence a node, list the fence devices, show the history.

Owns what stonith_admin does once its options are parsed. Live: IPC FenceRequest(target,
action) -> FenceOutcome(ok, device, reason) once the fencer has an answer, and
FencerStatusQuery -> FencerReport(devices, now_ms, history of FenceEvent). With CIB_file
only the device list
works (from the file's stonith resources): fencing needs a running cluster.
Must never print or parse command lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hacluster.api.env import CIBEnvironment, CibFile, LiveCluster, call
from hacluster.common import Code, HaError
from hacluster.events import FenceOutcome, FenceRequest, FencerReport, FencerStatusQuery

FENCE_ACTIONS = ("reboot", "off", "on")
FENCE_WAIT_MS = 180_000


@dataclass(frozen=True, slots=True)
class FenceHistoryEntry:
    target: str
    action: str
    ok: bool
    origin: str
    executioner: str
    device: str
    age_ms: int
    reason: str


def registered_devices(env: CIBEnvironment) -> list[str]:
    """Ids of the fence devices (stonith resources that are not disabled)."""
    if isinstance(env, CibFile):
        devices = []
        for primitive in env.read().root.iter("primitive"):
            if primitive.get("class") != "stonith":
                continue
            roles = [nv.get("value", "") for nv in primitive.iterfind("meta_attributes/nvpair")
                     if nv.get("name") == "target-role"]
            if not roles or roles[-1].lower() != "stopped":
                devices.append(str(primitive.get("id")))
        return devices
    return list(_status(env).devices)


def fence(env: CIBEnvironment, target: str, action: str = "reboot",
          timeout_ms: int = FENCE_WAIT_MS) -> str:
    """Fence `target`; the device that did it, or HaError(FENCE_FAILED) saying why not."""
    assert action in FENCE_ACTIONS, f"unknown fencing action {action!r}"
    if isinstance(env, CibFile):
        raise HaError.single(Code.FENCE_NO_LIVE_CLUSTER,
                             "fencing needs a running cluster, not a CIB file")
    body = _live(env, FenceRequest(target, action), timeout_ms)
    if not isinstance(body, FenceOutcome):
        raise HaError.single(Code.IPC_PROTOCOL, "unexpected fencing reply from haclusterd")
    if not body.ok:
        raise HaError.single(Code.FENCE_FAILED, f"fencing of {target} failed: "
                             f"{body.reason or 'no reason given'}", target=target)
    return body.device


def history(env: CIBEnvironment, target: str = "*") -> list[FenceHistoryEntry]:
    """What was fenced (newest last), for one target or every one ("*")."""
    if isinstance(env, CibFile):
        return []
    report = _status(env)
    return [FenceHistoryEntry(item.target, item.action, item.ok, item.origin,
                              item.executioner, item.device,
                              report.now_ms - item.completed_ms, item.reason)
            for item in report.history if target in ("*", item.target)]


def _status(env: CIBEnvironment) -> FencerReport:
    body = _live(env, FencerStatusQuery(), None)
    if not isinstance(body, FencerReport):
        raise HaError.single(Code.IPC_PROTOCOL, "unexpected fencer reply from haclusterd")
    return body


def _live(env: CIBEnvironment, request: FenceRequest | FencerStatusQuery,
          timeout_ms: int | None) -> Any:
    state_dir = env.state_dir if isinstance(env, LiveCluster) else None
    try:
        if timeout_ms is None:
            return call(request, state_dir)
        return call(request, state_dir, timeout_ms)
    except HaError as error:
        if any(p.code is Code.IPC_UNKNOWN_REQUEST for p in error.problems):
            raise HaError.single(Code.FENCE_NO_LIVE_CLUSTER,
                                 "haclusterd does not serve fencing yet") from None
        raise
