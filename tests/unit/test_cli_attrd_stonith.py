"""attrd_updater and stonith_admin on a CIB file: a pingd value set with attrd_updater
reaches the scheduler's location rule (ours and the real crm_simulate agree), the real
crm_attribute reads what we wrote, and bad input gets a stable exit status."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from hacluster.cli import attrd_updater, stonith_admin
from hacluster.scheduler import schedule

CIB = """<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0"
 admin_epoch="0" have-quorum="1" dc-uuid="1">
<configuration>
 <crm_config><cluster_property_set id="cib-bootstrap-options">
  <nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
 <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
 <resources>
  <primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/>
  <primitive id="fence-test" class="stonith" type="fence_hacluster"/>
  <primitive id="fence-off" class="stonith" type="fence_hacluster">
   <meta_attributes id="fo-m"><nvpair id="fo-t" name="target-role" value="Stopped"/></meta_attributes>
  </primitive>
 </resources>
 <constraints>
  <rsc_location id="d1-needs-ping" rsc="d1"><rule id="r1" score="-INFINITY" boolean-op="or">
   <expression id="e1" attribute="pingd" operation="not_defined"/>
   <expression id="e2" attribute="pingd" operation="lte" value="0" type="number"/></rule>
  </rsc_location>
 </constraints>
</configuration>
<status>
 <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
 <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
</status>
</cib>
"""


@pytest.fixture
def cib_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cib.xml"
    path.write_text(CIB)
    monkeypatch.setenv("CIB_file", str(path))
    return path


def d1_plan(path: Path) -> list[str]:
    transition = schedule(etree.fromstring(path.read_bytes()), 1_700_000_000)
    return [line.strip() for line in transition.summary_lines() if "d1" in line]


def test_a_pingd_value_set_with_attrd_updater_moves_the_scheduler(
        cib_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert d1_plan(cib_file) == [], "without pingd anywhere d1 has nowhere to run"
    assert attrd_updater.main(["-N", "node2", "-n", "pingd", "-U", "100", "-d", "5s"]) == 0
    assert attrd_updater.main(["-N", "node1", "-n", "pingd", "-U", "0"]) == 0
    plan = d1_plan(cib_file)
    assert any("Start" in line and "node2" in line for line in plan), plan
    assert attrd_updater.main(["-Q", "-n", "pingd", "-A"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        'name="pingd" host="node1" value="0"', 'name="pingd" host="node2" value="100"']
    if shutil.which("crm_simulate"):
        real = subprocess.run(["crm_simulate", "-S", "-x", str(cib_file)], capture_output=True,
                              text=True, env={"PATH": "/usr/sbin:/usr/bin"})
        assert re.search(r"Start\s+d1\s+\( node2 \)", real.stdout), real.stdout + real.stderr


def test_the_real_crm_attribute_reads_what_attrd_updater_wrote(cib_file: Path) -> None:
    if not shutil.which("crm_attribute"):
        pytest.skip("crm_attribute (pacemaker-cli-utils) is not installed")
    assert attrd_updater.main(["-N", "node1", "-n", "pingd", "-U", "300"]) == 0
    assert attrd_updater.main(["-N", "node2", "-n", "site", "-U", "east", "-l", "forever"]) == 0
    env = {"PATH": "/usr/sbin:/usr/bin", "CIB_file": str(cib_file)}
    transient = subprocess.run(["crm_attribute", "-N", "node1", "-n", "pingd", "-G", "-l",
                                "reboot", "-q"], capture_output=True, text=True, env=env)
    assert transient.stdout.strip() == "300", transient.stderr
    permanent = subprocess.run(["crm_attribute", "-N", "node2", "-n", "site", "-G", "-q"],
                               capture_output=True, text=True, env=env)
    assert permanent.stdout.strip() == "east", permanent.stderr


def test_a_deleted_attribute_is_gone_and_querying_it_is_105(
        cib_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert attrd_updater.main(["-N", "node1", "-n", "pingd", "-U", "1"]) == 0
    assert 'id="status-1-pingd"' in cib_file.read_text()
    assert attrd_updater.main(["-N", "node1", "-n", "pingd", "-D"]) == 0
    assert "status-1-pingd" not in cib_file.read_text()
    assert attrd_updater.main(["-N", "node1", "-n", "pingd", "-Q"]) == 105
    assert "attribute does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("argv,status,message", [
    (["-N", "node9", "-n", "pingd", "-U", "1"], 105, "no node named node9"),
    (["-n", "pingd", "-U", "1"], 105, "a node name (-N) is needed"),
    (["-N", "node1", "-n", "pingd", "-U", "1", "-l", "week"], 64, "invalid lifetime"),
    (["-N", "node1", "-n", "pingd", "-U", "1", "-d", "soon"], 64, "invalid delay"),
    (["-N", "node1", "-n", "", "-U", "1"], 64, "invalid attribute name"),
    (["-N", "node1", "-U", "1"], 64, "Command requires --name argument"),
    (["-Q"], 64, "Command requires --name argument"),
    (["-R"], 102, "live cluster"),
    (["-N", "node1", "-n", "pingd", "-U", "1", "-p"], 102, "live cluster"),
    (["-N", "node1", "-n", "pingd", "-Y", "-d", "5s"], 102, "live cluster"),
])
def test_bad_input_gets_a_clear_error_and_a_stable_status(
        cib_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str], status: int,
        message: str) -> None:
    assert attrd_updater.main(argv) == status
    assert message in capsys.readouterr().err


def test_stonith_admin_lists_the_enabled_devices_of_a_file_and_will_not_fence_one(
        cib_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stonith_admin.main(["--list-registered"]) == 0
    assert capsys.readouterr().out == " fence-test\n1 fence device found\n"
    assert stonith_admin.main(["--reboot", "node2"]) == 102
    assert "needs a running cluster" in capsys.readouterr().err
    assert stonith_admin.main(["--history", "*"]) == 0
    assert capsys.readouterr().out == "No fencing history\n"
    assert stonith_admin.main([]) == 64
