"""The fencer: which device fences a node, running it, and the history of what was fenced.

Owns turning a FenceRequest into fence agent runs: the devices are the CIB's stonith
resources (pcmk_host_list / pcmk_host_map / pcmk_host_check decide who can fence whom;
"dynamic-list" and "status" ask the agent first), tried by fencing-topology level in index
order (every device of a level must succeed) or, without a topology, device by device by
priority; parameters go to the agent as key=value lines on stdin (fence-agents protocol:
action, port/plug, nodename). Only a confirmed success is ok: a failure leaves the target
unclean for the controller. Pure: RunAgent out, AgentDone in, FenceResult out, which node.py
broadcasts (peers feed it back in, for their history). Pacemaker Explained, "Fencing".
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from hacluster.common import duration_ms
from hacluster.events import AgentDone, FenceEvent, FenceRequest, FenceResult, RunAgent, Tick

log = logging.getLogger(__name__)

# AgentDone ids at or above this belong to the fencer (the executor counts from 1).
RUN_ID_BASE = 1 << 40
DEFAULT_TIMEOUT_MS = 60_000
TIMEOUT_GRACE_MS = 3000
HISTORY_MAX = 500
# After a failed attempt a target's next one waits (doubling up to the max): the controller
# asks again on every new transition, and a device that cannot work would otherwise be
# retried in a tight loop. A success or a new fencing configuration resets it.
RETRY_BASE_MS = 1000
RETRY_MAX_MS = 60_000
FENCE_ACTIONS = ("reboot", "off", "on")


@dataclass(frozen=True, slots=True)
class FenceDevice:
    """One stonith resource as the fencer uses it."""

    id: str
    agent: str  # the type: "fence_xvm"
    params: tuple[tuple[str, str], ...] = ()
    host_list: tuple[str, ...] = ()
    host_map: tuple[tuple[str, str], ...] = ()
    host_check: str = ""  # "" = Pacemaker's default for the params given
    host_argument: str = "port"
    priority: int = 0

    def param(self, name: str, default: str = "") -> str:
        return dict(self.params).get(name, default)

    @property
    def check(self) -> str:
        if self.host_check:
            return self.host_check
        return "static-list" if self.host_list or self.host_map else "dynamic-list"

    def plug_for(self, target: str) -> str:
        return dict(self.host_map).get(target, target)


@dataclass(frozen=True, slots=True)
class FenceLevel:
    index: int
    devices: tuple[str, ...]
    target: str = ""
    target_pattern: str = ""

    def matches(self, node: str) -> bool:
        if self.target:
            return self.target == node
        try:
            return bool(self.target_pattern) and re.fullmatch(self.target_pattern, node) is not None
        except re.error:
            return False


@dataclass(frozen=True, slots=True)
class FencingConfig:
    """Input: the fencing part of the CIB (see config_from_cib)."""

    devices: tuple[FenceDevice, ...] = ()
    levels: tuple[FenceLevel, ...] = ()
    timeout_ms: int = DEFAULT_TIMEOUT_MS


@dataclass(frozen=True, slots=True)
class FencerStatus:
    node: str
    devices: tuple[str, ...]
    in_flight: tuple[tuple[str, str, str], ...]  # (target, action, device)
    history: tuple[FenceEvent, ...]
    dropped: int


@dataclass(slots=True)
class _Operation:
    target: str
    action: str
    origin: str
    request_ids: list[str]
    levels: list[list[FenceDevice]]
    level: int = 0
    device: int = 0
    run_id: int = 0
    querying: bool = False
    deadline_ms: int = 0
    failures: list[str] = field(default_factory=list)


Input = FenceRequest | AgentDone | FenceResult | FencingConfig | Tick
Output = RunAgent | FenceResult


class Fencer:
    """The fencer of node `node_name`; it runs fence agents locally."""

    def __init__(self, node_name: str, config: FencingConfig | None = None,
                 run_id_base: int = RUN_ID_BASE) -> None:
        self.node_name = node_name
        self.config = config or FencingConfig()
        self._next_run_id = run_id_base
        self._ops: dict[tuple[str, str], _Operation] = {}
        self._history: list[FenceEvent] = []
        self._dropped = 0
        self._failures: dict[str, tuple[int, int]] = {}  # target -> (failures, not before)
        self._parked: list[FenceRequest] = []

    # ------------------------------------------------------------------- contract

    def step(self, now_ms: int, event: Input) -> list[Output]:
        match event:
            case FencingConfig():
                self.config = event
                self._failures.clear()  # another device may work now
                return self._release(now_ms)
            case FenceRequest():
                return self._request(now_ms, event)
            case AgentDone():
                return self._agent_done(now_ms, event)
            case FenceResult():
                self._remember(now_ms, event)  # a peer's result, for our history
                return []
            case Tick():
                return self._expire(now_ms) + self._release(now_ms)
        return []

    def next_deadline_ms(self) -> int | None:
        deadlines = [op.deadline_ms for op in self._ops.values() if op.run_id]
        deadlines += [self._failures[r.target][1] for r in self._parked
                      if r.target in self._failures]
        return min(deadlines) if deadlines else None

    def status(self) -> FencerStatus:
        in_flight = tuple(
            (op.target, op.action, op.levels[op.level][op.device].id if op.levels else "")
            for _, op in sorted(self._ops.items()))
        return FencerStatus(self.node_name, tuple(d.id for d in self.config.devices), in_flight,
                            tuple(self._history), self._dropped)

    def can_fence(self, target: str) -> tuple[str, ...]:
        """Ids of the devices that may fence `target` (without asking any agent)."""
        return tuple(d.id for level in self.plan(target) for d in level)

    def plan(self, target: str) -> list[list[FenceDevice]]:
        """The levels to try for `target`, in order; each level's devices all must succeed."""
        by_id = {d.id: d for d in self.config.devices}
        levels = sorted((lv for lv in self.config.levels if lv.matches(target)),
                        key=lambda lv: lv.index)
        if levels:
            return [[by_id[d] for d in lv.devices if d in by_id] for lv in levels
                    if all(d in by_id for d in lv.devices)]
        capable = [d for d in self.config.devices if may_fence(d, target) is not False]
        capable.sort(key=lambda d: (-d.priority, d.id))
        return [[d] for d in capable]

    # ------------------------------------------------------------------- requests

    def _request(self, now_ms: int, request: FenceRequest) -> list[Output]:
        key = (request.target, request.action)
        if key in self._ops:
            self._ops[key].request_ids.append(request.request_id)
            return []
        if request.action not in FENCE_ACTIONS:
            return [self._result_for(now_ms, request, f"unknown fencing action {request.action!r}")]
        if request.target == self.node_name:
            return [self._result_for(now_ms, request, "a node never fences itself; a peer must")]
        if self._failures.get(request.target, (0, 0))[1] > now_ms:
            self._parked.append(request)
            return []
        levels = self.plan(request.target)
        if not levels:
            self._failed(now_ms, request.target)
            return [self._result_for(now_ms, request,
                                     f"no fence device can fence {request.target}")]
        op = _Operation(request.target, request.action, request.origin or self.node_name,
                        [request.request_id], levels)
        self._ops[key] = op
        log.info("fencing target=%s action=%s levels=%d", op.target, op.action, len(levels))
        return self._run_current(now_ms, op)

    def _result_for(self, now_ms: int, request: FenceRequest, reason: str) -> FenceResult:
        log.warning("fencing impossible target=%s reason=%s", request.target, reason)
        result = FenceResult(request.target, request.action, False, request.request_id, "", reason,
                             origin=request.origin or self.node_name, executioner=self.node_name)
        self._remember(now_ms, result)
        return result

    def _run_current(self, now_ms: int, op: _Operation) -> list[Output]:
        device = op.levels[op.level][op.device]
        check = device.check
        op.querying = not op.querying and check in ("dynamic-list", "status")
        if op.querying:
            action = "list" if check == "dynamic-list" else "status"
        else:
            action = device.param(f"pcmk_{op.action}_action", op.action)
        timeout_ms = duration_ms(device.param(f"pcmk_{action}_timeout"),
                                      self.config.timeout_ms)
        op.run_id = self._next_run_id
        self._next_run_id += 1
        op.deadline_ms = now_ms + timeout_ms + TIMEOUT_GRACE_MS
        extra: tuple[tuple[str, str], ...] = (("nodename", op.target),)
        if device.host_argument != "none":  # "none": the agent fences one fixed machine
            extra = ((device.host_argument, device.plug_for(op.target)), *extra)
        return [RunAgent(op.run_id, f"stonith:{device.agent}", action, (), timeout_ms,
                         stdin=agent_stdin(action, device.params, extra))]

    # ------------------------------------------------------------------- results

    def _agent_done(self, now_ms: int, done: AgentDone) -> list[Output]:
        op = next((o for o in self._ops.values() if o.run_id == done.call_id), None)
        if op is None:
            self._dropped += 1
            return []
        op.run_id = 0
        device = op.levels[op.level][op.device]
        if op.querying:
            if is_listed(device, op.target, done):
                return self._run_current(now_ms, op)
            op.failures.append(f"{device.id}: cannot fence {op.target}")
            return self._next_level(now_ms, op)
        if done.status == "done" and done.rc == 0:
            op.device += 1
            if op.device < len(op.levels[op.level]):
                return self._run_current(now_ms, op)
            return self._complete(now_ms, op, True, device.id, "")
        reason = done.output.strip().splitlines()[-1] if done.output.strip() else done.status
        op.failures.append(f"{device.id}: rc={done.rc} {done.status} {reason}".strip())
        return self._next_level(now_ms, op)

    def _next_level(self, now_ms: int, op: _Operation) -> list[Output]:
        op.level += 1
        op.device = 0
        op.querying = False
        if op.level < len(op.levels):
            return self._run_current(now_ms, op)
        return self._complete(now_ms, op, False, "", "; ".join(op.failures))

    def _expire(self, now_ms: int) -> list[Output]:
        out: list[Output] = []
        for key in sorted(self._ops):
            op = self._ops[key]
            if op.run_id and op.deadline_ms <= now_ms:
                op.run_id = 0
                op.failures.append(f"{op.levels[op.level][op.device].id}: timed out")
                out += self._next_level(now_ms, op)
        return out

    def _complete(self, now_ms: int, op: _Operation, ok: bool, device: str,
                  reason: str) -> list[Output]:
        del self._ops[(op.target, op.action)]
        results = [FenceResult(op.target, op.action, ok, rid, device, reason, origin=op.origin,
                               executioner=self.node_name) for rid in op.request_ids]
        self._remember(now_ms, results[0])
        if ok:
            self._failures.pop(op.target, None)
        else:
            self._failed(now_ms, op.target)
        if ok:
            log.info("fenced target=%s action=%s device=%s", op.target, op.action, device)
        else:
            log.error("fencing failed target=%s action=%s reason=%s", op.target, op.action,
                      reason)
        return list(results)

    def _failed(self, now_ms: int, target: str) -> None:
        count = self._failures.get(target, (0, 0))[0] + 1
        wait_ms = min(RETRY_MAX_MS, RETRY_BASE_MS << min(count - 1, 16))
        self._failures[target] = (count, now_ms + wait_ms)

    def _release(self, now_ms: int) -> list[Output]:
        """Run the parked requests whose target may be tried again, in arrival order."""
        due = [r for r in self._parked if self._failures.get(r.target, (0, 0))[1] <= now_ms]
        self._parked = [r for r in self._parked if r not in due]
        out: list[Output] = []
        for request in due:
            out += self._request(now_ms, request)
        return out

    def _remember(self, now_ms: int, result: FenceResult) -> None:
        self._history.append(FenceEvent(result.target, result.action, result.ok, result.origin,
                                        result.executioner, result.device, now_ms, result.reason))
        del self._history[:-HISTORY_MAX]


# ----------------------------------------------------------------------- pure helpers


def may_fence(device: FenceDevice, target: str) -> bool | None:
    """True/False from the configuration alone; None when the agent must be asked."""
    match device.check:
        case "static-list":
            return target in device.host_list or target in dict(device.host_map)
        case "none":
            return True
        case "dynamic-list" | "status":
            return None
    return False


def is_listed(device: FenceDevice, target: str, done: AgentDone) -> bool:
    """Whether a list/status answer says the device can reach target's plug."""
    if done.status != "done":
        return False
    plug = device.plug_for(target)
    if device.check == "status":
        return done.rc in (0, 2)  # fence-agents: 0 on, 2 off, anything else unknown
    if done.rc != 0:
        # Pacemaker's default check falls back to "none" for agents without "list".
        return not device.host_check
    names = {re.split(r"[,\s]", line.strip(), maxsplit=1)[0] for line in done.output.splitlines()}
    return plug in names or target in names


def agent_stdin(action: str, params: tuple[tuple[str, str], ...],
                extra: tuple[tuple[str, str], ...]) -> str:
    """key=value lines, `action` first; Pacemaker's pcmk_* parameters stay with us."""
    lines = [f"action={action}"]
    for name, value in list(params) + list(extra):
        if not name.startswith("pcmk_") and name != "action" and "\n" not in name:
            lines.append(f"{name}={value.replace(chr(10), ' ')}")
    return "\n".join(lines) + "\n"


def parse_host_map(text: str) -> tuple[tuple[str, str], ...]:
    """pcmk_host_map "node1:plug1;node2:plug2" (also space or comma separated)."""
    pairs = []
    for item in re.split(r"[;,\s]+", text.strip()):
        node, sep, plug = item.partition(":")
        if sep and node and plug:
            pairs.append((node, plug))
    return tuple(pairs)


def config_from_cib(cib: bytes | str | Any) -> FencingConfig:
    """The stonith resources, fencing-topology and stonith-timeout of a CIB (its text, or
    its root element: ElementTree or lxml); a CIB that does not parse gives no devices
    (the fencer then refuses, and says why)."""
    if isinstance(cib, bytes | str):
        try:
            root = ET.fromstring(cib)
        except ET.ParseError:
            return FencingConfig()
    else:
        root = cib
    devices = tuple(_device(p) for p in root.iter("primitive")
                    if p.get("class") == "stonith" and p.get("id") and p.get("type")
                    and _meta(p).get("target-role", "Started").lower() != "stopped")
    levels = tuple(
        FenceLevel(int(lv.get("index", "0")) if lv.get("index", "").isdigit() else 0,
                   tuple(d for d in re.split(r"[,\s]+", lv.get("devices", "")) if d),
                   lv.get("target", ""), lv.get("target-pattern", ""))
        for lv in root.iter("fencing-level"))
    timeout_ms = DEFAULT_TIMEOUT_MS
    for nvpair in root.iter("nvpair"):
        if nvpair.get("name") == "stonith-timeout":
            timeout_ms = duration_ms(nvpair.get("value", ""), DEFAULT_TIMEOUT_MS)
    return FencingConfig(devices, levels, timeout_ms)


def _meta(primitive: Any) -> dict[str, str]:
    return {str(nv.get("name", "")): str(nv.get("value", ""))
            for meta in primitive.findall("meta_attributes") for nv in meta.findall("nvpair")}


def _device(primitive: Any) -> FenceDevice:
    params: tuple[tuple[str, str], ...] = tuple((str(nv.get("name")), str(nv.get("value", "")))
                   for attrs in primitive.findall("instance_attributes")
                   for nv in attrs.findall("nvpair") if nv.get("name"))
    named = dict(params)
    priority = _meta(primitive).get("priority", named.get("priority", "0"))
    return FenceDevice(
        id=str(primitive.get("id", "")), agent=str(primitive.get("type", "")), params=params,
        host_list=tuple(h for h in re.split(r"[,;\s]+", named.get("pcmk_host_list", "")) if h),
        host_map=parse_host_map(named.get("pcmk_host_map", "")),
        host_check=named.get("pcmk_host_check", ""),
        host_argument=named.get("pcmk_host_argument", "port") or "port",
        priority=int(priority) if priority.lstrip("-").isdigit() else 0)
