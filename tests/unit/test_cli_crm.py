"""crm status / crm configure show (read-only crmsh) and crm_mon's refreshing mode, on a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacluster.cli import crm, crm_mon

CIB = """<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/></nodes>
    <resources>
      <group id="g"><primitive id="a" class="ocf" provider="heartbeat" type="Dummy">
        <operations><op id="a-m" name="monitor" interval="10s"/></operations></primitive></group>
      <clone id="c"><primitive id="b" class="ocf" provider="heartbeat" type="Dummy"/></clone>
    </resources>
    <constraints>
      <rsc_location id="l1" rsc="g" node="n1" score="INFINITY"/>
      <rsc_colocation id="co" rsc="g" with-rsc="c" score="-INFINITY"/>
      <rsc_order id="o" first="c" then="g" kind="Mandatory"/>
    </constraints>
  </configuration>
  <status/>
</cib>"""


@pytest.fixture
def cib_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cib.xml"
    path.write_text(CIB)
    monkeypatch.setenv("CIB_file", str(path))
    return path


def test_configure_show_speaks_crm_syntax(cib_file: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert crm.main(["configure", "show"]) == 0
    out = capsys.readouterr().out
    # crm's order: nodes, primitives (heartbeat's agents by type), groups, clones, by id
    assert "primitive a Dummy \\\n\top monitor interval=10s\n" in out
    assert out.index("primitive a") < out.index("group g a") < out.index("clone c b")
    assert "clone c b" in out
    assert "location l1 g inf: n1" in out
    assert "colocation co -inf: g c" in out
    assert "order o Mandatory: c g" in out
    assert "property cib-bootstrap-options: \\\n\tstonith-enabled=false" in out


def test_crm_refuses_changes(cib_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert crm.main(["configure", "primitive", "x", "Dummy"]) == 1
    assert "use pcs" in capsys.readouterr().err


def test_crm_status_is_crm_mon_text(cib_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert crm.main(["status"]) == 0
    assert "Cluster Summary:" in capsys.readouterr().out


def test_crm_mon_refreshes_until_told_to_stop(cib_file: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert crm_mon.main(["-i", "0", "--refreshes", "3"]) == 0
    assert capsys.readouterr().out.count("Cluster Summary:") == 3
