"""Runs resource and fence agents for real: events.RunAgent in, events.AgentDone out.

Owns resolving an agent name (an absolute path, "ocf:<provider>:<type>" under OCF_ROOT's
resource.d, or "stonith:<name>" on PATH), running `<agent> <action>` in its own process
group with the given environment, enforcing the timeout (SIGTERM, then SIGKILL after a
grace period), and keeping the tail of its output. Must never interpret an agent's result:
the rc goes back to the core as data (OCF rc numbers, Pacemaker Explained "OCF Return Codes").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
from collections.abc import Callable, Mapping

from hacluster import events

log = logging.getLogger(__name__)

DEFAULT_OCF_ROOT = "/usr/lib/ocf"
OUTPUT_TAIL_BYTES = 4096
KILL_GRACE_MS = 1000
OCF_ERR_GENERIC = 1
OCF_ERR_INSTALLED = 5
BASE_ENV_KEYS = ("PATH", "LANG", "LC_ALL", "TMPDIR", "HOME")


def resolve_agent(agent: str, ocf_root: str) -> str | None:
    """The executable for `agent`, or None when it is not installed."""
    if agent.startswith("/"):
        path: str | None = agent
    elif agent.startswith("ocf:"):
        parts = agent.split(":")
        if len(parts) != 3 or not all(parts[1:]) or "/" in agent:
            return None
        path = os.path.join(ocf_root, "resource.d", parts[1], parts[2])
    elif agent.startswith("stonith:"):
        path = shutil.which(agent.split(":", 1)[1])
    else:
        return None
    if path is None or not os.path.isfile(path) or not os.access(path, os.X_OK):
        return None
    return path


def agent_environment(run: events.RunAgent, ocf_root: str,
                      inherited: Mapping[str, str]) -> dict[str, str]:
    """A small base (PATH, locale, OCF_ROOT) plus the core's variables, which win."""
    env = {k: inherited[k] for k in BASE_ENV_KEYS if k in inherited}
    env.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    env["OCF_ROOT"] = ocf_root
    env.update(dict(run.env))
    return env


class AgentRunner:
    """Runs each RunAgent as a task; reports every outcome through `on_done`."""

    def __init__(self, on_done: Callable[[events.AgentDone], None],
                 ocf_root: str | None = None) -> None:
        self._on_done = on_done
        self.ocf_root = ocf_root or os.environ.get("OCF_ROOT") or DEFAULT_OCF_ROOT
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def running(self) -> int:
        return len(self._tasks)

    def start(self, run: events.RunAgent) -> None:
        assert run.call_id not in self._tasks, f"call {run.call_id} is already running"
        task = asyncio.get_running_loop().create_task(self._run(run))
        self._tasks[run.call_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(run.call_id, None))

    async def stop(self) -> None:
        """Shutdown: cancel every run (their process groups are killed)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, run: events.RunAgent) -> None:
        path = resolve_agent(run.agent, self.ocf_root)
        if path is None:
            self._on_done(events.AgentDone(run.call_id, OCF_ERR_INSTALLED, "not installed",
                                           f"agent {run.agent} not found"))
            return
        env = agent_environment(run, self.ocf_root, os.environ)
        proc = await asyncio.create_subprocess_exec(
            path, run.action, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)
        try:
            output, status = await self._collect(proc, run.timeout_ms)
        except asyncio.CancelledError:
            await _kill_group(proc)
            raise
        rc = OCF_ERR_GENERIC if status != "done" else (proc.returncode or 0)
        text = output[-OUTPUT_TAIL_BYTES:].decode("utf-8", "replace")
        log.debug("agent finished call=%d agent=%s action=%s rc=%d status=%s",
                  run.call_id, run.agent, run.action, rc, status)
        self._on_done(events.AgentDone(run.call_id, rc, status, text))

    async def _collect(self, proc: asyncio.subprocess.Process,
                       timeout_ms: int) -> tuple[bytes, str]:
        assert proc.stdout is not None
        try:
            output = await asyncio.wait_for(proc.stdout.read(), timeout_ms / 1000)
            await asyncio.wait_for(proc.wait(), timeout_ms / 1000)
            return output, "done"
        except TimeoutError:
            await _kill_group(proc)
            return b"", "timeout"


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the agent's process group, SIGKILL it after the grace period."""
    for sig, wait_ms in ((signal.SIGTERM, KILL_GRACE_MS), (signal.SIGKILL, KILL_GRACE_MS)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            await asyncio.wait_for(proc.wait(), wait_ms / 1000)
            return
        except TimeoutError:
            continue
