#!/usr/bin/python3
"""A stand-in for an OpenStack daemon (heat-engine, neutron-*-agent...) in tests and the demo.

The OpenStack services of 2015 are not in Debian, so SPEC.md §7's stand-in takes their
place: installed under the binary's name (a symlink), it accepts `--config-file` (repeated),
`--log-file` and any other flag, prints a heartbeat, and exits 0 on SIGTERM. Two switches
in its first config file make the agent's harder paths testable: `standin_ignore_sigterm =
true` (only SIGKILL stops it) and `standin_exit_after_s = N` (it dies by itself, as a crash
would); SIGUSR1 makes it exit 1 at once. Must never open a socket or write outside stdout.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType

# Pacemaker's true words: this file runs as a bare script (run_path), so it cannot import
# hacluster.agents.ocf; tests/unit/test_agent_words.py pins this copy to it.
TRUE_WORDS = frozenset({"true", "on", "yes", "y", "1"})

LAUNCHER = """#!/usr/bin/python3 -I
# The stand-in for {name} (hacluster.agents.standin_daemon), not the real OpenStack service.
import runpy
import sys

sys.argv[0] = __file__
runpy.run_path({module!r}, run_name="__main__")
"""


def install(bindir: Path, name: str) -> Path:
    """Write an executable `bindir/name` that runs this stand-in; its command line then reads
    `/usr/bin/python3 -I <bindir>/<name> ...`, as a Python OpenStack daemon's would."""
    bindir.mkdir(parents=True, exist_ok=True)
    path = bindir / name
    path.write_text(LAUNCHER.format(name=name, module=str(Path(__file__).resolve())))
    path.chmod(0o755)
    return path


def read_switches(argv: list[str]) -> dict[str, str]:
    """`key = value` lines of the first --config-file (missing or unreadable: none)."""
    if "--config-file" not in argv or argv.index("--config-file") + 1 >= len(argv):
        return {}
    try:
        with open(argv[argv.index("--config-file") + 1], encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def leave(code: int) -> None:
    sys.stdout.write(f"standin: exiting with {code}\n")
    sys.stdout.flush()
    sys.exit(code)


def main(argv: list[str]) -> int:
    switches = read_switches(argv)
    ignore_term = switches.get("standin_ignore_sigterm", "").strip().lower() in TRUE_WORDS

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        if ignore_term:
            sys.stdout.write("standin: SIGTERM ignored\n")
            sys.stdout.flush()
            return
        leave(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, lambda _s, _f: leave(1))
    exit_after_s = float(switches.get("standin_exit_after_s", "0") or 0)
    started = time.monotonic()
    sys.stdout.write(f"standin: running as {' '.join(argv)}\n")
    sys.stdout.flush()
    while not exit_after_s or time.monotonic() - started < exit_after_s:
        time.sleep(0.5 if not exit_after_s else 0.05)
    leave(1)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
