"""attrd and the fencer as node.py sees them: CIB writes, CPG sends, client requests."""

from __future__ import annotations

from hacluster.cib import parse_cib
from hacluster.common import NodeId
from hacluster.events import (
    AgentDone,
    AttrdQuery,
    AttrdRefresh,
    AttrUpdate,
    AttrValue,
    AttrValues,
    ClientRequest,
    FenceOutcome,
    FenceRequest,
    FencerReport,
    FencerStatusQuery,
    Reply,
    RunAgent,
)
from hacluster.node_services import FENCE_WIRE, STONITH_GROUP, NodeServices

CIB = """<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="3" num_updates="0"
 admin_epoch="0"><configuration><crm_config/>
<nodes><node id="1" uname="node1"/><node id="2" uname="node2"/><node id="3" uname="node3"/></nodes>
<resources><primitive id="f" class="stonith" type="fence_x"><instance_attributes id="i">
<nvpair id="h" name="pcmk_host_list" value="node2 node3"/></instance_attributes></primitive>
</resources><constraints/></configuration><status/></cib>"""


def services() -> NodeServices:
    node = NodeServices("node1")
    node.cib_changed(0, parse_cib(CIB))
    node.membership(0, (NodeId(1), NodeId(2), NodeId(3)))
    return node


def test_an_attribute_update_goes_round_the_group_and_into_the_cib() -> None:
    node = services()
    out = node.request(1, ClientRequest(7, AttrUpdate("node2", "pingd", "5")))
    assert out.external == [Reply(7, True)]
    [(group, data)] = out.sends
    delivered = node.deliver(2, group, NodeId(3), data)
    [write] = delivered.cib_writes
    assert (write.operation, write.section) == ("modify", "status")
    assert 'id="status-2-pingd"' in write.xml and 'uname="node2"' in write.xml
    query = node.request(3, ClientRequest(8, AttrdQuery("pingd", all_nodes=True)))
    assert query.external == [Reply(8, True, AttrValues(
        "node1", (AttrValue("node2", "pingd", "5", "reboot"),)))]


def test_a_private_attribute_is_answered_but_never_written_and_a_refresh_rewrites() -> None:
    """attrd_updater -p / -R through the node's request path."""
    node = services()
    for rid, update in enumerate([AttrUpdate("node2", "secret", "1", private=True),
                                  AttrUpdate("node2", "pingd", "5")], 20):
        [(group, data)] = node.request(1, ClientRequest(rid, update)).sends
        written = node.deliver(2, group, NodeId(1), data).cib_writes
    assert ["secret" in w.xml for w in written] == [False]
    out = node.request(3, ClientRequest(30, AttrdRefresh()))
    assert out.external == [Reply(30, True)]
    [(group, data)] = out.sends
    rewritten = node.deliver(4, group, NodeId(1), data).cib_writes
    assert len(rewritten) == 1 and 'name="pingd"' in rewritten[0].xml
    query = node.request(5, ClientRequest(31, AttrdQuery("secret", "node2")))
    assert query.external == [Reply(31, True, AttrValues(
        "node1", (AttrValue("node2", "secret", "1", "reboot"),)))]


def test_merged_fence_requests_answer_everyone_and_tell_peers_once() -> None:
    node = services()
    [run] = node.fence(0, FenceRequest("node2", "reboot", "node1", "t1")).external
    assert isinstance(run, RunAgent) and node.owns(AgentDone(run.call_id, 0))
    admin = node.request(1, ClientRequest(9, FenceRequest("node2")))
    assert admin.external == [], "the admin's request joins the one in flight"
    done = node.agent_done(2, AgentDone(run.call_id, 0))
    assert [r.request_id for r in done.to_controller] == ["t1", "node1-admin-1"]
    assert [group for group, _ in done.sends] == [STONITH_GROUP]
    assert done.external == [Reply(9, True, FenceOutcome(True, "f", ""))]
    status = node.request(3, ClientRequest(10, FencerStatusQuery()))
    body = status.external[0].body
    assert isinstance(body, FencerReport)
    assert body.devices == ("f",) and body.history[0].target == "node2"


def test_a_peers_fencing_result_reaches_history_and_controller_but_not_our_own_echo() -> None:
    node = services()
    [(_, data)] = node.agent_done(0, AgentDone(
        node.fence(0, FenceRequest("node3", "off", "node1", "x")).external[0].call_id, 0)).sends
    assert node.deliver(1, STONITH_GROUP, NodeId(1), data).to_controller == []
    peer = node.deliver(1, STONITH_GROUP, NodeId(2), data)
    assert [r.target for r in peer.to_controller] == ["node3"]
    assert node.deliver(1, STONITH_GROUP, NodeId(2), b"junk").to_controller == []
    assert FENCE_WIRE.decode(data) is not None
