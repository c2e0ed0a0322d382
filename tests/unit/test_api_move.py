"""crm_resource's verbs on a CIB file: locate from the status section, move/ban/clear
constraints, lifetimes from an explicit clock, parameters and cleanup."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacluster.api import move, parameter
from hacluster.api.env import CibFile
from hacluster.common import Code, HaError

NOW_S = 1_700_000_000  # 2023-11-14 22:13:20 UTC

CIB = """<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="vip-ia"><nvpair id="vip-ia-ip" name="ip" value="1"/></instance_attributes>
      </primitive>
      <clone id="web-clone"><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/></clone>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="vip" class="ocf" provider="heartbeat" type="Dummy">
          <lrm_rsc_op id="vip_last_0" operation_key="vip_start_0" operation="start" call-id="2"
            rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" on_node="n1"/>
        </lrm_resource>
        <lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
          <lrm_rsc_op id="web_last_0" operation_key="web_start_0" operation="start" call-id="3"
            rc-code="0" op-status="0" interval="0" transition-key="2:1:0:x" on_node="n1"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources>
        <lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
          <lrm_rsc_op id="web_last_0" operation_key="web_start_0" operation="start" call-id="3"
            rc-code="0" op-status="0" interval="0" transition-key="3:1:0:x" on_node="n2"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>
"""


@pytest.fixture
def env(tmp_path: Path) -> CibFile:
    path = tmp_path / "cib.xml"
    path.write_text(CIB)
    return CibFile(path)


def test_locate_reads_where_the_status_section_says_it_runs(env: CibFile) -> None:
    assert [loc.node for loc in move.locate(env, "vip", NOW_S)] == ["n1"]
    assert sorted(loc.node for loc in move.locate(env, "web-clone", NOW_S)) == ["n1", "n2"]


def test_locate_of_an_unknown_resource_is_no_such_object(env: CibFile) -> None:
    with pytest.raises(HaError) as caught:
        move.locate(env, "nope", NOW_S)
    assert caught.value.problems[0].code is Code.RSC_NOT_FOUND


def test_move_writes_cli_prefer_and_drops_a_ban_on_the_target(env: CibFile) -> None:
    move.ban(env, "vip", "n2", NOW_S)
    move.move(env, "vip", "n2", NOW_S)
    ids = env.read().root.xpath("//rsc_location/@id")
    assert ids == ["cli-prefer-vip"]
    prefer = env.read().find_by_id("cli-prefer-vip")
    assert prefer is not None and prefer.get("score") == "INFINITY" and prefer.get("node") == "n2"


def test_ban_without_a_node_bans_the_current_one(env: CibFile) -> None:
    result = move.ban(env, "vip", "", NOW_S)
    assert result.constraint_id == "cli-ban-vip-on-n1"


def test_move_without_a_node_of_a_clone_running_twice_is_refused(env: CibFile) -> None:
    with pytest.raises(HaError) as caught:
        move.move(env, "web-clone", "", NOW_S)
    assert "active in 2 locations" in caught.value.problems[0].message


def test_lifetime_becomes_a_rule_ending_at_now_plus_the_duration(env: CibFile) -> None:
    result = move.move(env, "vip", "n2", NOW_S, lifetime="PT1H")
    assert result.until == "2023-11-14 23:13:20Z"
    ends = env.read().root.xpath("//date_expression/@end")
    assert ends == ["2023-11-14 23:13:20Z"]


def test_lifetime_months_follow_the_calendar() -> None:
    assert move.lifetime_end("P1M", 1_706_659_200) == "2024-02-29 00:00:00Z"  # from Jan 31


def test_bad_lifetime_is_refused_and_nothing_changes(env: CibFile) -> None:
    before = env.read().to_text()
    with pytest.raises(HaError):
        move.move(env, "vip", "n2", NOW_S, lifetime="1 hour")
    assert env.read().to_text() == before


def test_clear_removes_prefer_and_bans_or_only_those_naming_a_node(env: CibFile) -> None:
    move.ban(env, "vip", "n1", NOW_S)
    move.ban(env, "vip", "n2", NOW_S)
    assert move.clear(env, "vip", "n2") == ["cli-ban-vip-on-n2"]
    assert move.clear(env, "vip") == ["cli-ban-vip-on-n1"]


def test_set_get_delete_parameter(env: CibFile) -> None:
    change = parameter.set_value(env, "vip", "ip", "2")
    assert (change.nvpair_id, change.created) == ("vip-ia-ip", False)
    assert parameter.get(env, "vip", "ip") == "2"
    assert [c.name for c in parameter.delete(env, "vip", "ip")] == ["ip"]
    assert parameter.get(env, "vip", "ip") is None


def test_meta_of_a_clone_child_goes_to_the_clone_unless_forced(env: CibFile) -> None:
    change = parameter.set_value(env, "web", "target-role", "Stopped", "meta_attributes")
    assert (change.rid, change.redirected_from) == ("web-clone", "web")
    assert parameter.get(env, "web", "target-role", "meta_attributes") == "Stopped"
    forced = parameter.set_value(env, "web", "is-managed", "false", "meta_attributes", True)
    assert forced.rid == "web"


def test_cleanup_forgets_history_so_the_resource_is_located_nowhere(env: CibFile) -> None:
    cleaned = parameter.cleanup(env, "vip", None, failed_only=False)
    assert cleaned == [("vip", "n1")]
    assert move.locate(env, "vip", NOW_S) == []


def test_cleanup_of_failures_forgets_a_monitor_that_found_the_resource_stopped(
        tmp_path: Path) -> None:
    """A recurring monitor returning 7 (not running, where 0 was expected) is a failure: its
    `_last_failure_0` entry makes the history one to clean, although its rc is 7."""
    failure = ('<lrm_rsc_op id="vip_last_failure_0" operation_key="vip_monitor_3000"'
               ' operation="monitor" call-id="9" rc-code="7" op-status="0" interval="3000"'
               ' transition-key="4:1:0:x" on_node="n1"/>\n')
    text = CIB.replace('<lrm_rsc_op id="vip_last_0"', failure + '<lrm_rsc_op id="vip_last_0"')
    path = tmp_path / "cib.xml"
    path.write_text(text)
    env = CibFile(path)
    assert parameter.cleanup(env, "vip", "n1", failed_only=True) == [("vip", "n1")]
    assert "vip_last_failure_0" not in path.read_text()
    assert parameter.cleanup(env, "web", "n1", failed_only=True) == []  # nothing failed


def test_cleanup_on_a_live_cluster_makes_attrd_forget_the_fail_counts_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """attrd keeps the values it wrote; a fail count removed from the CIB alone comes back
    at attrd's next full write (a new writer after a node loss)."""
    from hacluster.api import attrd
    from hacluster.events import AttrUpdate

    attrs = ('<transient_attributes id="1"><instance_attributes id="status-1">'
             '<nvpair id="s1-fc" name="fail-count-vip#monitor_3000" value="3"/>'
             '<nvpair id="s1-lf" name="last-failure-vip#monitor_3000" value="1700000000"/>'
             '<nvpair id="s1-other" name="pingd" value="1000"/>'
             '</instance_attributes></transient_attributes>\n      <lrm id="1">')
    path = tmp_path / "cib.xml"
    path.write_text(CIB.replace('<lrm id="1">', attrs, 1))
    file_env = CibFile(path)

    class Live:  # a live cluster's environment, its CIB kept in the file
        read, submit = file_env.read, file_env.submit

    sent: list[object] = []
    monkeypatch.setattr(attrd, "_live", lambda _env, request: sent.append(request))
    parameter.cleanup(Live(), "vip", "n1", failed_only=False)  # type: ignore[arg-type]
    assert sent == [AttrUpdate("n1", "fail-count-vip#monitor_3000", None, "reboot", 0),
                    AttrUpdate("n1", "last-failure-vip#monitor_3000", None, "reboot", 0)]
    assert "fail-count-vip" not in path.read_text() and "pingd" in path.read_text()
    sent.clear()
    parameter.cleanup(file_env, "vip", "n1", failed_only=False)
    assert sent == []  # a CIB file has no attrd


def test_wait_on_a_file_returns_at_once_and_bad_timeouts_are_refused(env: CibFile) -> None:
    from hacluster.cli import waiting

    assert waiting.wait_for_settle(env, "5s", lambda line: None)
    assert waiting.timeout_seconds("2min") == 120
    with pytest.raises(HaError):
        waiting.timeout_seconds("soon")


def test_pending_lists_what_the_scheduler_would_still_do(env: CibFile) -> None:
    from hacluster.api import wait

    state = wait.pending(env, NOW_S)
    assert not state.is_settled  # web runs twice but nothing was probed on n2 for vip
    assert all(" on " in action for action in state.actions)
