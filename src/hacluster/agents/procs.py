"""Processes for agents: pid files, liveness, command-line matching, detached launch, stop.

Owns the process handling every daemon-managing agent shares (SPEC.md §6: pid-file and
process-scan monitors, TERM-then-KILL stops). Reads /proc directly rather than parsing ps or
pgrep output. Must never signal a process it did not identify through a pid file or a
match on user and command line, and never signal itself or its parent. Stdlib only.
"""

from __future__ import annotations

import grp
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

EMPTY = -1  # read_pid: the file exists but holds no pid


def read_pid(path: str) -> int | None:
    """The pid in `path`; None when there is no such file; EMPTY when it holds no number."""
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return EMPTY
    first = text.split()[0] if text else ""
    return int(first) if first.isdigit() and int(first) > 0 else EMPTY


def write_pid(path: str, pid: int) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    Path(tmp).write_text(f"{pid}\n", encoding="ascii")
    os.replace(tmp, path)


def remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def is_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    if pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def process_uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def own_lineage() -> set[int]:
    """This process and its ancestors: never matched, never signalled."""
    pids, pid = set(), os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[-1].split()[2])
    return pids


def is_python(argv: Sequence[str]) -> bool:
    return bool(argv) and os.path.basename(argv[0]).startswith("python")


def find_processes(pattern: str, user: str | None = None, python_only: bool = False) -> list[int]:
    """Live pids whose command line contains `pattern` (as `pgrep -f`), optionally owned by
    `user` and run by a Python interpreter; sorted, without this process's lineage."""
    uid = pwd.getpwnam(user).pw_uid if user else None
    mine = own_lineage()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        pid = int(entry.name)
        argv = cmdline(pid)
        if not argv or pattern not in " ".join(argv):
            continue
        if (uid is not None and process_uid(pid) != uid) or (python_only and not is_python(argv)):
            continue
        if is_alive(pid):
            found.append(pid)
    return sorted(found)


def uid_of(user: str) -> int:
    return pwd.getpwnam(user).pw_uid


def gid_of(group: str) -> int:
    return grp.getgrnam(group).gr_gid


def user_exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


@dataclass(frozen=True)
class Launch:
    argv: tuple[str, ...]
    log_path: str
    user: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    cwd: str = "/"


def launch_detached(launch: Launch) -> int:
    """Start `argv` in a new session (it outlives the agent), as `user` when given, with
    stdout/stderr appended to `log_path`; returns its pid."""
    Path(launch.log_path).parent.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", **dict(launch.env)}
    switch = launch.user if launch.user and os.geteuid() == 0 else None
    if switch:
        env["HOME"] = pwd.getpwnam(switch).pw_dir
    with open(launch.log_path, "ab") as log:
        process = subprocess.Popen(
            list(launch.argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env, cwd=launch.cwd, user=switch,
            group=pwd.getpwnam(switch).pw_gid if switch else None,
            extra_groups=[] if switch else None)
    return process.pid


def signal_pid(pid: int, sig: int, group: bool = False) -> bool:
    """Send `sig`; False when the process is already gone."""
    assert pid not in own_lineage(), "an agent never signals itself or its parent"
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pids: Sequence[int], timeout_s: float, interval_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while any(is_alive(pid) for pid in pids):
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)
    return True


def terminate(pids: Sequence[int], grace_s: float, group: bool = False) -> bool:
    """TERM every pid, wait up to `grace_s`, then KILL what is left (and its process group
    when `group`); True once all are gone."""
    for pid in pids:
        signal_pid(pid, signal.SIGTERM)
    if wait_gone(pids, grace_s):
        return True
    for pid in pids:
        if is_alive(pid):
            signal_pid(pid, signal.SIGKILL, group=group)
            signal_pid(pid, signal.SIGKILL)
    return wait_gone(pids, 5.0)
