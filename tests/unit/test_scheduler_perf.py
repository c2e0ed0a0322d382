"""The performance paths of crm_simulate and the scheduler give the same answers as the plain
ones: chunked parsing, the operator-file size limit, the shared model, fail-count indexing
and the dependents-driven graph walk."""

from __future__ import annotations

import pytest
from lxml import etree

from hacluster.api import simulate as sim
from hacluster.cib import MAX_CIB_BYTES, MAX_LOCAL_CIB_BYTES, parse_cib
from hacluster.common import Code, HaError
from hacluster.scheduler import GraphAction, Synapse, Transition, schedule, unpack

# r1 failed twice on n1 (one count per operation), the anonymous clone c failed on n2 under
# an instance-suffixed name: both must be counted as the plain scan counts them.
CIB = """<cib have-quorum="1" execution-date="1000"><configuration><crm_config>
<cluster_property_set id="c"><nvpair id="s" name="stonith-enabled" value="false"/>
</cluster_property_set></crm_config><nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/>
</nodes><resources><primitive id="r1" class="ocf" provider="heartbeat" type="Dummy">
<meta_attributes id="r1-m"><nvpair id="r1-mt" name="migration-threshold" value="3"/>
</meta_attributes></primitive>
<clone id="c"><primitive id="d" class="ocf" provider="heartbeat" type="Dummy"/></clone>
</resources><constraints><rsc_location id="l" rsc="r1" node="n1" score="100"/></constraints>
</configuration><status>
<node_state id="n1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member">
<transient_attributes id="t1"><instance_attributes id="t1-a">
<nvpair id="f1" name="fail-count-r1#monitor_10000" value="2"/>
<nvpair id="f2" name="fail-count-r1#start_0" value="1"/>
<nvpair id="f3" name="last-failure-r1#start_0" value="900"/>
</instance_attributes></transient_attributes></node_state>
<node_state id="n2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member">
<transient_attributes id="t2"><instance_attributes id="t2-a">
<nvpair id="f4" name="fail-count-d:1#monitor_10000" value="INFINITY"/>
</instance_attributes></transient_attributes></node_state>
</status></cib>"""


def test_a_cib_fed_in_odd_chunks_parses_to_the_same_tree_as_the_whole_text() -> None:
    data = CIB.encode()
    chunks = [data[i:i + 7] for i in range(0, len(data), 7)]
    assert etree.tostring(sim.parse_cib_chunks(chunks)) == etree.tostring(
        sim.parse_cib_text(data))


def test_chunked_parsing_refuses_a_file_over_the_limit_and_malformed_xml() -> None:
    with pytest.raises(HaError) as too_big:
        sim.parse_cib_chunks([b"<cib>", b"</cib>"], max_bytes=8)
    assert too_big.value.problems[0].code == Code.CIB_UNSAFE_XML
    with pytest.raises(HaError) as broken:
        sim.parse_cib_chunks([b"<cib><configuration>"])
    assert broken.value.problems[0].code == Code.CIB_XML_SYNTAX


def test_the_operator_file_limit_is_explicit_and_larger_than_the_peer_limit() -> None:
    assert MAX_LOCAL_CIB_BYTES > MAX_CIB_BYTES
    with pytest.raises(HaError):
        parse_cib(CIB, max_bytes=16)
    assert parse_cib(CIB, max_bytes=MAX_LOCAL_CIB_BYTES).root.tag == "cib"


def test_simulating_a_parsed_root_matches_simulating_its_text() -> None:
    whole = sim.simulate(CIB, now_s=0)
    rooted = sim.simulate_root(sim.parse_cib_chunks([CIB.encode()]), now_s=0)
    assert whole.transition == rooted.transition
    assert whole.transition == schedule(sim.parse_cib_text(CIB), 1000)


def test_fail_counts_sum_per_operation_and_anonymous_instances_share_one_count() -> None:
    model = unpack(sim.parse_cib_text(CIB), 1000)
    assert model.states["r1"].fail_counts == {"n1": 3}
    assert "n1" in model.states["r1"].banned_nodes
    counted = {rid: s.fail_counts for rid, s in model.states.items() if rid.startswith("d")}
    assert counted and all(c == {"n2": 1000000} for c in counted.values())


def test_the_status_view_of_the_shared_model_equals_one_from_a_fresh_unpack() -> None:
    from hacluster.api import status

    result = sim.simulate(CIB, now_s=0)
    fresh = status.status_of_root(sim.parse_cib_text(CIB), result.now_s, history=False)
    assert sim.status_view(result) == fresh


def action(n: int) -> GraphAction:
    return GraphAction(id=n, rsc=f"r{n}", task="start", node="n1", pseudo=False,
                       optional=False, runnable=True, reason="")


def test_executed_runs_inputs_first_in_synapse_order_and_skips_unsatisfiable_ones() -> None:
    # 2 waits for 0 and 1; 3 waits for 2; 4 waits for an action that is not in the graph.
    synapses = (Synapse(3, action(3), (2,)), Synapse(2, action(2), (0, 1)),
                Synapse(0, action(0), ()), Synapse(1, action(1), ()),
                Synapse(4, action(4), (99,)))
    order = [a.id for a in Transition(synapses, (), ()).executed()]
    assert order == [0, 1, 2, 3]


def test_the_op_attributes_crm_simulate_drops_are_read_by_no_stage() -> None:
    from pathlib import Path

    import hacluster

    src = Path(hacluster.__file__).parent
    readers = [*sorted((src / "scheduler").glob("*.py")), src / "api" / "status.py",
               src / "api" / "ophistory.py", src / "cli" / "render.py"]
    for path in readers:
        text = path.read_text()
        for name in sim.UNREAD_OP_ATTRS:
            assert f'"{name}"' not in text and f"'{name}'" not in text, (path, name)


def test_a_lean_parse_keeps_everything_but_the_unread_op_attributes() -> None:
    op = ('<lrm_rsc_op id="r1_last_0" operation="start" crm-debug-origin="x" '
          'transition-magic="0:0;1:1:0:u" on_node="n1" crm_feature_set="3.16.1" rc-code="0"/>')
    data = CIB.replace('<node_state id="n2"', '<node_state id="n9" uname="n9"><lrm id="n9">'
                       f'<lrm_resources><lrm_resource id="r1">{op}</lrm_resource>'
                       '</lrm_resources></lrm></node_state><node_state id="n2"').encode()
    lean = sim.parse_cib_chunks([data], lean=True)
    full = sim.parse_cib_chunks([data])
    kept = lean.find(".//lrm_rsc_op").attrib
    assert dict(kept) == {"id": "r1_last_0", "operation": "start", "rc-code": "0"}
    assert len(full.find(".//lrm_rsc_op").attrib) == 7
    assert lean.find("configuration") is not None and lean.get("execution-date") == "1000"
