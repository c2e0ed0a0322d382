"""Fixtures for the agent tests: a world-readable stand-in dir, test namespaces (agentkit)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from agentkit import lan, site  # noqa: F401 - fixtures, re-exported for the test modules


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A temp dir every user can read: stand-in daemons run as `nobody` when we are root."""
    path = Path(tempfile.mkdtemp(prefix="hct-agents-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def service_user() -> str:
    return "nobody" if os.geteuid() == 0 else os.environ.get("USER") or "root"
