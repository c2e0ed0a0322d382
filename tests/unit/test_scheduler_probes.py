"""Probes: a `monitor` (interval 0) wherever a resource's state is unknown, before its start."""

from __future__ import annotations

import cibkit

from hacluster.api.simulate import simulate
from hacluster.scheduler import Transition

NODES = ("n1", "n2", "n3")


def cib(resources: str, status: str = "", props: str = "") -> str:
    return cibkit.cib_text(NODES, resources, "", status, props=props,
                           root='have-quorum="1" execution-date="1000"')


def online(name: str, lrm: str = "") -> str:
    return cibkit.node_state(name, lrm=lrm)


def stopped_history(rsc: str) -> str:
    """The result of a probe that found `rsc` stopped (rc 7)."""
    return (f'<lrm_resource id="{rsc}" class="ocf" provider="heartbeat" type="Dummy">'
            f'<lrm_rsc_op id="{rsc}_monitor_0" operation="monitor" call-id="1" rc-code="7" '
            'op-status="0" interval="0" transition-key="1:0:7:x" '
            'transition-magic="0:7;1:0:7:x"/></lrm_resource>')


R1 = '<primitive id="r1" class="ocf" provider="heartbeat" type="Dummy"/>'
ALL_ONLINE = "".join(online(n) for n in NODES)


def probes(transition: Transition) -> set[tuple[str | None, str | None]]:
    return {(a.rsc, a.node) for a in transition.executed() if a.task == "monitor"}


def test_a_resource_without_history_is_probed_on_every_online_node() -> None:
    transition = simulate(cib(R1, ALL_ONLINE), 0).transition
    assert probes(transition) == {("r1", n) for n in NODES}


def test_the_start_waits_for_every_probe_of_its_resource() -> None:
    transition = simulate(cib(R1, ALL_ONLINE), 0).transition
    by_id = {s.id: s.action for s in transition.synapses}
    start = next(s for s in transition.synapses if s.action.task == "start")
    assert {(by_id[i].task, by_id[i].node) for i in start.inputs} == {
        ("monitor", n) for n in NODES}
    assert len(transition.executed()) == len(transition.synapses)


def test_a_node_with_history_of_the_resource_is_not_probed_again() -> None:
    status = online("n1", stopped_history("r1")) + online("n2") + online("n3")
    assert probes(simulate(cib(R1, status), 0).transition) == {("r1", "n2"), ("r1", "n3")}


def test_offline_nodes_are_not_probed() -> None:
    status = online("n1") + online("n2")
    assert probes(simulate(cib(R1, status), 0).transition) == {("r1", "n1"), ("r1", "n2")}


def test_disabled_startup_probes_schedule_no_probe() -> None:
    off = '<nvpair id="p" name="enable-startup-probes" value="false"/>'
    assert probes(simulate(cib(R1, ALL_ONLINE, off), 0).transition) == set()


def test_probes_never_change_the_transition_summary() -> None:
    off = '<nvpair id="p" name="enable-startup-probes" value="false"/>'
    with_probes = simulate(cib(R1, ALL_ONLINE), 0).transition
    without = simulate(cib(R1, ALL_ONLINE, off), 0).transition
    assert with_probes.summary_lines() == without.summary_lines()
    assert any("Start" in line for line in with_probes.summary_lines())


def test_an_anonymous_clone_is_probed_once_per_node() -> None:
    clone = f'<clone id="c">{R1}</clone>'
    found = probes(simulate(cib(clone, ALL_ONLINE), 0).transition)
    assert sorted(node for _rsc, node in found) == sorted(NODES)
    assert all(rsc is not None and rsc.startswith("r1:") for rsc, _node in found)


def test_every_instance_of_a_unique_clone_is_probed() -> None:
    clone = ('<clone id="c"><meta_attributes id="m"><nvpair id="u" name="globally-unique" '
             f'value="true"/><nvpair id="x" name="clone-max" value="2"/></meta_attributes>'
             f'{R1}</clone>')
    found = probes(simulate(cib(clone, ALL_ONLINE), 0).transition)
    assert found == {(f"r1:{i}", n) for i in range(2) for n in NODES}


def test_each_member_of_a_group_is_probed() -> None:
    group = f'<group id="g">{R1}{R1.replace("r1", "r2")}</group>'
    found = probes(simulate(cib(group, online("n1")), 0).transition)
    assert found == {("r1", "n1"), ("r2", "n1")}


def test_the_saved_graph_names_each_probe_a_start_waits_for() -> None:
    from lxml import etree

    from hacluster.api.simulate import graph_xml

    graph = etree.fromstring(graph_xml(simulate(cib(R1, ALL_ONLINE), 0)).encode())
    start = graph.xpath("//synapse[action_set/rsc_op/@operation='start']")[0]
    triggers = {(t.get("operation_key"), t.get("on_node"))
                for t in start.iterfind("inputs/trigger/rsc_op")}
    assert triggers == {("r1_monitor_0", n) for n in NODES}


def test_an_anonymous_clone_with_history_under_any_instance_name_is_not_probed_again() -> None:
    clone = f'<clone id="c">{R1}</clone>'
    status = (online("n1", stopped_history("r1:0")) + online("n2", stopped_history("r1"))
              + online("n3"))
    found = probes(simulate(cib(clone, status), 0).transition)
    assert {node for _, node in found} == {"n3"}
    assert len(found) == 1


def test_a_pending_probe_does_not_make_the_state_known() -> None:
    pending = stopped_history("r1").replace('op-status="0"', 'op-status="-1"')
    status = online("n1", pending) + online("n2") + online("n3")
    assert probes(simulate(cib(R1, status), 0).transition) == {("r1", n) for n in NODES}
