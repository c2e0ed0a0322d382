"""The node's cluster manager: its controller and its executor, and the routing between
them, behind one step() for node.py.

Owns the hand-offs inside the resource layer: the controller's ExecuteOp/CancelOp go to
the executor, the executor's OpResults come back to the controller, in order, until both
are quiet. What must leave the node (RunAgent, RunScheduler, FenceRequest) and what
node.py must carry (CIB writes to the replica, CPG messages of group "crmd", the leave)
come back sorted in `CRMOutputs`. Must never do I/O or touch Totem or the CIB itself.
Spec: DESIGN.md §3b.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from hacluster.controller import CibWrite, Controller, Leave, PeerSend
from hacluster.events import AgentDone, CancelOp, ExecuteOp, OpResult, Tick


@dataclass(slots=True)
class CRMOutputs:
    external: list[Any] = field(default_factory=list)  # RunAgent, RunScheduler, FenceRequest
    cib_writes: list[Any] = field(default_factory=list)  # CIBRequest, in order
    peer_sends: list[bytes] = field(default_factory=list)  # CPG group "crmd" payloads
    leave: bool = False


class NodeCRM:
    """Controller + executor of one node. `executor` is a core with the DESIGN §2 contract
    (hacluster.executor.Executor) or None: then ExecuteOp/CancelOp leave the node as they
    are (a test or tool runs them)."""

    def __init__(self, controller: Controller, executor: Any = None) -> None:
        self.controller = controller
        self.executor = executor

    def step(self, now_ms: int, event: Any) -> CRMOutputs:
        out = CRMOutputs()
        work: deque[tuple[str, Any]] = deque()
        if isinstance(event, AgentDone):
            work.append(("executor", event))
        elif isinstance(event, Tick):
            if self._due(self.executor, now_ms):
                work.append(("executor", event))
            work.append(("controller", event))
        else:
            work.append(("controller", event))
        while work:
            target, item = work.popleft()
            if target == "executor":
                assert self.executor is not None
                for produced in self.executor.step(now_ms, item):
                    if isinstance(produced, OpResult):
                        work.append(("controller", produced))
                    else:
                        out.external.append(produced)
                continue
            for produced in self.controller.step(now_ms, item):
                self._sort(produced, out, work)
        return out

    def _sort(self, produced: Any, out: CRMOutputs, work: deque[tuple[str, Any]]) -> None:
        if isinstance(produced, CibWrite):
            out.cib_writes.append(produced.request)
        elif isinstance(produced, PeerSend):
            out.peer_sends.append(produced.data)
        elif isinstance(produced, Leave):
            out.leave = True
        elif isinstance(produced, ExecuteOp | CancelOp) and self.executor is not None:
            work.append(("executor", produced))
        else:
            out.external.append(produced)

    @staticmethod
    def _due(core: Any, now_ms: int) -> bool:
        if core is None:
            return False
        deadline = core.next_deadline_ms()
        return deadline is not None and deadline <= now_ms

    def next_deadline_ms(self) -> int | None:
        times = [t for t in (self.controller.next_deadline_ms(),
                             self.executor.next_deadline_ms() if self.executor else None)
                 if t is not None]
        return min(times) if times else None

    def status(self) -> Any:
        return self.controller.status()
