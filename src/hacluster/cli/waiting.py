"""Polling until the cluster settles, for `crm_resource --wait` and `--restart`.

Owns the clock and the sleep between polls (the api only answers "would the scheduler do
anything now?"), the timeout (Pacemaker's duration syntax: "60", "60s", "5min") and the
progress line. Must never decide what "settled" means: hacluster.api.wait does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hacluster.api import env as api_env
from hacluster.api import move, wait
from hacluster.common import Code, HaError, parse_duration_ms

POLL_S = 0.5
DEFAULT_TIMEOUT_S = 60.0

def timeout_seconds(text: str) -> float:
    """A --timeout value as Pacemaker's tools read it (common.parse_duration_ms)."""
    if not text:
        return DEFAULT_TIMEOUT_S
    ms = parse_duration_ms(text)
    if ms is None:
        raise HaError.single(Code.TOOL_BAD_VALUE, f"Invalid timeout '{text}'", timeout=text)
    return ms / 1000


def wait_for_settle(env: api_env.CIBEnvironment, timeout: str,
                    progress: Callable[[str], None]) -> bool:
    """Poll until the scheduler has nothing left to do; False on timeout. A CIB file never
    changes by itself, so there is nothing to wait for (the real tool returns at once too)."""
    deadline = time.monotonic() + timeout_seconds(timeout)
    if isinstance(env, api_env.CibFile):
        return True
    last = ""
    while True:
        state = wait.pending(env, int(time.time()))
        if state.is_settled:
            return True
        line = f"Waiting for {len(state.actions)} pending actions: {state.actions[0]} ..."
        if line != last:
            progress(line)
            last = line
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)


def restart(env: api_env.CIBEnvironment, rid: str, now_s: int, timeout: str,
            progress: Callable[[str], None]) -> None:
    """Stop the resource, wait, put its target-role back, wait."""
    if not move.locate(env, rid, now_s):
        raise HaError.single(Code.RSC_NOT_FOUND,
                             f"{rid} is not running anywhere and so cannot be restarted")
    previous = wait.target_role(env, rid)
    wait.set_target_role(env, rid, "Stopped")
    stopped = wait_for_settle(env, timeout, progress)
    wait.set_target_role(env, rid, previous)
    if not stopped or not wait_for_settle(env, timeout, progress):
        raise HaError.single(Code.TOOL_TIMEOUT, f"timed out waiting for {rid} to restart")
