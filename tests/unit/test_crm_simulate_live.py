"""crm_simulate -L: the CIB comes from the environment (live cluster, or $CIB_file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.test_scheduler_simulate import CIB

from hacluster.api.simulate import live_root, simulate_root
from hacluster.cib import CIBDocument, parse_cib
from hacluster.cli.crm_simulate import main


class FakeLiveCluster:
    """Stands in for api.env.LiveCluster: read() returns the cluster's document."""

    def __init__(self, text: str) -> None:
        self.doc = parse_cib(text)
        self.reads = 0

    def read(self) -> CIBDocument:
        self.reads += 1
        return self.doc


def test_the_live_cib_is_read_once_and_scheduled() -> None:
    env = FakeLiveCluster(CIB)
    result = simulate_root(live_root(env), now_s=0)
    assert env.reads == 1
    assert any("Start" in line and "r1" in line for line in result.transition.summary_lines())


def test_injections_on_the_live_copy_leave_the_source_document_alone() -> None:
    env = FakeLiveCluster(CIB)
    root = live_root(env)
    root.find("status").clear()
    assert env.doc.root.find("status") is not None and len(env.doc.root.find("status")) == 2


def test_dash_l_reads_cib_file_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cib.xml"
    path.write_text(CIB)
    monkeypatch.setenv("CIB_file", str(path))
    assert main(["-L", "-S"]) == 0
    out = capsys.readouterr().out
    assert "Transition Summary:" in out and "r1" in out


def test_dash_l_without_a_running_cluster_fails_with_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CIB_file", raising=False)
    monkeypatch.setenv("HACLUSTER_STATE_DIR", str(tmp_path))
    assert main(["-L"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("crm_simulate: ") and "Traceback" not in err


def test_file_and_live_together_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-L", "-x", "cib.xml"]) == 64
    assert "exactly one" in capsys.readouterr().err
