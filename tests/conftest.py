"""Shared fixtures: where ../shared lives, and skips for missing real tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from shared_paths import SHARED


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared folder not found at {SHARED}")
    return SHARED


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (make test installs it when run as root)")
    return path


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")


@pytest.fixture(scope="session")
def cib_schema_check():  # type: ignore[no-untyped-def]
    """A callable(xml_bytes, schema=None) asserting that a CIB passes the installed Pacemaker's
    RelaxNG schema (its own validate-with unless given) and the real `crm_verify -x`.
    Skips when the schemas or crm_verify are absent."""
    import subprocess
    import tempfile

    from lxml import etree

    schema_dir = Path("/usr/share/pacemaker")
    if not (schema_dir / "pacemaker-3.7.rng").is_file():
        pytest.skip("Pacemaker RelaxNG schemas not installed in /usr/share/pacemaker")
    crm_verify = require_tool("crm_verify")

    def check(xml: bytes, schema: str | None = None, verify: bool = True) -> None:
        tree = etree.fromstring(xml)
        name = schema or tree.get("validate-with", "pacemaker-3.7")
        rng = etree.RelaxNG(etree.parse(str(schema_dir / f"{name}.rng")))
        assert rng.validate(tree), f"{name}: {rng.error_log}"
        if not verify or (schema is not None and schema != tree.get("validate-with")):
            return
        with tempfile.NamedTemporaryFile(suffix=".xml") as handle:
            handle.write(xml)
            handle.flush()
            run = subprocess.run([crm_verify, "-x", handle.name], capture_output=True,
                                 text=True, timeout=60)
        assert run.returncode == 0, f"crm_verify rc={run.returncode}: {run.stderr}{run.stdout}"

    return check
