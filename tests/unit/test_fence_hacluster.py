"""The shipped test fence agent, run by the fencer through the real agent runner: it really
powers a haclusterd "machine" off (SIGKILL by pid file, volatile agent state wiped)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hacluster.drivers.agents import AgentRunner
from hacluster.events import AgentDone, FenceRequest, FenceResult, RunAgent, Tick
from hacluster.fencing import FenceDevice, Fencer, FencingConfig


@pytest.fixture
def machines(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    """node2's state dir with a pid file naming a process that calls itself haclusterd."""
    node2 = tmp_path / "node2"
    (node2 / "rsctmp").mkdir(parents=True)
    (node2 / "rsctmp" / "Dummy-d1.state").write_text("")
    (tmp_path / "node1").mkdir()
    script = "sleep 60 & echo $! > helper.pid; exec -a haclusterd sleep 60"
    proc = subprocess.Popen(["bash", "-c", script], cwd=node2, start_new_session=True)
    time.sleep(0.05)
    (node2 / "haclusterd.pid").write_text(f"{proc.pid}\n")
    (tmp_path / "node1" / "haclusterd.pid").write_text("1\n")  # not a haclusterd: never killed
    yield tmp_path, proc
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # the group this fixture started
    proc.wait()


def fence(fencer: Fencer, request: FenceRequest) -> FenceResult:
    async def scenario() -> FenceResult:
        dones: asyncio.Queue[AgentDone] = asyncio.Queue()
        runner = AgentRunner(dones.put_nowait, "/nonexistent")
        pending: list[Any] = fencer.step(0, request)
        while True:
            for out in pending:
                if isinstance(out, FenceResult):
                    return out
                assert isinstance(out, RunAgent)
                runner.start(out)
            try:
                pending = fencer.step(1, await asyncio.wait_for(dones.get(), 10))
            except TimeoutError:
                pending = fencer.step(10**9, Tick())
    return asyncio.run(scenario())


def test_fencing_a_node_kills_its_daemon_and_wipes_its_agent_state(
        machines: tuple[Path, subprocess.Popen[bytes]]) -> None:
    root, proc = machines
    device = FenceDevice("fence-test", "fence_hacluster", (("state_root", str(root)),),
                         host_list=("node2", "node3"))
    fencer = Fencer("node1", FencingConfig((device,)))
    result = fence(fencer, FenceRequest("node2", "reboot", "node1", "r1"))
    assert (result.ok, result.device) == (True, "fence-test"), result.reason
    assert proc.wait(5) == -9
    helper = int((root / "node2" / "helper.pid").read_text())
    assert not Path(f"/proc/{helper}").exists() or "Z" in Path(f"/proc/{helper}/stat").read_text(
    ).split()[2], "the daemon's forked helpers in its process group died with it"
    assert not (root / "node2" / "rsctmp").exists()
    again = fence(fencer, FenceRequest("node2", "off", "node1", "r2"))
    assert again.ok, "a machine that is off can be confirmed off"
    missing = fence(fencer, FenceRequest("node3", "reboot", "node1", "r3"))
    assert not missing.ok and "unknown plug" in missing.reason


def test_the_agent_lists_the_nodes_it_can_fence_for_a_dynamic_list_device(
        machines: tuple[Path, subprocess.Popen[bytes]]) -> None:
    root, proc = machines
    device = FenceDevice("fence-test", "fence_hacluster", (("state_root", str(root)),))
    fencer = Fencer("node3", FencingConfig((device,)))
    assert fence(fencer, FenceRequest("node2", "off", "node3", "a")).ok
    assert proc.wait(5) == -9
    refused = fence(fencer, FenceRequest("node9", "off", "node3", "b"))
    assert not refused.ok and "cannot fence node9" in refused.reason


def test_the_agent_status_and_plug_by_state_dir(
        machines: tuple[Path, subprocess.Popen[bytes]]) -> None:
    root, proc = machines
    agent = Path(__file__).resolve().parents[2] / "src/hacluster/agents/fence/fence_hacluster"
    status = subprocess.run([str(agent)], input=f"action=status\nport={root / 'node2'}\n",
                            text=True, capture_output=True)
    assert status.returncode == 0
    status = subprocess.run([str(agent), "-o", "status", "-n", "node1", "--state-root",
                             str(root)], capture_output=True)
    assert status.returncode == 2, "a pid that is not haclusterd counts as off"
    assert proc.poll() is None
