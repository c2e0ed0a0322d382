"""The performance paths of crm_simulate and the scheduler give the same answers as the plain
ones: chunked parsing, the operator-file size limit, the shared model, fail-count indexing
and the dependents-driven graph walk."""

from __future__ import annotations

from pathlib import Path

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


def reader_sources() -> list[tuple[str, str]]:
    import hacluster

    src = Path(hacluster.__file__).parent
    paths = [*sorted((src / "scheduler").glob("*.py")), src / "api" / "status.py",
             src / "api" / "ophistory.py", src / "cli" / "render.py"]
    return [(str(p), p.read_text()) for p in paths]


def test_the_op_attributes_crm_simulate_drops_are_read_by_no_stage() -> None:
    for path, text in reader_sources():
        for name in sim.UNREAD_OP_ATTRS:
            assert f'"{name}"' not in text and f"'{name}'" not in text, (path, name)


def test_stages_read_operation_history_only_through_get() -> None:
    # crm_simulate's lean parse packs lrm_resource/lrm_rsc_op attributes (api/packed.py):
    # XPath or attribute predicates would not see them. Read them with .get().
    for path, text in reader_sources():
        for pattern in ("xpath(", "[@"):
            assert pattern not in text, (path, pattern)


def lrm_cib(op: str) -> bytes:
    return CIB.replace('<node_state id="n2"', '<node_state id="n9" uname="n9"><lrm id="n9">'
                       '<lrm_resources><lrm_resource id="r1" class="ocf" type="Dummy">'
                       f'{op}</lrm_resource></lrm_resources></lrm></node_state>'
                       '<node_state id="n2"').encode()


def test_a_lean_parse_answers_get_as_the_full_parse_except_for_unread_attributes() -> None:
    op = ('<lrm_rsc_op id="r1_last_0" operation="start" crm-debug-origin="x" '
          'transition-magic="0:0;1:1:0:u" on_node="n1" crm_feature_set="3.16.1" rc-code="0" '
          'exit-reason="a &amp; b" a="x" ab="y" b="a=" c=""/>')
    lean = sim.parse_cib_chunks([lrm_cib(op)], lean=True)
    full = sim.parse_cib_chunks([lrm_cib(op)])
    for path in (".//lrm_rsc_op", ".//lrm_resource"):
        lean_el, full_el = lean.find(path), full.find(path)
        for name in full_el.keys():
            expected = None if name in sim.UNREAD_OP_ATTRS else full_el.get(name)
            assert lean_el.get(name) == expected, name
        assert lean_el.get("absent", "dflt") == "dflt"
    assert lean.find(".//lrm_rsc_op").get("exit-reason") == "a & b"
    assert lean.find("configuration") is not None and lean.get("execution-date") == "1000"


def test_an_element_whose_values_hold_a_separator_stays_as_parsed() -> None:
    op = '<lrm_rsc_op id="r1_last_0" operation="start" exit-reason="odd &#127; text"/>'
    lean = sim.parse_cib_chunks([lrm_cib(op)], lean=True)
    el = lean.find(".//lrm_rsc_op")
    assert el.attrib["exit-reason"] == "odd \x7f text" and el.get("operation") == "start"


def test_a_lean_parse_simulates_like_a_full_one() -> None:
    op = ('<lrm_rsc_op id="r1_last_failure_0" operation="monitor" interval="10000" '
          'operation_key="r1_monitor_10000" transition-key="1:1:0:u" call-id="3" rc-code="1" '
          'op-status="0" op-digest="x" exit-reason="boom"/>')
    lean = sim.simulate_root(sim.parse_cib_chunks([lrm_cib(op)], lean=True), now_s=0)
    full = sim.simulate(lrm_cib(op), now_s=0)
    assert lean.transition == full.transition
    assert sim.status_view(lean) == sim.status_view(full)


def test_lean_and_full_parses_agree_on_every_corpus_case(shared: Path) -> None:
    from hacluster.api import revised

    cases = sorted((shared / "conformance" / "scheduler").glob("*/input.xml"))
    assert cases
    for case in cases:
        data = case.read_bytes()
        lean = sim.simulate_root(sim.parse_cib_chunks([data], lean=True), now_s=0)
        full = sim.simulate(data, now_s=0)
        assert lean.transition == full.transition, case
        view = sim.status_view(lean)
        assert view == sim.status_view(full), case
        assert revised.revised_view(view, lean.transition.action_tuples()) == \
            sim.revised_status_view(full), case


def test_injections_act_on_a_lean_parse_as_on_a_full_one() -> None:
    op = ('<lrm_rsc_op id="r1_last_0" operation="start" interval="0" call-id="4" '
          'operation_key="r1_start_0" transition-key="1:1:0:u" rc-code="0" op-status="0"/>')
    inj = sim.Injections(node_down=("n2",), op_fail=("r1_monitor_10000@n9=1",),
                         op_inject=("d_monitor_0@n1=7",))
    lean = sim.simulate_root(sim.parse_cib_chunks([lrm_cib(op)], lean=True), 0, inj)
    full = sim.simulate(lrm_cib(op), 0, inj)
    assert lean.transition == full.transition
    assert sim.status_view(lean) == sim.status_view(full)
