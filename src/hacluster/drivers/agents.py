"""Runs resource and fence agents for real: events.RunAgent in, events.AgentDone out.

Owns finding an agent ("ocf:<provider>:<type>" under several OCF roots, hacluster's own
first; "lsb:<name>" in /etc/init.d; "stonith:<name>" among hacluster's fence agents, then
on PATH), running `<agent> <action>` with no shell in its own process group with the given
environment (and stdin for fence agents), killing the whole group on timeout (SIGTERM, then
SIGKILL after a grace period), and keeping the tail of its output. Must never interpret an
agent's result: the rc goes back to the core as data (Pacemaker Explained "OCF Return Codes").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hacluster import events

log = logging.getLogger(__name__)

SYSTEM_OCF_ROOT = "/usr/lib/ocf"
SHIPPED_AGENTS = str(Path(__file__).resolve().parent.parent / "agents")
LSB_DIRS = ("/etc/init.d",)
STONITH_DIRS = (os.path.join(SHIPPED_AGENTS, "fence"), "/usr/sbin", "/usr/local/sbin")
OUTPUT_TAIL_BYTES = 4096
KILL_GRACE_MS = 1000
DRAIN_GRACE_MS = 200  # a background child of the agent may hold its stdout open
OCF_ERR_GENERIC = 1
OCF_ERR_INSTALLED = 5
BASE_ENV_KEYS = ("PATH", "LANG", "LC_ALL", "TMPDIR", "HOME")
# Where our own tools (attrd_updater, crm_mon...) live: next to the interpreter running us.
TOOLS_DIR = os.path.dirname(sys.executable)


def default_ocf_roots(environ: Mapping[str, str]) -> tuple[str, ...]:
    """$OCF_ROOT when set, then hacluster's shipped agents, then the system root."""
    roots = [environ["OCF_ROOT"]] if environ.get("OCF_ROOT") else []
    roots += [SHIPPED_AGENTS, SYSTEM_OCF_ROOT]
    return tuple(dict.fromkeys(roots))


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _is_name(part: str) -> bool:
    return bool(part) and "/" not in part and part not in (".", "..") and "\0" not in part


def resolve_agent(agent: str, ocf_roots: str | Sequence[str],
                  lsb_dirs: Sequence[str] = LSB_DIRS,
                  stonith_dirs: Sequence[str] = STONITH_DIRS) -> tuple[str, str] | None:
    """(executable, OCF root it was found under or "") for `agent`, or None when it
    is not installed. Names never escape their directory."""
    roots = (ocf_roots,) if isinstance(ocf_roots, str) else tuple(ocf_roots)
    kind, _, rest = agent.partition(":")
    if agent.startswith("/"):
        return (agent, roots[0] if roots else "") if _is_executable(agent) else None
    if kind == "ocf":
        provider, _, agent_type = rest.partition(":")
        if not (_is_name(provider) and _is_name(agent_type)):
            return None
        for root in roots:
            path = os.path.join(root, "resource.d", provider, agent_type)
            if _is_executable(path):
                return path, root
        return None
    if kind in ("lsb", "stonith") and _is_name(rest):
        dirs = list(lsb_dirs) if kind == "lsb" else list(stonith_dirs)
        for directory in dirs:
            path = os.path.join(directory, rest)
            if _is_executable(path):
                return path, ""
        found = shutil.which(rest) if kind == "stonith" else None
        return (found, "") if found else None
    return None


def functions_root(root: str, ocf_roots: Sequence[str]) -> str:
    """Where an agent found under `root` gets ocf-shellfuncs: its own root when it has
    them, else the first root that does (hacluster's agents use the system's)."""
    for candidate in [root, *ocf_roots]:
        if candidate and os.path.isdir(os.path.join(candidate, "lib", "heartbeat")):
            return candidate
    return root


def tools_environment(state_dir: str, tools_dir: str = TOOLS_DIR) -> dict[str, str]:
    """What agents need to reach this node's daemon with our tools: ping's `attrd_updater`
    must be hacluster's (first on PATH, and $HACLUSTER_ATTRD_UPDATER for our agents), talking
    to this node ($HACLUSTER_STATE_DIR), not Pacemaker's."""
    env = {"HACLUSTER_STATE_DIR": state_dir} if state_dir else {}
    updater = os.path.join(tools_dir, "attrd_updater")
    if _is_executable(updater):
        env["HACLUSTER_ATTRD_UPDATER"] = updater
        env["HACLUSTER_TOOLS_DIR"] = tools_dir
    return env


def agent_environment(run: events.RunAgent, ocf_root: str, inherited: Mapping[str, str],
                      ocf_roots: Sequence[str] = (),
                      tools: Mapping[str, str] | None = None) -> dict[str, str]:
    """A small base (PATH, locale, OCF_ROOT, our tools) plus the core's variables, which win."""
    env = {k: inherited[k] for k in BASE_ENV_KEYS if k in inherited}
    env.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    if tools:
        env.update(tools)
        if tools.get("HACLUSTER_TOOLS_DIR"):
            env["PATH"] = f"{tools['HACLUSTER_TOOLS_DIR']}:{env['PATH']}"
    env["OCF_ROOT"] = ocf_root
    shared = functions_root(ocf_root, ocf_roots) if ocf_roots else ocf_root
    if shared != ocf_root:
        env["OCF_FUNCTIONS_DIR"] = os.path.join(shared, "lib", "heartbeat")
    env.update(dict(run.env))
    return env


class AgentRunner:
    """Runs each RunAgent as a task; reports every outcome through `on_done`."""

    def __init__(self, on_done: Callable[[events.AgentDone], None],
                 ocf_root: str | Sequence[str] | None = None, *,
                 lsb_dirs: Sequence[str] = LSB_DIRS,
                 stonith_dirs: Sequence[str] = STONITH_DIRS, state_dir: str = "") -> None:
        self._on_done = on_done
        self.tools = tools_environment(state_dir)
        if ocf_root is None:
            self.ocf_roots = default_ocf_roots(os.environ)
        else:
            self.ocf_roots = (ocf_root,) if isinstance(ocf_root, str) else tuple(ocf_root)
        self.lsb_dirs = tuple(lsb_dirs)
        self.stonith_dirs = tuple(stonith_dirs)
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def ocf_root(self) -> str:
        return self.ocf_roots[0]

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
        found = resolve_agent(run.agent, self.ocf_roots, self.lsb_dirs, self.stonith_dirs)
        if found is None:
            self._report(run, OCF_ERR_INSTALLED, "not installed",
                         f"agent {run.agent} is not installed")
            return
        path, root = found
        env = agent_environment(run, root or self.ocf_root, os.environ, self.ocf_roots,
                                self.tools)
        rsctmp = env.get("HA_RSCTMP")
        try:
            if rsctmp:
                os.makedirs(rsctmp, exist_ok=True)
            # Fence agents take everything on stdin, like Pacemaker runs them: no argv.
            argv = [path] if run.agent.startswith("stonith:") else [path, run.action]
            proc = await asyncio.create_subprocess_exec(
                *argv, env=env,
                stdin=asyncio.subprocess.PIPE if run.stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True)
        except OSError as error:
            self._report(run, OCF_ERR_GENERIC, "error",
                         f"cannot execute {path}: {error.strerror or error}")
            return
        try:
            output, status = await self._collect(proc, run)
        except asyncio.CancelledError:
            await _kill_group(proc)
            raise
        text = output[-OUTPUT_TAIL_BYTES:].decode("utf-8", "replace")
        returncode = proc.returncode if proc.returncode is not None else -signal.SIGKILL
        if status == "timeout":
            self._report(run, OCF_ERR_GENERIC, "timeout",
                         text + f"\n{run.action} timed out after {run.timeout_ms}ms; "
                         "process group killed")
        elif returncode < 0:
            name = signal.Signals(-returncode).name if -returncode in _SIGNALS else returncode
            self._report(run, OCF_ERR_GENERIC, "signal", text + f"\nagent killed by {name}")
        else:
            self._report(run, returncode, "done", text)

    def _report(self, run: events.RunAgent, rc: int, status: str, output: str) -> None:
        log.debug("agent finished call=%d agent=%s action=%s rc=%d status=%s",
                  run.call_id, run.agent, run.action, rc, status)
        self._on_done(events.AgentDone(run.call_id, rc, status, output))

    async def _collect(self, proc: asyncio.subprocess.Process,
                       run: events.RunAgent) -> tuple[bytes, str]:
        assert proc.stdout is not None
        chunks: list[bytes] = []
        reader = asyncio.ensure_future(_read_tail(proc.stdout, chunks))
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.write(run.stdin.encode())
                await proc.stdin.drain()
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), run.timeout_ms / 1000)
            status = "done"
        except TimeoutError:
            await _kill_group(proc)
            status = "timeout"
        try:
            await asyncio.wait_for(asyncio.shield(reader), DRAIN_GRACE_MS / 1000)
        except TimeoutError:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        return b"".join(chunks), status


_SIGNALS = frozenset(s.value for s in signal.Signals)


async def _read_tail(stream: asyncio.StreamReader, chunks: list[bytes]) -> None:
    """Read until EOF, keeping about the last OUTPUT_TAIL_BYTES."""
    size = 0
    while chunk := await stream.read(65536):
        chunks.append(chunk)
        size += len(chunk)
        while size - len(chunks[0]) >= OUTPUT_TAIL_BYTES:
            size -= len(chunks.pop(0))


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
