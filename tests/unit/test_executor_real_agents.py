"""The executor core driven by the real agent runner: Debian's Dummy and IPaddr2, per-node
HA_RSCTMP, and every kind of broken agent (hang, crash, garbage, unknown rc, missing)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hacluster.drivers.agents import SYSTEM_OCF_ROOT, AgentRunner
from hacluster.events import AgentDone, CancelOp, ExecuteOp, OpRequest, OpResult, RunAgent, Tick
from hacluster.executor import Executor, OpStatus, parse_metadata

HEARTBEAT = Path(SYSTEM_OCF_ROOT) / "resource.d" / "heartbeat"
needs_dummy = pytest.mark.skipif(not (HEARTBEAT / "Dummy").exists(),
                                 reason="Debian resource-agents (ocf:heartbeat:Dummy) missing")


class Live:
    """One node's executor with a real AgentRunner, on real monotonic time."""

    def __init__(self, node: str, state_dir: Path, roots: tuple[str, ...], **runner_kw: object):
        self.executor = Executor(node, str(state_dir / "rsctmp"), timeout_grace_ms=500)
        self.roots = roots
        self.runner_kw = runner_kw
        self.results: list[OpResult] = []
        self.dones: asyncio.Queue[AgentDone] = asyncio.Queue()

    def feed(self, event: object) -> None:
        now_ms = int(time.monotonic() * 1000)
        for out in self.executor.step(now_ms, event):  # type: ignore[arg-type]
            if isinstance(out, RunAgent):
                self.runner.start(out)
            else:
                self.results.append(out)

    async def until(self, done: Callable[[list[OpResult]], bool], timeout_s: float = 30) -> None:
        give_up = time.monotonic() + timeout_s
        while not done(self.results):
            assert time.monotonic() < give_up, f"no result in time: {self.results}"
            deadline = self.executor.next_deadline_ms()
            wait_s = 0.5 if deadline is None else max(0.0, deadline / 1000 - time.monotonic())
            try:
                self.feed(await asyncio.wait_for(self.dones.get(), min(wait_s, 0.5)))
            except TimeoutError:
                self.feed(Tick())

    async def run(self, request: OpRequest) -> OpResult:
        count = len(self.results)
        self.feed(ExecuteOp(request))
        await self.until(lambda rs: len(rs) > count)
        return self.results[-1]

    def __enter__(self) -> Live:
        self.runner = AgentRunner(self.dones.put_nowait, self.roots, **self.runner_kw)  # type: ignore[arg-type]
        return self

    def __exit__(self, *_: object) -> None:
        pass


def arun(scenario: Callable[[], object]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 60))  # type: ignore[arg-type]


def dummy(action: str, interval_ms: int = 0, rsc: str = "d1") -> OpRequest:
    return OpRequest(rsc, "ocf", "heartbeat", "Dummy", action, interval_ms, 20_000)


@needs_dummy
def test_a_dummy_started_on_node1_is_not_running_on_node2(tmp_path: Path) -> None:
    async def scenario() -> None:
        with Live("node1", tmp_path / "node1", (SYSTEM_OCF_ROOT,)) as n1, \
                Live("node2", tmp_path / "node2", (SYSTEM_OCF_ROOT,)) as n2:
            assert (await n1.run(dummy("monitor"))).rc == 7, "probe before start"
            assert (await n1.run(dummy("start"))).rc == 0
            assert (await n1.run(dummy("monitor"))).rc == 0
            probe = await n2.run(dummy("monitor"))
            assert (probe.rc, probe.op_status) == (7, OpStatus.DONE)
            assert (tmp_path / "node1" / "rsctmp" / "Dummy-d1.state").exists()
            assert not (tmp_path / "node2" / "rsctmp" / "Dummy-d1.state").exists()
            assert (await n1.run(dummy("stop"))).rc == 0
            assert (await n1.run(dummy("monitor"))).rc == 7
    arun(scenario)


@needs_dummy
def test_a_recurring_monitor_reports_when_the_dummy_disappears(tmp_path: Path) -> None:
    async def scenario() -> None:
        with Live("node1", tmp_path, (SYSTEM_OCF_ROOT,)) as n1:
            await n1.run(dummy("start"))
            first = await n1.run(dummy("monitor", 300))
            assert (first.rc, first.op.interval_ms) == (0, 300)
            await asyncio.sleep(0.7)
            n1.feed(Tick())
            assert n1.results[-1] is first, "unchanged results are not reported"
            (tmp_path / "rsctmp" / "Dummy-d1.state").unlink()
            await n1.until(lambda rs: rs[-1].rc == 7, timeout_s=10)
            assert n1.results[-1].call_id == first.call_id
            n1.feed(CancelOp("d1", "monitor", 300))
            assert n1.results[-1].op_status == OpStatus.CANCELLED
            assert n1.executor.next_deadline_ms() is None
    arun(scenario)


@needs_dummy
def test_the_real_dummy_meta_data_parses() -> None:
    async def scenario() -> None:
        with Live("node1", Path("/nonexistent"), (SYSTEM_OCF_ROOT,)) as n1:
            result = await n1.run(dummy("meta-data"))
            meta = parse_metadata(result.output)
            assert meta.name == "Dummy"
            assert {"state", "fake"} <= {p.name for p in meta.parameters}
            assert meta.has_action("monitor")
    arun(scenario)


VIP = "127.0.0.231"


@pytest.fixture
def loopback_vip() -> Iterator[str]:
    if os.geteuid() != 0 or not shutil.which("ip") or not (HEARTBEAT / "IPaddr2").exists():
        pytest.skip("IPaddr2 needs root, iproute2 and Debian resource-agents")
    yield VIP
    subprocess.run(["ip", "addr", "del", f"{VIP}/8", "dev", "lo"], capture_output=True)


def has_address(ip: str) -> bool:
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "lo"], capture_output=True,
                         text=True).stdout
    return f" {ip}/" in out


def test_ipaddr2_adds_monitors_and_removes_a_loopback_address(
        tmp_path: Path, loopback_vip: str) -> None:
    params = (("ip", loopback_vip), ("cidr_netmask", "8"), ("nic", "lo"))

    def vip(action: str) -> OpRequest:
        return OpRequest("vip", "ocf", "heartbeat", "IPaddr2", action, 0, 20_000, params)

    async def scenario() -> None:
        with Live("node1", tmp_path, (SYSTEM_OCF_ROOT,)) as n1:
            assert (await n1.run(vip("monitor"))).rc == 7
            started = await n1.run(vip("start"))
            assert (started.rc, started.op_status) == (0, 0), started.output
            assert has_address(loopback_vip)
            assert (await n1.run(vip("monitor"))).rc == 0
            assert (await n1.run(vip("stop"))).rc == 0
            assert not has_address(loopback_vip)
            broken = await n1.run(OpRequest("vip2", "ocf", "heartbeat", "IPaddr2", "start", 0,
                                            20_000, (("ip", "not-an-ip"), ("nic", "lo"))))
            assert broken.rc != 0 and broken.exit_reason, broken
    arun(scenario)


BROKEN = {
    "Hang": "#!/bin/sh\nsleep 30 & echo $! > \"$OCF_RESKEY_pidfile\"\nwait\n",
    "Crash": "#!/bin/sh\necho dying\nkill -SEGV $$\n",
    "Weird": "#!/bin/sh\necho '\\377\\000 nonsense'\nexit 42\n",
    "Reason": "#!/bin/sh\n: ${OCF_FUNCTIONS_DIR=${OCF_ROOT}/lib/heartbeat}\n"
              ". ${OCF_FUNCTIONS_DIR}/ocf-shellfuncs\n"
              "ocf_exit_reason \"no frobnicator on $(hostname)\"\nexit $OCF_ERR_CONFIGURED\n",
}


@pytest.fixture
def broken_root(tmp_path: Path) -> Path:
    root = tmp_path / "ocf"
    provider = root / "resource.d" / "test"
    provider.mkdir(parents=True)
    for name, text in BROKEN.items():
        (provider / name).write_text(text)
        (provider / name).chmod(0o755)
    (provider / "Garbage").write_bytes(b"\x7fELF\x00\x01garbage" * 8)
    (provider / "Garbage").chmod(0o755)
    return root


def broken(name: str, **kw: object) -> OpRequest:
    return OpRequest("x", "ocf", "test", name, "start", 0, int(kw.get("timeout_ms", 5_000)),  # type: ignore[call-overload]
                     tuple((k, str(v)) for k, v in kw.items() if k != "timeout_ms"))


@needs_dummy
def test_every_broken_agent_gives_a_recorded_failure_with_a_reason(
        tmp_path: Path, broken_root: Path) -> None:
    pidfile = tmp_path / "child.pid"

    async def scenario() -> None:
        with Live("node1", tmp_path, (str(broken_root), SYSTEM_OCF_ROOT)) as n1:
            started = time.monotonic()
            hung = await n1.run(broken("Hang", pidfile=pidfile, timeout_ms=300))
            assert (hung.rc, hung.op_status) == (1, OpStatus.TIMEOUT)
            assert hung.exit_reason == "start timed out after 300ms"
            assert time.monotonic() - started < 5
            child = int(pidfile.read_text())
            crash = await n1.run(broken("Crash"))
            assert (crash.op_status, crash.exit_reason) == (OpStatus.ERROR, "agent killed by SIGSEGV")
            weird = await n1.run(broken("Weird"))
            assert (weird.rc, weird.op_status, weird.exit_reason) == (
                1, OpStatus.ERROR, "unknown exit code 42")
            garbage = await n1.run(broken("Garbage"))
            assert garbage.op_status == OpStatus.ERROR
            assert garbage.exit_reason.startswith("cannot execute ")
            missing = await n1.run(broken("Missing"))
            assert (missing.rc, missing.op_status) == (5, OpStatus.NOT_INSTALLED)
            assert missing.exit_reason == "agent ocf:test:Missing is not installed"
            reason = await n1.run(broken("Reason"))
            assert (reason.rc, reason.op_status) == (6, OpStatus.DONE)
            assert reason.exit_reason.startswith("no frobnicator on "), reason.output
            for _ in range(100):
                if not Path(f"/proc/{child}").exists():
                    break
                await asyncio.sleep(0.02)
            assert not Path(f"/proc/{child}").exists(), "the hung agent's child survived"
    arun(scenario)


def test_an_lsb_script_is_run_with_status_for_a_monitor(tmp_path: Path) -> None:
    script = tmp_path / "svc"
    script.write_text("#!/bin/sh\necho \"$1\" >> \"$0.log\"\n[ \"$1\" = status ] && exit 3\n"
                      "exit 0\n")
    script.chmod(0o755)

    async def scenario() -> None:
        with Live("node1", tmp_path, (SYSTEM_OCF_ROOT,), lsb_dirs=(str(tmp_path),)) as n1:
            monitor = await n1.run(OpRequest("svc", "lsb", "", "svc", "monitor"))
            assert (monitor.rc, monitor.op_status) == (7, 0)
            assert (await n1.run(OpRequest("svc", "lsb", "", "svc", "start"))).rc == 0
    arun(scenario)
    assert (tmp_path / "svc.log").read_text() == "status\nstart\n"


def test_a_fence_agent_reads_its_parameters_on_stdin(tmp_path: Path) -> None:
    agent = tmp_path / "fence_echo"
    agent.write_text("#!/bin/sh\ncat > \"$0.stdin\"\nexit 0\n")
    agent.chmod(0o755)

    async def scenario() -> None:
        with Live("node1", tmp_path, (SYSTEM_OCF_ROOT,), stonith_dirs=(str(tmp_path),)) as n1:
            request = OpRequest("f1", "stonith", "", "fence_echo", "start",
                                params=(("ipaddr", "127.0.0.1"), ("pcmk_host_list", "n2")))
            assert (await n1.run(request)).rc == 0
    arun(scenario)
    assert (tmp_path / "fence_echo.stdin").read_text() == "action=monitor\nipaddr=127.0.0.1\n"
