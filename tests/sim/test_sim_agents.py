"""The simulator's fake agents driving the real executor and fencer cores on virtual time."""

from __future__ import annotations

import heapq
import random
from typing import Any

from hacluster.events import (
    AgentDone,
    ExecuteOp,
    FenceRequest,
    FenceResult,
    OpRequest,
    OpResult,
    RunAgent,
    Tick,
)
from hacluster.executor import Executor, OpStatus
from hacluster.fencing import FenceDevice, Fencer, FencingConfig
from hacluster.sim.agents import Failure, FakeAgents


class MiniWorld:
    """Executors (and one fencer) of a few nodes, fake agents, a virtual clock."""

    def __init__(self, seed: int, nodes: tuple[str, ...] = ("node1", "node2"),
                 **agent_options: Any) -> None:
        self.agents = FakeAgents(random.Random(seed), **agent_options)
        self.cores: dict[str, Any] = {
            n: Executor(n, f"/sim/{n}/rsctmp", timeout_grace_ms=0) for n in nodes}
        device = FenceDevice("fake", "fence_fake", host_list=nodes)
        self.cores["fencer"] = Fencer("node1", FencingConfig((device,)))
        self.now_ms = 0
        self.heap: list[tuple[int, int, str, Any]] = []
        self.seq = 0
        self.trace: list[str] = []
        self.powered_off: list[str] = []

    def push(self, at: int, who: str, event: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, who, event))

    def step(self, who: str, event: Any) -> None:
        core = self.cores[who]
        for out in core.step(self.now_ms, event):
            if isinstance(out, RunAgent):
                node = "node1" if who == "fencer" else who
                fake = self.agents.run(node, self.now_ms, out)
                if fake.done is not None:
                    self.push(fake.done_at_ms, who, fake.done)
                if fake.power_off:
                    self.powered_off.append(fake.power_off)
            elif isinstance(out, OpResult):
                self.trace.append(f"{self.now_ms} {who} {out.op.rsc_id} {out.op.action}"
                                  f"/{out.op.interval_ms} rc={out.rc} status={out.op_status}")
            elif isinstance(out, FenceResult):
                self.trace.append(f"{self.now_ms} fenced {out.target} ok={out.ok}")
        deadline = core.next_deadline_ms()
        if deadline is not None:
            self.push(deadline, who, Tick())

    def run_until(self, end_ms: int) -> None:
        while self.heap and self.heap[0][0] <= end_ms:
            at, _, who, event = heapq.heappop(self.heap)
            self.now_ms = at
            self.step(who, event)
        self.now_ms = end_ms

    def execute(self, node: str, action: str, interval_ms: int = 0, rsc: str = "d1",
                timeout_ms: int = 20_000) -> None:
        self.step(node, ExecuteOp(OpRequest(rsc, "ocf", "heartbeat", "Dummy", action,
                                            interval_ms, timeout_ms)))


def test_a_dummy_runs_per_node_and_a_failure_shows_at_the_next_monitor() -> None:
    world = MiniWorld(seed=7)
    world.execute("node1", "start")
    world.execute("node1", "monitor", 10_000)
    world.execute("node2", "monitor")  # node2 probes: not running there
    world.run_until(25_000)
    assert world.agents.active("d1") == ("node1",)
    world.agents.fail_resource("node1", "d1")
    world.run_until(40_000)
    lines = [line.split(" ", 1)[1] for line in world.trace]
    assert lines == ["node1 d1 start/0 rc=0 status=0",
                     "node2 d1 monitor/0 rc=7 status=0",
                     "node1 d1 monitor/10000 rc=0 status=0",
                     "node1 d1 monitor/10000 rc=7 status=0"]


def test_the_same_seed_gives_the_same_trace_and_random_failures() -> None:
    def trace(seed: int) -> list[str]:
        world = MiniWorld(seed, failure_rate=0.3, min_ms=1, max_ms=900)
        world.execute("node1", "start")
        world.execute("node1", "monitor", 1_000)
        world.run_until(60_000)
        return world.trace
    assert trace(3) == trace(3)
    assert any("rc=1" in line for line in trace(3)), "failures do happen at 30%"
    assert trace(3) != trace(4)


def test_a_scripted_hang_times_out_and_a_crash_is_an_error() -> None:
    world = MiniWorld(seed=1)
    world.agents.script(Failure(node="node1", action="start", behaviour="hang"))
    world.agents.script(Failure(node="node2", action="start", behaviour="crash"))
    world.execute("node1", "start", timeout_ms=2_000)
    world.execute("node2", "start")
    world.run_until(10_000)
    assert sorted(line.split(" ", 1)[1] for line in world.trace) == [
        f"node1 d1 start/0 rc=1 status={OpStatus.TIMEOUT}",
        f"node2 d1 start/0 rc=1 status={OpStatus.ERROR}"]


def test_a_fake_fence_powers_the_target_off_and_its_resources_with_it() -> None:
    world = MiniWorld(seed=2)
    world.execute("node2", "start")
    world.run_until(1_000)
    assert world.agents.active("d1") == ("node2",)
    world.step("fencer", FenceRequest("node2", "reboot", "node1", "r"))
    world.run_until(2_000)
    assert world.powered_off == ["node2"]
    assert world.agents.active("d1") == ()
    assert world.trace[-1].endswith("fenced node2 ok=True")
    world.step("fencer", FenceRequest("node1", "reboot", "node2", "s"))
    assert world.trace[-1].endswith("fenced node1 ok=False"), "a node never fences itself"


def test_a_missing_agent_type_is_not_installed() -> None:
    world = MiniWorld(seed=5, missing_types=frozenset({"Dummy"}))
    world.execute("node1", "start")
    world.run_until(100)
    assert world.trace == [f"0 node1 d1 start/0 rc=5 status={OpStatus.NOT_INSTALLED}"]


def test_a_fence_off_names_the_node_the_world_must_power_off() -> None:
    fake = FakeAgents(random.Random(0)).run(
        "node1", 0, RunAgent(9, "stonith:fence_fake", "", stdin="action=off\nnodename=node3\n"))
    assert fake.power_off == "node3" and fake.done == AgentDone(9, 0, "done", "")
