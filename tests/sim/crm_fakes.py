"""A stand-in executor for simulator tests of the controller: ExecuteOp -> OpResult after a
fixed duration, with the resource truth (what really runs where) held by the test."""

from __future__ import annotations

from dataclasses import dataclass, field

from hacluster.common import NodeId
from hacluster.events import CancelOp, ExecuteOp, OpRequest, OpResult, Tick


@dataclass(slots=True)
class FakeExecutor:
    node_id: NodeId
    truth: dict[NodeId, set[str]]
    duration_ms: int = 50
    pending: list[tuple[int, int, OpRequest]] = field(default_factory=list)
    recurring: dict[tuple[str, str, int], list[int | OpRequest | None]] = field(
        default_factory=dict)
    calls: int = 0

    def step(self, now_ms: int, event: object) -> list[OpResult]:
        if isinstance(event, ExecuteOp):
            op = event.op
            if op.interval_ms:
                self.recurring[(op.rsc_id, op.action, op.interval_ms)] = [
                    now_ms + self.duration_ms, op, None]
            else:
                self.calls += 1
                self.pending.append((now_ms + self.duration_ms, self.calls, op))
            return []
        if isinstance(event, CancelOp):
            self.recurring.pop((event.rsc_id, event.action, event.interval_ms), None)
            return []
        assert isinstance(event, Tick)
        out = []
        for item in sorted(p for p in self.pending if p[0] <= now_ms):
            self.pending.remove(item)
            out.append(self._result(now_ms, item[2], item[1]))
        for key in sorted(self.recurring):
            entry = self.recurring[key]
            due, op, last = entry
            assert isinstance(due, int) and isinstance(op, OpRequest)
            if due > now_ms:
                continue
            self.calls += 1
            result = self._result(now_ms, op, self.calls)
            entry[0] = now_ms + op.interval_ms
            if result.rc != last:
                entry[2] = result.rc
                out.append(result)
        return out

    def _result(self, now_ms: int, op: OpRequest, call_id: int) -> OpResult:
        running = self.truth.setdefault(self.node_id, set())
        rc = 0
        if op.action == "start":
            running.add(op.rsc_id)
        elif op.action == "stop":
            running.discard(op.rsc_id)
        elif op.action == "monitor":
            rc = 0 if op.rsc_id in running else 7
        return OpResult(op, call_id, rc, 0, now_ms - self.duration_ms, self.duration_ms)

    def next_deadline_ms(self) -> int | None:
        times = [p[0] for p in self.pending] + [int(e[0]) for e in self.recurring.values()
                                                 if isinstance(e[0], int)]
        return min(times) if times else None
