"""The fencer stepped by hand: device choice, topology levels, agent protocol, failures."""

from __future__ import annotations

from typing import Any

from hacluster.events import AgentDone, FenceRequest, FenceResult, RunAgent, Tick
from hacluster.fencing import (
    FenceDevice,
    FenceLevel,
    Fencer,
    FencingConfig,
    config_from_cib,
    parse_host_map,
)

CIB = """<cib><configuration>
<crm_config><cluster_property_set id="o">
  <nvpair id="o1" name="stonith-timeout" value="30s"/></cluster_property_set></crm_config>
<resources>
  <primitive id="ipmi-2" class="stonith" type="fence_ipmilan">
    <instance_attributes id="i2">
      <nvpair id="a" name="ip" value="127.0.0.12"/>
      <nvpair id="b" name="pcmk_host_list" value="node2"/></instance_attributes>
    <meta_attributes id="m2"><nvpair id="p" name="priority" value="5"/></meta_attributes>
  </primitive>
  <primitive id="pdu" class="stonith" type="fence_apc">
    <instance_attributes id="i3">
      <nvpair id="c" name="pcmk_host_map" value="node2:4;node3:7"/></instance_attributes>
  </primitive>
  <primitive id="off" class="stonith" type="fence_x">
    <meta_attributes id="m4"><nvpair id="t" name="target-role" value="Stopped"/></meta_attributes>
  </primitive>
  <primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/>
</resources>
<fencing-topology>
  <fencing-level id="l1" target="node3" index="2" devices="pdu"/>
  <fencing-level id="l2" target="node3" index="1" devices="ipmi-2,pdu"/>
</fencing-topology>
</configuration></cib>"""


def outputs(out: list[Any], kind: type) -> list[Any]:
    return [o for o in out if isinstance(o, kind)]


def test_the_cib_gives_devices_host_lists_maps_topology_and_timeout() -> None:
    config = config_from_cib(CIB)
    assert [d.id for d in config.devices] == ["ipmi-2", "pdu"], "disabled devices are not used"
    ipmi, pdu = config.devices
    assert (ipmi.agent, ipmi.host_list, ipmi.priority, ipmi.check) == (
        "fence_ipmilan", ("node2",), 5, "static-list")
    assert pdu.host_map == (("node2", "4"), ("node3", "7"))
    assert config.timeout_ms == 30_000
    assert sorted((lv.index, lv.devices) for lv in config.levels) == [
        (1, ("ipmi-2", "pdu")), (2, ("pdu",))]
    assert config_from_cib("<not xml").devices == ()


def test_a_reboot_runs_the_highest_priority_capable_device_with_the_agent_protocol() -> None:
    fencer = Fencer("node1", config_from_cib(CIB))
    (run,) = fencer.step(0, FenceRequest("node2", "reboot", "node1", "r1"))
    assert (run.agent, run.action, run.timeout_ms) == ("stonith:fence_ipmilan", "reboot", 30_000)
    assert run.stdin == "action=reboot\nip=127.0.0.12\nport=node2\nnodename=node2\n"
    (result,) = fencer.step(50, AgentDone(run.call_id, 0))
    assert result == FenceResult("node2", "reboot", True, "r1", "ipmi-2", "",
                                 origin="node1", executioner="node1")
    assert [(e.target, e.ok, e.device) for e in fencer.status().history] == [
        ("node2", True, "ipmi-2")]


def test_a_failed_device_falls_back_to_the_next_and_then_fails_with_every_reason() -> None:
    fencer = Fencer("node1", config_from_cib(CIB))
    (first,) = fencer.step(0, FenceRequest("node2", "off", "node1", "r1"))
    (second,) = fencer.step(10, AgentDone(first.call_id, 1, "done", "Unable to connect\n"))
    assert (second.agent, second.stdin) == (
        "stonith:fence_apc", "action=off\nport=4\nnodename=node2\n")
    (result,) = fencer.step(20, AgentDone(second.call_id, 1, "timeout", "off timed out"))
    assert not result.ok
    assert result.reason == ("ipmi-2: rc=1 done Unable to connect; "
                             "pdu: rc=1 timeout off timed out")


def test_topology_levels_run_in_index_order_and_a_level_needs_all_its_devices() -> None:
    fencer = Fencer("node1", config_from_cib(CIB))
    (a,) = fencer.step(0, FenceRequest("node3", "reboot", "node1", "r"))
    assert a.agent == "stonith:fence_ipmilan", "level 1 first"
    (b,) = fencer.step(1, AgentDone(a.call_id, 0))
    assert (b.agent, b.stdin.splitlines()[1]) == ("stonith:fence_apc", "port=7")
    (c,) = fencer.step(2, AgentDone(b.call_id, 1))
    assert c.agent == "stonith:fence_apc", "level 1 failed as a whole: level 2"
    (done,) = fencer.step(3, AgentDone(c.call_id, 0))
    assert (done.ok, done.device) == (True, "pdu")


def test_no_capable_device_or_fencing_oneself_fails_at_once() -> None:
    fencer = Fencer("node1", config_from_cib(CIB))
    (nobody,) = fencer.step(0, FenceRequest("node4", "reboot", "node1", "r"))
    assert (nobody.ok, nobody.reason) == (False, "no fence device can fence node4")
    (me,) = fencer.step(0, FenceRequest("node1", "reboot", "node2", "r"))
    assert not me.ok and "itself" in me.reason
    assert fencer.status().in_flight == ()


def test_a_dynamic_list_device_is_asked_before_it_is_used() -> None:
    device = FenceDevice("xvm", "fence_xvm", host_check="dynamic-list",
                         host_map=(("node2", "vm-2"),))
    fencer = Fencer("node1", FencingConfig((device,)))
    (query,) = fencer.step(0, FenceRequest("node2", "reboot", "node1", "r"))
    assert query.action == "list"
    (action,) = fencer.step(1, AgentDone(query.call_id, 0, "done", "vm-1,on\nvm-2,on\n"))
    assert action.action == "reboot"
    fencer = Fencer("node1", FencingConfig((device,)))
    (query,) = fencer.step(0, FenceRequest("node3", "reboot", "node1", "r"))
    (result,) = fencer.step(1, AgentDone(query.call_id, 0, "done", "vm-1,on\n"))
    assert not result.ok and "cannot fence node3" in result.reason


def test_an_agent_that_never_answers_times_out_and_requests_for_one_target_merge() -> None:
    device = FenceDevice("d", "fence_d", host_list=("node2",))
    fencer = Fencer("node1", FencingConfig((device,), timeout_ms=1_000))
    (run,) = fencer.step(0, FenceRequest("node2", "reboot", "node1", "a"))
    assert fencer.step(5, FenceRequest("node2", "reboot", "node3", "b")) == []
    assert fencer.next_deadline_ms() is not None
    results = fencer.step(fencer.next_deadline_ms() or 0, Tick())
    assert [(r.request_id, r.ok) for r in results] == [("a", False), ("b", False)]
    assert "timed out" in results[0].reason
    assert fencer.step(99_999, AgentDone(run.call_id, 0)) == []
    assert fencer.status().dropped == 1


def test_pacemakers_own_parameters_and_host_maps_never_reach_the_agent() -> None:
    assert parse_host_map("a:1;b:2 c:3,d") == (("a", "1"), ("b", "2"), ("c", "3"))
    device = FenceDevice("d", "fence_d", params=(("pcmk_host_list", "node2"), ("login", "x")),
                         host_list=("node2",), host_argument="plug")
    (run,) = Fencer("n1", FencingConfig((device,))).step(0, FenceRequest("node2", "off"))
    assert isinstance(run, RunAgent)
    assert run.stdin == "action=off\nlogin=x\nplug=node2\nnodename=node2\n"


def test_topology_levels_match_by_pattern_and_peer_results_enter_the_history() -> None:
    level = FenceLevel(1, ("d",), target_pattern="node[0-9]+")
    assert level.matches("node12") and not level.matches("web1")
    fencer = Fencer("node1")
    fencer.step(7, FenceResult("node3", "reboot", True, "x", "pdu", "", "node2", "node2"))
    (event,) = fencer.status().history
    assert (event.target, event.executioner, event.completed_ms) == ("node3", "node2", 7)


def test_a_device_for_one_fixed_machine_gets_no_plug() -> None:
    device = FenceDevice("d", "fence_d", host_list=("node2",), host_argument="none")
    (run,) = Fencer("n1", FencingConfig((device,))).step(0, FenceRequest("node2", "off"))
    assert run.stdin == "action=off\nnodename=node2\n"


def test_after_a_failure_the_next_attempt_waits_and_the_wait_doubles() -> None:
    device = FenceDevice("d", "fence_d", host_list=("node2",))
    fencer = Fencer("node1", FencingConfig((device,)))
    (run,) = fencer.step(0, FenceRequest("node2", "reboot", "node1", "a"))
    (failed,) = fencer.step(10, AgentDone(run.call_id, 1))
    assert not failed.ok
    assert fencer.step(20, FenceRequest("node2", "reboot", "node1", "b")) == [], "parked"
    assert fencer.next_deadline_ms() == 1_010
    assert fencer.step(1_009, Tick()) == []
    (again,) = fencer.step(1_010, Tick())
    assert isinstance(again, RunAgent)
    fencer.step(1_020, AgentDone(again.call_id, 1))
    fencer.step(1_030, FenceRequest("node2", "reboot", "node1", "c"))
    assert fencer.next_deadline_ms() == 3_020, "two failures: two seconds"
    (third,) = fencer.step(3_020, Tick())
    (done,) = fencer.step(3_030, AgentDone(third.call_id, 0))
    assert done.ok and done.request_id == "c"
    (fresh,) = fencer.step(3_040, FenceRequest("node2", "off", "node1", "d"))
    assert isinstance(fresh, RunAgent), "a success resets the wait"


def test_a_new_fencing_configuration_releases_parked_requests_at_once() -> None:
    fencer = Fencer("node1")
    (nobody,) = fencer.step(0, FenceRequest("node2", "reboot", "node1", "a"))
    assert not nobody.ok
    assert fencer.step(5, FenceRequest("node2", "reboot", "node1", "b")) == []
    device = FenceDevice("d", "fence_d", host_list=("node2",))
    (run,) = fencer.step(6, FencingConfig((device,)))
    assert isinstance(run, RunAgent) and run.agent == "stonith:fence_d"
