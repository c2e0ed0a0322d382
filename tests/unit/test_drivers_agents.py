"""The agent runner: OCF resolution, environment, rc and output, timeouts, missing agents."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from hacluster import events
from hacluster.drivers.agents import (
    AgentRunner,
    agent_environment,
    resolve_agent,
    tools_environment,
)
from hacluster.drivers.loop import DaemonLoop

AGENT = """#!/bin/sh
echo "action=$1 rsc=$OCF_RESOURCE_INSTANCE root=$OCF_ROOT"
case "$1" in
  start) exit 0 ;;
  monitor) exit 7 ;;
  hang) sleep 30 & echo $! > "$OCF_RESKEY_pidfile"; wait ;;
  *) exit 3 ;;
esac
"""


@pytest.fixture
def ocf_root(tmp_path: Path) -> Path:
    agent = tmp_path / "resource.d" / "test" / "Dummy"
    agent.parent.mkdir(parents=True)
    agent.write_text(AGENT)
    agent.chmod(0o755)
    return tmp_path


def run_all(root: Path, runs: list[events.RunAgent]) -> list[events.AgentDone]:
    done: list[events.AgentDone] = []

    async def scenario() -> None:
        runner = AgentRunner(done.append, str(root))
        for run in runs:
            runner.start(run)
        while len(done) < len(runs):
            await asyncio.sleep(0.01)

    asyncio.run(asyncio.wait_for(scenario(), 30))
    return sorted(done, key=lambda d: d.call_id)


def test_an_ocf_name_resolves_under_ocf_root_and_bad_names_do_not(ocf_root: Path) -> None:
    assert resolve_agent("ocf:test:Dummy", str(ocf_root)) == (str(
        ocf_root / "resource.d" / "test" / "Dummy"), str(ocf_root))
    for bad in ("ocf:test:Nope", "ocf:test", "ocf:../..:sh", "Dummy", "lsb:foo",
                "stonith:../true", "lsb:../../bin/sh"):
        assert resolve_agent(bad, str(ocf_root)) is None
    if shutil.which("true"):
        assert resolve_agent("stonith:true", str(ocf_root)) == (shutil.which("true"), "")


def test_the_cores_variables_win_over_the_base_environment() -> None:
    run = events.RunAgent(1, "ocf:x:y", "start", (("PATH", "/opt/bin"), ("OCF_RESKEY_ip", "1")))
    env = agent_environment(run, "/r", {"PATH": "/usr/bin", "SECRET": "x", "LANG": "C"})
    assert env == {"PATH": "/opt/bin", "LANG": "C", "OCF_ROOT": "/r", "OCF_RESKEY_ip": "1"}


def test_agents_report_their_rc_and_output(ocf_root: Path) -> None:
    env = (("OCF_RESOURCE_INSTANCE", "d1"),)
    done = run_all(ocf_root, [events.RunAgent(1, "ocf:test:Dummy", "start", env),
                              events.RunAgent(2, "ocf:test:Dummy", "monitor", env),
                              events.RunAgent(3, "ocf:test:Dummy", "frobnicate", env)])
    assert [(d.call_id, d.rc, d.status) for d in done] == [
        (1, 0, "done"), (2, 7, "done"), (3, 3, "done")]
    assert done[0].output == f"action=start rsc=d1 root={ocf_root}\n"


def test_a_missing_agent_is_not_installed(ocf_root: Path) -> None:
    (done,) = run_all(ocf_root, [events.RunAgent(4, "ocf:test:Missing", "start")])
    assert (done.rc, done.status) == (5, "not installed")


def test_a_hung_agent_times_out_and_its_whole_process_group_is_killed(
        ocf_root: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    (done,) = run_all(ocf_root, [events.RunAgent(
        5, "ocf:test:Dummy", "hang", (("OCF_RESKEY_pidfile", str(pidfile)),), timeout_ms=300)])
    assert (done.rc, done.status) == (1, "timeout")
    assert time.monotonic() - started < 5
    child = int(pidfile.read_text())
    for _ in range(100):
        if not Path(f"/proc/{child}").exists():
            break
        time.sleep(0.02)
    assert not Path(f"/proc/{child}").exists(), "the agent's background child was left running"


class AgentCore:
    """Asks for one agent run per request and replies with its result."""

    def __init__(self) -> None:
        self.waiting: dict[int, int] = {}

    def step(self, now_ms: int, event: Any) -> list[Any]:
        match event:
            case events.ClientRequest(request_id=rid, request=events.SendRequest(data=action)):
                self.waiting[rid] = rid  # "send" stands for "run this action" here
                return [events.RunAgent(rid, "ocf:test:Dummy", action.decode())]
            case events.AgentDone(call_id=cid, rc=rc):
                return [events.Reply(self.waiting.pop(cid), True, events.CibText(f"rc {rc}"))]
        return []

    def next_deadline_ms(self) -> int | None:
        return None

    def status(self) -> None:
        return None


def test_the_daemon_loop_runs_agents_and_feeds_agent_done_back(ocf_root: Path) -> None:
    replies: list[tuple[Any, bool, Any]] = []

    class Conn:
        number = 1
        groups: set[tuple[str, int]] = set()

        def reply(self, client_id: Any, ok: bool, body: Any = None,
                  problems: Any = None) -> None:
            replies.append((client_id, ok, body))

    async def scenario() -> None:
        loop = DaemonLoop(AgentCore(), None, str(ocf_root), dict)  # type: ignore[arg-type]
        loop.agents = AgentRunner(loop.put, str(ocf_root))
        task = asyncio.create_task(loop.run())
        loop.on_request(Conn(), 1, events.SendRequest(b"start"))  # type: ignore[arg-type]
        loop.on_request(Conn(), 2, events.SendRequest(b"monitor"))  # type: ignore[arg-type]
        while len(replies) < 2:
            await asyncio.sleep(0.01)
        loop.shutdown()
        await asyncio.wait_for(task, 5)

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert sorted(replies) == [(1, True, events.CibText("rc 0")),
                               (2, True, events.CibText("rc 7"))]
    assert os.environ.get("OCF_RESOURCE_INSTANCE") is None


def test_agents_find_our_attrd_updater_first_and_this_nodes_state_dir(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "attrd_updater").write_text("#!/bin/sh\nexit 0\n")
    (tools / "attrd_updater").chmod(0o755)
    env = agent_environment(events.RunAgent(1, "ocf:x:y", "start"), "/r", {"PATH": "/usr/bin"},
                            tools=tools_environment("/var/lib/n1", str(tools)))
    assert env["PATH"] == f"{tools}:/usr/bin"
    assert env["HACLUSTER_ATTRD_UPDATER"] == str(tools / "attrd_updater")
    assert env["HACLUSTER_STATE_DIR"] == "/var/lib/n1"
    assert tools_environment("", str(tmp_path)) == {}, "no tools there: nothing to point at"
