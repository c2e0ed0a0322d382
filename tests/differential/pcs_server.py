"""The real pcs, imported once and forked per command (run by the system python3 -Es).

Owns nothing but speed: importing pcs 0.11 costs ~3 s of wall time on this machine, the
command itself ~0.5 s, so a long differential run forks this already-imported interpreter
for each command instead of starting /usr/sbin/pcs. The child is the real pcs main() with
its own argv, environment and stdout/stderr files; what it does is exactly what `pcs` does.

Protocol (one JSON object per line): in {"argv": [...], "env": {...}}, out {"rc": N,
"out": "...", "err": "..."}. Standard library only: this file must run outside our venv.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile


def run_one(main, argv: list[str], env: dict[str, str]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # the child: becomes `pcs ARGV`
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            os.environ.clear()
            os.environ.update(env)
            sys.argv = ["pcs", *argv]
            code = 0
            try:
                main()
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None
                                                                      else 1)
            except BaseException:  # noqa: BLE001 - report a crash as the tool would
                import traceback
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return {"rc": os.waitstatus_to_exitcode(status),
                "out": out.read().decode(errors="replace"),
                "err": err.read().decode(errors="replace")}


def serve() -> None:
    from pcs.entry_points.cli import main  # the installed pcs, imported once

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(run_one(main, request["argv"], request["env"])), flush=True)


if __name__ == "__main__":
    serve()
