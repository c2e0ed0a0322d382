"""Scheduler stages on small hand-written CIBs: placement, rules, orderings, summary text."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule, unpack
from hacluster.scheduler.rules import compare_values

RUNNING = ('<lrm id="{n}"><lrm_resources><lrm_resource id="{r}" class="ocf" provider="heartbeat" '
           'type="Dummy"><lrm_rsc_op id="{r}_start_0" operation="start" interval="0" '
           'op-status="0" rc-code="{rc}" call-id="2" transition-key="1:1:0:x" '
           'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>'
           '</lrm_resource></lrm_resources></lrm>')


def cib(resources: str, constraints: str = "", running: dict[str, str] | None = None,
        props: str = "", rc: int = 0, nodes: tuple[str, ...] = ("node1", "node2")) -> object:
    running = running or {}
    states = "".join(
        cibkit.node_state(n, inner="".join(RUNNING.format(n=n, r=r, rc=rc)
                                           for r, where in running.items() if where == n))
        for n in nodes)
    return cibkit.cib(nodes, resources, constraints, states, props=props, set_id="cps")


def prim(rid: str, meta: str = "") -> str:
    return (f'<primitive id="{rid}" class="ocf" provider="heartbeat" type="Dummy">'
            f'<meta_attributes id="{rid}-m">{meta}</meta_attributes></primitive>')


def lines(root: object) -> list[str]:
    return [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]


def test_a_stopped_resource_starts_on_the_preferred_node() -> None:
    root = cib(prim("r1"), '<rsc_location id="l" rsc="r1" node="node2" score="50"/>')
    assert lines(root) == ["* Start r1 ( node2 )"]


def test_stickiness_keeps_resource_in_place() -> None:
    meta = '<nvpair id="st" name="resource-stickiness" value="100"/>'
    root = cib(prim("r1", meta), '<rsc_location id="l" rsc="r1" node="node2" score="50"/>',
               {"r1": "node1"})
    assert lines(root) == []


def test_negative_infinity_location_moves_the_resource_away() -> None:
    root = cib(prim("r1"), '<rsc_location id="l" rsc="r1" node="node1" score="-INFINITY"/>',
               {"r1": "node1"})
    assert lines(root) == ["* Move r1 ( node1 -> node2 )"]


def test_failed_start_is_recovered_in_place() -> None:
    root = cib(prim("r1"), "", {"r1": "node1"}, rc=1)
    assert lines(root) == ["* Recover r1 ( node1 )"]


def test_mandatory_order_blocks_the_then_resource() -> None:
    meta = '<nvpair id="tr" name="target-role" value="Stopped"/>'
    root = cib(prim("a", meta) + prim("b"),
               '<rsc_order id="o" first="a" then="b" kind="Mandatory"/>')
    assert lines(root) == ["* Start b ( node1 ) due to unrunnable a start (blocked)"]


def test_rule_on_a_node_attribute_places_by_uname() -> None:
    rule = ('<rsc_location id="l" rsc="r1"><rule id="ru" score="INFINITY">'
            '<expression id="e" attribute="#uname" operation="eq" value="node2"/></rule>'
            "</rsc_location>")
    assert lines(cib(prim("r1"), rule)) == ["* Start r1 ( node2 )"]


def test_clone_instances_spread_one_per_node() -> None:
    clone = f'<clone id="c">{prim("d")}</clone>'
    assert sorted(lines(cib(clone))) == ["* Start d:0 ( node1 )", "* Start d:1 ( node2 )"]


def test_unpack_reads_current_roles_from_history() -> None:
    model = unpack(cib(prim("r1"), "", {"r1": "node2"}), now_s=0)
    assert model.states["r1"].running_on == ("node2",)
    assert model.nodes["node1"].online


def test_number_and_version_comparisons_follow_their_type() -> None:
    assert compare_values("10", "9", "number", "gt") == 1
    assert compare_values("10", "9", "string", "gt") == -1
    assert compare_values("1.10", "1.9", "version", "gt") == 1


def test_a_red_node_is_avoided_under_migrate_on_red() -> None:
    root = cib(prim("r1"), '<rsc_location id="l" rsc="r1" node="node1" score="50"/>',
               props='<nvpair id="h" name="node-health-strategy" value="migrate-on-red"/>')
    state = root.find("status/node_state")
    attrs = etree.SubElement(etree.SubElement(state, "transient_attributes", id="t"),
                             "instance_attributes", id="ti")
    etree.SubElement(attrs, "nvpair", id="hr", name="#health-disk", value="red")
    assert lines(root) == ["* Start r1 ( node2 )"]


def test_changed_parameters_restart_a_running_resource() -> None:
    text = prim("r1").replace(
        "</primitive>",
        '<instance_attributes id="ia"><nvpair id="p" name="ip" value="10.0.0.9"/>'
        "</instance_attributes></primitive>")
    root = cib(text, "", {"r1": "node1"})
    op = root.find(".//lrm_rsc_op")
    op.set("op-digest", "f2317cad3d54cec5d7d7aa7d0bf35cf8")  # digest of no parameters
    assert lines(root) == ["* Restart r1 ( node1 ) due to resource definition change"]


def test_multiple_active_block_leaves_the_resource_alone() -> None:
    meta = '<nvpair id="ma" name="multiple-active" value="block"/>'
    root = cib(prim("r1", meta), "", {"r1": "node1"})
    extra = root.find("status/node_state[@uname='node2']")
    extra.append(etree.fromstring(RUNNING.format(n="node2", r="r1", rc=0)))
    assert lines(root) == []


def test_clone_min_blocks_the_then_clone_until_enough_instances_run() -> None:
    first = ('<clone id="a-clone"><meta_attributes id="am"><nvpair id="cm" name="clone-min" '
             f'value="3"/></meta_attributes>{prim("a")}</clone>')
    then = f'<clone id="b-clone">{prim("b")}</clone>'
    order = '<rsc_order id="o" first="a-clone" then="b-clone" kind="Mandatory"/>'
    got = sorted(lines(cib(first + then, order)))
    assert got[:2] == ["* Start a:0 ( node1 )", "* Start a:1 ( node2 )"]
    assert all("due to unrunnable clone-one-or-more:o (blocked)" in x for x in got[2:])


def test_a_failed_start_with_migration_threshold_one_moves_away() -> None:
    meta = '<nvpair id="mt" name="migration-threshold" value="1"/>'
    root = cib(prim("r1", meta), "", {"r1": "node1"}, rc=1)
    state = root.find("status/node_state")
    attrs = etree.SubElement(etree.SubElement(state, "transient_attributes", id="t"),
                             "instance_attributes", id="ti")
    etree.SubElement(attrs, "nvpair", id="fc", name="fail-count-r1", value="1")
    assert lines(root) == ["* Recover r1 ( node1 -> node2 )"]
