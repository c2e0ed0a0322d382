"""Anonymous clones as the node sees them: a constraint naming the clone's primitive
applies to the clone (crm_resource --ban of the primitive), and an instance's actions run
and are recorded under the primitive's plain id (Pacemaker's graph id beside long-id)."""

from __future__ import annotations

from lxml import etree

from hacluster.controller.records import op_request
from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")


def clone_cib(constraints: str, running: tuple[str, ...] = NODES, lrm_id: str = "d") -> object:
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>'
        + (f'<lrm_resource id="{lrm_id}" class="ocf" provider="heartbeat" type="Dummy">'
           f'<lrm_rsc_op id="d_last_0" operation="start" interval="0" op-status="0" '
           'rc-code="0" call-id="2" transition-key="1:1:0:x" '
           'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource>'
           if n in running else "")
        + "</lrm_resources></lrm></node_state>" for n in NODES)
    text = ('<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
            '<nvpair id="s" name="stonith-enabled" value="false"/></cluster_property_set>'
            '</crm_config><nodes>' + "".join(f'<node id="{n}" uname="{n}"/>' for n in NODES)
            + '</nodes><resources><clone id="dc"><primitive id="d" class="ocf" '
            'provider="heartbeat" type="Dummy"/></clone></resources>'
            f"<constraints>{constraints}</constraints></configuration>"
            f"<status>{states}</status></cib>")
    return etree.fromstring(text)


def summary(root: object) -> list[str]:
    return [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]


def test_a_ban_of_the_clones_primitive_stops_only_that_nodes_instance() -> None:
    ban = ('<rsc_location id="cli-ban-d-on-node2" rsc="d" role="Started" node="node2" '
           'score="-INFINITY"/>')
    assert summary(clone_cib(ban)) == ["* Stop d:1 ( node2 ) due to node availability"]


def test_a_colocation_with_the_clones_primitive_follows_the_clone() -> None:
    resources = ('<primitive id="p" class="ocf" provider="heartbeat" type="Dummy"/>')
    root = clone_cib('<rsc_location id="no3" rsc="dc" node="node3" score="-INFINITY"/>'
                     '<rsc_colocation id="col" rsc="p" with-rsc="d" score="INFINITY"/>'
                     '<rsc_location id="l" rsc="p" node="node3" score="10"/>',
                     running=("node1", "node2"))
    root.find("configuration/resources").append(etree.fromstring(resources))
    assert summary(root) == ["* Start p ( node1 )"]


def test_a_new_anonymous_instance_runs_under_the_primitives_plain_id() -> None:
    actions = [s.action for s in schedule(clone_cib("", running=("node1",)), now_s=0).synapses
               if s.action.task == "start" and not s.action.pseudo]
    assert sorted(a.node for a in actions) == ["node2", "node3"]
    assert {a.history_id for a in actions} == {"d"}
    assert all(a.rsc is not None and a.rsc.startswith("d:") for a in actions)


def test_an_instance_with_numbered_history_keeps_that_name() -> None:
    root = clone_cib("", running=("node1",), lrm_id="d:0")
    stops = [s.action for s in schedule(root, now_s=0).synapses if s.action.task == "monitor"
             and s.action.node == "node1"]
    assert all(a.history_id in ("", "d:0") for a in stops)


def test_the_controller_runs_an_anonymous_instance_by_plain_id_with_its_clone_number() -> None:
    op = op_request(clone_cib(""), "d", "start", 0, "1:1:0:1", "node1", 0, "d:2")
    assert op is not None
    assert op.rsc_id == "d"
    assert dict(op.meta)["clone"] == "2"


def op(rid: str, task: str, interval: int, rc: int, key: str, call: int = 2) -> str:
    return (f'<lrm_rsc_op id="{rid}_{key}" operation_key="{rid}_{task}_{interval}" '
            f'operation="{task}" interval="{interval}" op-status="0" rc-code="{rc}" '
            f'call-id="{call}" transition-key="1:1:0:x" transition-magic="0:{rc};1:1:0:x" '
            'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def ordered_cib(failed_on: str) -> object:
    """Clone `oc` (of `o`) everywhere, `p` on node1 with it and after it (A11/A12 in
    miniature); the recurring monitor of `o` failed on `failed_on`."""
    states = ""
    for n in NODES:
        o_ops = op("o", "start", 0, 0, "last_0") + (
            op("o", "monitor", 10000, 7, "monitor_10000", 4)
            + op("o", "monitor", 10000, 7, "last_failure_0", 4) if n == failed_on else "")
        p_rsc = (f'<lrm_resource id="p" class="ocf" provider="heartbeat" type="Dummy">'
                 f'{op("p", "start", 0, 0, "last_0")}</lrm_resource>' if n == "node1" else "")
        states += (f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" '
                   f'join="member" expected="member"><lrm id="{n}"><lrm_resources>'
                   f'<lrm_resource id="o" class="ocf" provider="heartbeat" type="Dummy">'
                   f'{o_ops}</lrm_resource>{p_rsc}</lrm_resources></lrm></node_state>')
    text = ('<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
            '<nvpair id="s" name="stonith-enabled" value="false"/></cluster_property_set>'
            '</crm_config><nodes>' + "".join(f'<node id="{n}" uname="{n}"/>' for n in NODES)
            + '</nodes><resources><clone id="oc"><meta_attributes id="oc-m"><nvpair '
            'id="oc-i" name="interleave" value="true"/></meta_attributes><primitive id="o" '
            'class="ocf" provider="heartbeat" type="Dummy"><operations><op id="o-m" '
            'name="monitor" interval="10s"/></operations></primitive></clone><primitive '
            'id="p" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints>'
            '<rsc_colocation id="p-with-oc" rsc="p" with-rsc="oc" score="INFINITY"/>'
            '<rsc_order id="oc-then-p" first="oc" then="p" kind="Mandatory"/></constraints>'
            f"</configuration><status>{states}</status></cib>")
    return etree.fromstring(text)


def test_an_instance_recovered_on_the_primitives_node_restarts_it_after_the_instance() -> None:
    root = ordered_cib("node1")
    assert summary(root) == [
        "* Recover o:0 ( node1 )",
        "* Restart p ( node1 ) due to required oc running"]
    synapses = schedule(root, now_s=0).synapses
    by_key = {(s.action.rsc, s.action.task, s.action.node): s for s in synapses}
    o_start, p_start = by_key[("o:0", "start", "node1")], by_key[("p", "start", "node1")]
    p_stop, o_stop = by_key[("p", "stop", "node1")], by_key[("o:0", "stop", "node1")]
    assert o_start.id in p_start.inputs  # p starts after its node's instance is back
    assert p_stop.id in o_stop.inputs  # and stops before it goes


def test_an_instance_recovered_elsewhere_leaves_the_primitive_alone() -> None:
    assert summary(ordered_cib("node2")) == ["* Recover o:1 ( node2 )"]
