"""The whole node in the simulator with the real executor, attrd and fencer over fake agents:
a lost node is fenced before its resource runs elsewhere, a failed fence leaves it alone,
and a node attribute set through attrd reaches the scheduler's location rule."""

from __future__ import annotations

from lxml import etree

from hacluster.cib import CIBRequest
from hacluster.common import NodeId
from hacluster.events import AttrUpdate, ClientRequest
from hacluster.sim import World
from hacluster.sim.agents import Failure, FakeAgents
from hacluster.totem import params_for_token

IDS = [NodeId(1), NodeId(2), NodeId(3)]
DUMMY = ('<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy">'
         '<operations><op id="dummy-monitor-10s" name="monitor" interval="10s"/></operations>'
         '</primitive>')
FENCE = ('<primitive id="fence" class="stonith" type="fence_fake">'
         '<instance_attributes id="fence-i"><nvpair id="fence-h" name="pcmk_host_list" '
         'value="node1 node2 node3"/></instance_attributes></primitive>')
PINGD_RULE = ('<rsc_location id="dummy-needs-ping" rsc="dummy"><rule id="r" score="-INFINITY" '
              'boolean-op="or"><expression id="e1" attribute="pingd" operation="not_defined"/>'
              '<expression id="e2" attribute="pingd" operation="lte" value="0" type="number"/>'
              '</rule></rsc_location>')


def props(stonith: bool, extra: str = "") -> str:
    return ('<crm_config><cluster_property_set id="cib-bootstrap-options">'
            f'<nvpair id="o1" name="stonith-enabled" value="{str(stonith).lower()}"/>{extra}'
            '</cluster_property_set></crm_config>')


def make_world(seed: int, stonith: bool, resources: str,
               constraints: str = "", extra_props: str = "") -> tuple[World, FakeAgents]:
    world = World(seed, IDS, params_for_token(1000), crm=True)  # real executors, fake agents
    agents = world.agents
    world.run_for(3000, lambda: world.is_converged())
    world.cib_write(NodeId(1), CIBRequest("replace", props(stonith, extra_props),
                                          "crm_config"))
    world.run_for(200)
    # Resources and constraints in one write: the scheduler never sees one without the other.
    live = world.nodes[NodeId(1)].cib.replica.doc.root  # type: ignore[union-attr]
    config = etree.fromstring(etree.tostring(live.find("configuration")))  # a copy
    config.replace(config.find("resources"), etree.fromstring(
        f"<resources>{''.join(resources)}</resources>"))
    config.replace(config.find("constraints"), etree.fromstring(
        f"<constraints>{constraints}</constraints>"))
    world.cib_write(NodeId(1), CIBRequest("replace", etree.tostring(config).decode(),
                                          "configuration"))
    return world, agents


def run_checking_single_active(world: World, agents: FakeAgents, ms: int) -> None:
    for _ in range(ms // 100):
        world.run_for(100)
        assert len(agents.active("dummy")) <= 1, f"dummy active twice: {agents.active('dummy')}"


def fence_history(world: World) -> list[tuple[str, bool]]:
    seen = []
    for node in world.nodes.values():
        services = node.status().services
        assert services is not None
        seen += [(e.target, e.ok) for e in services.fencer.history]
    return sorted(set(seen))


def test_a_lost_node_is_fenced_before_its_resource_starts_elsewhere() -> None:
    world, agents = make_world(1, True, [FENCE, DUMMY])
    run_checking_single_active(world, agents, 5000)
    [holder] = agents.active("dummy")
    world.crash(NodeId(int(holder.removeprefix("node"))), power_off=False)  # daemon only
    run_checking_single_active(world, agents, 15000)
    [now] = agents.active("dummy")
    assert now != holder
    assert (holder, True) in fence_history(world), "every survivor heard of the fencing"


def test_a_failed_fence_leaves_the_lost_nodes_resource_alone() -> None:
    world, agents = make_world(2, True, [FENCE, DUMMY])
    run_checking_single_active(world, agents, 5000)
    [holder] = agents.active("dummy")
    agents.script(Failure(rsc=holder, action="reboot", rc=1, times=1000))
    world.crash(NodeId(int(holder.removeprefix("node"))), power_off=False)  # daemon only
    run_checking_single_active(world, agents, 15000)
    assert agents.active("dummy") == (holder,), "no recovery without confirmed fencing"
    assert (holder, False) in fence_history(world)
    assert (holder, True) not in fence_history(world)


def fence_attempts(world: World, target: str) -> list[tuple[int, bool]]:
    """(when, ok) of each fencing of `target`, as the fencers that ran it remember them."""
    seen = set()
    for node in world.nodes.values():
        services = node.status().services
        if services is not None:
            seen |= {(e.completed_ms, e.ok) for e in services.fencer.history
                     if e.target == target and services.fencer.node == e.executioner}
    return sorted(seen)


def test_the_dc_stops_retrying_a_failing_fence_after_stonith_max_attempts() -> None:
    """stonith-max-attempts=3: three failed fencings of the lost node, then the DC plans no
    new one on its own (in minutes, not only between backoffs); a change (here: the CIB
    says a new property) makes it try again, and a working device then fences it."""
    world, agents = make_world(2, True, [FENCE, DUMMY], extra_props=(
        '<nvpair id="o2" name="stonith-max-attempts" value="3"/>'))
    run_checking_single_active(world, agents, 5000)
    [holder] = agents.active("dummy")
    agents.script(Failure(rsc=holder, action="reboot", rc=1, times=1000))
    world.crash(NodeId(int(holder.removeprefix("node"))), power_off=False)  # daemon only
    run_checking_single_active(world, agents, 300_000)
    assert [ok for _, ok in fence_attempts(world, holder)] == [False] * 3
    agents._failures.clear()  # the device works again
    survivor = next(n for n in IDS if f"node{int(n)}" != holder)
    world.cib_write(survivor, CIBRequest("modify", props(True, (
        '<nvpair id="o3" name="cluster-recheck-interval" value="20min"/>')), "crm_config"))
    run_checking_single_active(world, agents, 30_000)
    assert [ok for _, ok in fence_attempts(world, holder)] == [False] * 3 + [True]
    [now] = agents.active("dummy")
    assert now != holder


def test_a_pingd_value_set_through_attrd_lets_the_resource_start_there() -> None:
    world, agents = make_world(3, False, [DUMMY], PINGD_RULE)
    world.run_for(5000)
    assert agents.active("dummy") == (), "no node has pingd yet"
    world.inject(NodeId(3), ClientRequest(1, AttrUpdate("", "pingd", "100")))
    world.run_for(5000)
    assert agents.active("dummy") == ("node3",)
    doc = world.nodes[NodeId(2)].cib.replica.doc  # type: ignore[union-attr]
    assert doc.xpath("//node_state[@uname='node3']/transient_attributes//"
                     "nvpair[@name='pingd'][@value='100']")
    for node in world.nodes.values():
        services = node.status().services
        assert services is not None
        assert [(v.node, v.value) for v in services.attrd.values] == [("node3", "100")]


def test_a_start_that_hangs_or_crashes_is_a_recorded_failure_and_the_resource_moves() -> None:
    world, agents = make_world(4, False, [DUMMY])
    # Every start on node1 hangs, every start on node2 crashes: only node3 can run it.
    agents.script(Failure(node="node1", rsc="dummy", action="start", behaviour="hang",
                          times=100))
    agents.script(Failure(node="node2", rsc="dummy", action="start", behaviour="crash",
                          times=100))
    world.run_for(60_000)
    assert agents.active("dummy") == ("node3",)
    doc = world.nodes[NodeId(3)].cib.replica.doc  # type: ignore[union-attr]
    failures = {(op.xpath("string(ancestor::node_state/@uname)"), op.get("op-status"),
                 op.get("exit-reason"))
                for op in doc.xpath("//lrm_rsc_op[@operation='start'][@rc-code!='0']")}
    assert ("node1", "2", "start timed out after 20000ms") in failures, failures
    assert ("node2", "4", "agent killed by SIGSEGV") in failures, failures
