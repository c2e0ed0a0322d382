"""Running the real Pacemaker/pcs tools next to ours on copies of one CIB file.

Owns finding the real tools (only under the system paths, never our venv's entry points),
running ours in-process, and normalising what may legitimately differ: attribute order,
whitespace, and the timestamps of lifetimes (end="...") that each tool takes from its own
clock.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from lxml import etree

SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
_END = re.compile(r'end="[^"]*"')


def real_tool(name: str) -> str:
    path = shutil.which(name, path=SYSTEM_PATH)
    if path is None:
        pytest.skip(f"the real {name} is not installed")
    return path


def configuration(path: Path) -> str:
    """The configuration section as canonical XML, with lifetimes' end dates blanked."""
    root = etree.parse(str(path), etree.XMLParser(remove_blank_text=True)).getroot()
    found = root.find("configuration")
    assert found is not None
    text = etree.tostring(found, method="c14n").decode()
    return _END.sub('end="*"', text)


def run_real(argv: Sequence[str], cib: Path) -> tuple[int, str, str]:
    env = dict(os.environ, CIB_file=str(cib), PATH=SYSTEM_PATH, LC_ALL="C")
    done = subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    return done.returncode, done.stdout, done.stderr


def run_ours(main: Callable[[list[str]], int], argv: Sequence[str], cib: Path,
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """Our tool's main() in this process (much faster than a new interpreter)."""
    monkeypatch.setenv("CIB_file", str(cib))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as stop:
            status = int(stop.code or 0) if not isinstance(stop.code, str) else 1
    return status, out.getvalue(), err.getvalue()


_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ")


def without_stamps(text: str) -> str:
    """Lifetime ends ("2026-12-07 10:52:46Z") blanked: each tool reads its own clock."""
    return _STAMP.sub("*", text)


def first_words(text: str, count: int = 3) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return " ".join(lines[0].split()[:count]) if lines else ""
