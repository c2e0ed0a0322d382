"""Every write is checked against the CIB's validate-with RelaxNG schema: a change that does
not conform is refused (exit 78, "Update does not conform to the configured schema", as the
real cibadmin answers) and the file is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacluster.api import env as api_env
from hacluster.cib import CIBRequest, apply_request, empty_cib
from hacluster.cli import cibadmin
from hacluster.common import Code, HaError

SCHEMA = Path("/usr/share/pacemaker/pacemaker-3.7.rng")
needs_schema = pytest.mark.skipif(not SCHEMA.is_file(), reason="Pacemaker schemas missing")


def test_a_check_that_finds_errors_refuses_the_write() -> None:
    request = CIBRequest("create", '<primitive id="d" class="ocf" provider="heartbeat" '
                         'type="Dummy"/>', "resources")
    with pytest.raises(HaError) as caught:
        apply_request(empty_cib(), request, lambda name: lambda root: ["1: bad"])
    problem = caught.value.problems[0]
    assert problem.code is Code.CIB_SCHEMA_INVALID
    assert problem.message == "Update does not conform to the configured schema"
    assert problem.details["errors"] == ("1: bad",)


@needs_schema
def test_unknown_element_in_constraints_is_refused_with_78_and_nothing_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cib.xml"
    path.write_text(empty_cib().to_text())
    before = path.read_bytes()
    monkeypatch.setenv("CIB_file", str(path))
    assert cibadmin.main(["-C", "-o", "constraints", "-X", '<bogus id="x"/>']) == 78
    assert "Update does not conform to the configured schema" in capsys.readouterr().err
    assert path.read_bytes() == before


@needs_schema
def test_conforming_write_passes_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    path.write_text(empty_cib().to_text())
    env = api_env.CibFile(path)
    env.submit(CIBRequest("create", '<primitive id="d" class="ocf" provider="heartbeat" '
                          'type="Dummy"/>', "resources"))
    assert env.read().find_by_id("d") is not None


def test_missing_schema_means_no_check() -> None:
    assert api_env.schema_check("pacemaker-0.1") is None
    assert api_env.schema_check("none") is None
