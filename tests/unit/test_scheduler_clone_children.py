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
               if s.action.task == "start"]
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
