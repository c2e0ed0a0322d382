"""crm_simulate's text as the real crm_simulate 2.1.5 prints it on CIBs written here: the
Transition Summary's columns, the order of "Executing Cluster Transition" (Pacemaker's
graph order run in passes, with the clone's pseudo actions), and the clean-up of an orphan
that is still active (stopped, then its history deleted; left alone with
stop-orphan-resources=false). Every expected text below is the real tool's output."""

from __future__ import annotations

from lxml import etree

from hacluster.scheduler import schedule
from hacluster.scheduler.graph import SummaryItem, summary_text

NODES = ("node1", "node2")
DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"


def started(rid: str) -> str:
    key = "1:1:0:x"
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_start_0" operation_key="{rid}_start_0" operation="start" '
            f'interval="0" op-status="0" rc-code="0" call-id="1" transition-key="{key}" '
            f'transition-magic="0:0;{key}" op-digest="{DIGEST}"/></lrm_resource>')


def cib(resources: str, status: dict[str, str] | None = None, constraints: str = "",
        props: str = "", nodes: tuple[str, ...] = NODES) -> object:
    status = status or {}
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>{status.get(n, "")}'
        "</lrm_resources></lrm></node_state>" for n in nodes)
    return etree.fromstring(
        '<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
        f'<nvpair id="s" name="stonith-enabled" value="false"/>{props}'
        "</cluster_property_set></crm_config><nodes>"
        + "".join(f'<node id="{n}" uname="{n}"/>' for n in nodes)
        + f"</nodes><resources>{resources}</resources><constraints>{constraints}"
        f"</constraints></configuration><status>{states}</status></cib>")


def primitive(rid: str, ops: str = "") -> str:
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f"<operations>{ops}</operations></primitive>")


def test_summary_columns_widen_to_the_longest_id_plus_two_and_right_align_details() -> None:
    items = [SummaryItem("Start", "A", "node1", ""),
             SummaryItem("Move", "a_longer_id", "node1 -> node2", ""),
             SummaryItem("Stop", "B", "node2", "due to node availability")]
    assert summary_text(items) == [
        "  * Start      A               (          node1 )",
        "  * Move       a_longer_id     ( node1 -> node2 )",
        "  * Stop       B               (          node2 )  due to node availability"]
    root = cib(primitive("A") + primitive("a_longer_id"), {"node1": started("a_longer_id")},
               '<rsc_location id="l" rsc="a_longer_id" node="node2" score="10"/>'
               '<rsc_location id="l2" rsc="A" node="node1" score="10"/>')
    assert schedule(root, now_s=0).summary_lines() == [
        "  * Start      A               (          node1 )",
        "  * Move       a_longer_id     ( node1 -> node2 )"]


def test_executed_actions_follow_the_graph_order_in_passes() -> None:
    clone = ('<clone id="M"><meta_attributes id="mm"><nvpair id="mm1" name="promotable" '
             'value="true"/><nvpair id="mm2" name="clone-max" value="2"/></meta_attributes>'
             '<primitive id="S" class="ocf" provider="pacemaker" type="Stateful"><operations>'
             '<op id="m" name="monitor" interval="10s"/></operations></primitive></clone>')
    root = cib(clone, constraints='<rsc_location id="l" rsc="M" node="node1" score="100" '
                                  'role="Promoted"/>')
    assert schedule(root, now_s=0).execution_lines() == [
        "  * Resource action: S:0             monitor on node1",
        "  * Resource action: S:1             monitor on node2",
        "  * Pseudo action:   M_start_0",
        "  * Resource action: S:0             start on node1",
        "  * Resource action: S:1             start on node2",
        "  * Pseudo action:   M_running_0",
        "  * Resource action: S:1             monitor=10000 on node2",
        "  * Pseudo action:   M_promote_0",
        "  * Resource action: S:0             promote on node1",
        "  * Pseudo action:   M_promoted_0"]


def test_an_active_orphan_is_stopped_then_its_history_deleted() -> None:
    nodes = ("node1", "node2", "node3")
    probed = started("Z").replace('operation="start"', 'operation="monitor"').replace(
        'rc-code="0"', 'rc-code="7"').replace("_start_0", "_monitor_0").replace(
        ":0:x", ":7:x").replace("0:0;", "0:7;")
    root = cib(primitive("A"), {"node1": started("A") + started("Z"), "node2": probed},
               nodes=nodes)
    assert schedule(root, now_s=0).execution_lines() == [
        "  * Resource action: A               monitor on node3",
        "  * Resource action: A               monitor on node2",
        "  * Resource action: Z               stop on node1",
        "  * Resource action: Z               delete on node2",
        "  * Resource action: Z               delete on node1"]
    kept = '<nvpair id="so" name="stop-orphan-resources" value="false"/>'
    root = cib(primitive("A"), {"node1": started("A") + started("Z")}, props=kept, nodes=nodes)
    assert schedule(root, now_s=0).execution_lines() == [
        "  * Resource action: A               monitor on node3",
        "  * Resource action: A               monitor on node2"]


def test_priority_is_read_as_an_integer_prefix_for_the_summary_order() -> None:
    meta = '<meta_attributes id="{0}-m"><nvpair id="{0}-p" name="priority" value="{1}"/>' \
           '</meta_attributes>'
    resources = (primitive("rsc1").replace("<operations>", meta.format("rsc1", "1.0")
                                           + "<operations>")
                 + primitive("rsc2").replace("<operations>", meta.format("rsc2", "2.0")
                                             + "<operations>"))
    root = cib(resources, constraints='<rsc_location id="l" rsc="rsc1" node="node2" '
                                      'score="10"/><rsc_location id="l2" rsc="rsc2" '
                                      'node="node1" score="10"/>')
    assert schedule(root, now_s=0).summary_lines() == [
        "  * Start      rsc2    ( node1 )",
        "  * Start      rsc1    ( node2 )"]
