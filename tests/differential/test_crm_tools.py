"""Our crm_standby, crm_failcount and crm_verify vs the real ones (Pacemaker 2.1.5) with
CIB_file on copies of one CIB: same output, exit status and resulting configuration; and
crm_node without a running cluster fails as the real one does without a controller."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import SHARED
from tests.differential.realtools import configuration, real_tool, run_ours, run_real

from hacluster.cli import crm_node, crm_standby, crm_verify

REFERENCE = SHARED / "eayunstack/reference-cib.loopback.xml"
SCRIPT = [
    (crm_standby.standby_main, "crm_standby", "-N node-1 -v on"),
    (crm_standby.standby_main, "crm_standby", "-N node-1 -G"),
    (crm_standby.standby_main, "crm_standby", "-N node-1 -G -q"),
    (crm_standby.standby_main, "crm_standby", "-N node-1 -D"),
    (crm_standby.standby_main, "crm_standby", "-N node-9 -v on"),
    (crm_standby.failcount_main, "crm_failcount", "-r vip__public -N node-1 -G"),
    (crm_standby.failcount_main, "crm_failcount", "-r vip__public -N node-1 -G -q"),
    (crm_verify.main, "crm_verify", "-L"),
    (crm_verify.main, "crm_verify", "--bogus"),
]


def test_crm_standby_failcount_verify_agree_with_the_real_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not REFERENCE.is_file():
        pytest.skip("reference CIB missing")
    theirs, ours = tmp_path / "real.xml", tmp_path / "ours.xml"
    shutil.copy(REFERENCE, theirs)
    shutil.copy(REFERENCE, ours)
    failures = []
    for main, name, line in SCRIPT:
        real = run_real([real_tool(name), *line.split()], theirs)
        mine = run_ours(main, line.split(), ours, monkeypatch)
        if real[:2] != mine[:2] or configuration(theirs) != configuration(ours):
            failures.append((name, line, real, mine))
    print(f"crm_standby/crm_failcount/crm_verify: {len(SCRIPT) - len(failures)}/"
          f"{len(SCRIPT)} agree")
    assert not failures, "\n".join(repr(f) for f in failures)


@pytest.mark.parametrize("bad", ['<bogus id="x"/>',
                                 '<rsc_location id="y" rsc="nope" node="node-1" score="abc"/>'])
def test_crm_verify_finds_what_the_real_one_finds(bad: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if not REFERENCE.is_file():
        pytest.skip("reference CIB missing")
    path = tmp_path / "bad.xml"
    path.write_text(REFERENCE.read_text().replace("<constraints>", f"<constraints>{bad}", 1))
    real = run_real([real_tool("crm_verify"), "-x", str(path)], path)
    mine = run_ours(crm_verify.main, ["-x", str(path)], path, monkeypatch)
    assert real[0] == mine[0] == 78
    assert "Errors found during check: config not valid" in mine[2]


def test_crm_node_without_a_cluster_is_not_connected(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HACLUSTER_STATE_DIR", str(tmp_path))
    assert crm_node.main(["-l"]) == 102
    assert capsys.readouterr().err.startswith("error: Could not connect to controller")


@pytest.mark.parametrize("xml", ['<bogus id="x"/>',
                                 '<rsc_location id="y" rsc="vip__public" node="n" score="x"/>',
                                 '<rsc_location id="z" rsc="vip__public" node="node-1" '
                                 'score="5"/>'])
def test_cibadmin_refuses_what_the_schema_refuses_as_the_real_one(
        xml: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hacluster.cli import cibadmin

    if not REFERENCE.is_file():
        pytest.skip("reference CIB missing")
    theirs, ours = tmp_path / "real.xml", tmp_path / "ours.xml"
    shutil.copy(REFERENCE, theirs)
    shutil.copy(REFERENCE, ours)
    argv = ["-C", "-o", "constraints", "-X", xml]
    real = run_real([real_tool("cibadmin"), *argv], theirs)
    mine = run_ours(cibadmin.main, argv, ours, monkeypatch)
    assert real[0] == mine[0]
    assert configuration(theirs) == configuration(ours)
