"""crm_simulate's library command and CLI on small CIBs: injections, execution-date, -s."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacluster.api.simulate import Injections, simulate
from hacluster.cli.crm_simulate import main

CIB = """<cib have-quorum="1" execution-date="1000"><configuration><crm_config>
<cluster_property_set id="c"><nvpair id="s" name="stonith-enabled" value="false"/>
</cluster_property_set></crm_config><nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/>
</nodes><resources><primitive id="r1" class="ocf" provider="heartbeat" type="Dummy"/></resources>
<constraints><rsc_location id="l" rsc="r1" node="n1" score="100"/></constraints></configuration>
<status>
<node_state id="n1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"/>
<node_state id="n2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/>
</status></cib>"""


def test_the_execution_date_is_used_as_now() -> None:
    result = simulate(CIB, now_s=5)
    assert result.used_execution_date and result.now_s == 1000


def test_taking_a_node_down_moves_the_start_elsewhere() -> None:
    plain = simulate(CIB, now_s=0).transition.summary_lines()
    downed = simulate(CIB, now_s=0, injections=Injections(node_down=("n1",)))
    assert [" ".join(x.split()) for x in plain] == ["* Start r1 ( n1 )"]
    assert [" ".join(x.split()) for x in downed.transition.summary_lines()] == [
        "* Start r1 ( n2 )"]


def test_an_injected_failure_makes_a_running_resource_recover() -> None:
    running = Injections(op_inject=("r1_start_0@n1=0",), op_fail=("r1_monitor_10000@n1=1",))
    lines = simulate(CIB, now_s=0, injections=running).transition.summary_lines()
    assert [" ".join(x.split()) for x in lines] == ["* Recover r1 ( n1 )"]


def test_scores_are_printed_in_crm_simulate_format() -> None:
    lines = simulate(CIB, now_s=0).transition.score_lines
    assert "pcmk__primitive_assign: r1 allocation score on n1: 100" in lines


def test_the_cli_prints_a_transition_summary(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cib.xml"
    path.write_text(CIB)
    assert main(["-S", "-x", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Transition Summary:" in out and "Start      r1" in out
    # As the real crm_simulate 2.1.5: -Q keeps only the scores (-s), -S prints nothing.
    assert main(["-Q", "-S", "-x", str(path)]) == 0 and capsys.readouterr().out == ""
    assert main(["-Q", "-s", "-x", str(path)]) == 0
    assert capsys.readouterr().out.startswith("pcmk__primitive_assign: r1 allocation")
