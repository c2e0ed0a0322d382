"""Fake resource and fence agents for the simulator: durations, failures, hangs, per-node state.

Owns what an agent run "does" in a simulated world: a RunAgent becomes a FakeRun (when its
AgentDone arrives, or never for a hang, and which node a fence action powers off). Resource
agents behave like ocf:heartbeat:Dummy per node (start/stop/promote/demote change the node's
state, monitor reports it); failures come from scripts (match node, resource, action) or at
random. An ocf:pacemaker:ping agent also publishes its attribute (reachable hosts x
multiplier, with its dampen) as attrd_updater would, unless its node cannot reach the hosts.
`log` keeps every start/stop/promote/demote run (scenario tests read what moved). Must never
read a clock or use randomness other than the world's seeded Random: the same seed and the
same runs give the same results.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hacluster.common import parse_duration_ms
from hacluster.events import AgentDone, RunAgent

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCF_NOT_RUNNING, OCF_RUNNING_PROMOTED = (
    0, 1, 5, 7, 8)
FENCE_POWER_OFF = ("off", "reboot")
LOGGED_ACTIONS = ("start", "stop", "promote", "demote")


@dataclass(frozen=True, slots=True)
class FakeRun:
    """The outcome of one run: `done` at `done_at_ms` (None: the agent hangs forever);
    `power_off` names the node a fence action switched off (the world crashes it)."""

    done_at_ms: int
    done: AgentDone | None
    power_off: str = ""
    attribute: AttributeUpdate | None = None


@dataclass(frozen=True, slots=True)
class AttributeUpdate:
    """What a ping agent asks the node's attrd for (value None deletes the attribute)."""

    name: str
    value: str | None
    dampen_ms: int


@dataclass(frozen=True, slots=True)
class LoggedRun:
    """One state-changing agent run, as scenario traces show it."""

    at_ms: int  # when it ended
    node: str
    rsc: str
    action: str
    rc: int
    began_ms: int = 0


@dataclass(slots=True)
class Failure:
    """A scripted failure: the next `times` runs matching node/rsc/action (and interval for
    monitors; "*" or -1 match anything) give `rc`, or hang ("hang") or crash ("crash")."""

    node: str = "*"
    rsc: str = "*"
    action: str = "*"
    rc: int = OCF_ERR_GENERIC
    behaviour: str = "rc"  # "rc" | "hang" | "crash"
    times: int = 1
    interval_ms: int = -1

    def matches(self, node: str, rsc: str, action: str, interval_ms: int) -> bool:
        return (self.times > 0 and self.node in ("*", node) and self.rsc in ("*", rsc)
                and self.action in ("*", action)
                and self.interval_ms in (-1, interval_ms))


@dataclass(slots=True)
class FakeAgents:
    """Every node's fake agents. `rng` is the world's; the rates are per run."""

    rng: random.Random
    min_ms: int = 5
    max_ms: int = 50
    failure_rate: float = 0.0
    failing_actions: tuple[str, ...] = ("monitor", "start")
    missing_types: frozenset[str] = frozenset()
    _state: dict[tuple[str, str], str] = field(default_factory=dict)  # (node, rsc) -> role
    _failures: list[Failure] = field(default_factory=list)
    runs: int = 0
    unreachable: set[str] = field(default_factory=set)  # nodes whose ping hosts never answer
    log: list[LoggedRun] = field(default_factory=list)
    monitored: list[tuple[int, str, str]] = field(default_factory=list)  # recurring monitor
    # runs: (began_ms, node, rsc)

    # ------------------------------------------------------------------- world API

    def script(self, failure: Failure) -> None:
        self._failures.append(failure)

    def fail_resource(self, node: str, rsc: str) -> None:
        """The resource dies on `node` by itself: its next monitor finds it stopped."""
        self._state.pop((node, rsc), None)

    def power_off(self, node: str) -> None:
        """The node lost power (crash or fence): nothing runs on it any more."""
        for key in [k for k in self._state if k[0] == node]:
            del self._state[key]

    def active(self, rsc: str) -> tuple[str, ...]:
        """Nodes where `rsc` runs (checkers: a single-instance resource on two nodes)."""
        return tuple(sorted(node for node, name in self._state if name == rsc))

    def states(self) -> list[tuple[str, str]]:
        """(node, resource instance) of everything running, sorted."""
        return sorted(self._state)

    def role(self, node: str, rsc: str) -> str | None:
        return self._state.get((node, rsc))

    # ------------------------------------------------------------------- running

    def run(self, node: str, now_ms: int, run: RunAgent) -> FakeRun:
        self.runs += 1
        done_at_ms = now_ms + self.rng.randint(self.min_ms, self.max_ms)
        if run.agent.startswith("stonith:"):
            return self._fence(node, done_at_ms, run)
        env = dict(run.env)
        rsc = env.get("OCF_RESOURCE_INSTANCE", "")
        interval_ms = int(env.get("OCF_RESKEY_CRM_meta_interval", "0") or 0)
        if run.agent.rsplit(":", 1)[-1] in self.missing_types:
            return FakeRun(now_ms, AgentDone(run.call_id, OCF_ERR_INSTALLED, "not installed",
                                             f"agent {run.agent} is not installed"))
        fake = self._outcome(node, rsc, interval_ms, done_at_ms, run)
        if run.action == "monitor" and interval_ms > 0:
            self.monitored.append((now_ms, node, rsc))
        if run.action in LOGGED_ACTIONS and fake.done is not None:
            self.log.append(LoggedRun(fake.done_at_ms, node, rsc, run.action, fake.done.rc,
                                      now_ms))
        return fake

    def _outcome(self, node: str, rsc: str, interval_ms: int, done_at_ms: int,
                 run: RunAgent) -> FakeRun:
        scripted = self._scripted(node, rsc, run.action, interval_ms)
        if scripted is not None:
            return self._failed(scripted, done_at_ms, run)
        if run.action in self.failing_actions and self.rng.random() < self.failure_rate:
            return FakeRun(done_at_ms, AgentDone(run.call_id, OCF_ERR_GENERIC, "done",
                                                 "ocf-exit-reason:random failure"))
        rc = self._act(node, rsc, run.action)
        attribute = self._ping(node, run, rc) if run.agent.endswith(":ping") else None
        return FakeRun(done_at_ms, AgentDone(run.call_id, rc, "done", ""), attribute=attribute)

    def _ping(self, node: str, run: RunAgent, rc: int) -> AttributeUpdate | None:
        """ocf:pacemaker:ping: start and monitor publish hosts-answering x multiplier (a
        monitor still succeeds when none answers: only the attribute drops); stop deletes."""
        env = dict(run.env)
        name = env.get("OCF_RESKEY_name") or "pingd"
        dampen_ms = parse_duration_ms(env.get("OCF_RESKEY_dampen") or "5s") or 0
        if run.action == "stop":
            return AttributeUpdate(name, None, 0)
        if run.action not in ("start", "monitor") or rc != OCF_SUCCESS:
            return None
        hosts = (env.get("OCF_RESKEY_host_list") or "").split()
        answered = 0 if node in self.unreachable else len(hosts)
        multiplier = int(env.get("OCF_RESKEY_multiplier") or "1")
        return AttributeUpdate(name, str(answered * multiplier), dampen_ms)

    def _act(self, node: str, rsc: str, action: str) -> int:
        key = (node, rsc)
        match action:
            case "start" | "migrate_from":  # migrate_from: it runs here now
                self._state[key] = "started"
            case "stop":
                self._state.pop(key, None)
            case "promote":
                self._state[key] = "promoted"
            case "demote":
                if key in self._state:
                    self._state[key] = "started"
            case "monitor" | "status":
                role = self._state.get(key)
                if role is None:
                    return OCF_NOT_RUNNING
                return OCF_RUNNING_PROMOTED if role == "promoted" else OCF_SUCCESS
        return OCF_SUCCESS

    def _fence(self, node: str, done_at_ms: int, run: RunAgent) -> FakeRun:
        options = dict(line.split("=", 1) for line in run.stdin.splitlines() if "=" in line)
        action = options.get("action", run.action)
        target = options.get("nodename", "")
        scripted = self._scripted(node, target, action, 0)
        if scripted is not None:
            return self._failed(scripted, done_at_ms, run)
        if action in FENCE_POWER_OFF and target:
            self.power_off(target)
            return FakeRun(done_at_ms, AgentDone(run.call_id, 0, "done", ""), power_off=target)
        return FakeRun(done_at_ms, AgentDone(run.call_id, 0, "done", ""))

    def _scripted(self, node: str, rsc: str, action: str, interval_ms: int) -> Failure | None:
        for failure in self._failures:
            if failure.matches(node, rsc, action, interval_ms):
                failure.times -= 1
                return failure
        return None

    def _failed(self, failure: Failure, done_at_ms: int, run: RunAgent) -> FakeRun:
        if failure.behaviour == "hang":
            return FakeRun(done_at_ms, None)
        if failure.behaviour == "crash":
            return FakeRun(done_at_ms, AgentDone(run.call_id, OCF_ERR_GENERIC, "signal",
                                                 "agent killed by SIGSEGV"))
        return FakeRun(done_at_ms, AgentDone(run.call_id, failure.rc, "done",
                                             f"ocf-exit-reason:scripted rc {failure.rc}"))

