"""The controller in the simulator: the same Node with controller and executor runs a
resource exactly once and moves it when its node dies."""

from __future__ import annotations

from crm_fakes import FakeExecutor

from hacluster.cib import CIBRequest
from hacluster.common import NodeId
from hacluster.sim import World
from hacluster.totem import params_for_token

IDS = [NodeId(1), NodeId(2), NodeId(3)]
DUMMY = ('<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy">'
         '<operations><op id="dummy-monitor-10s" name="monitor" interval="10s"/></operations>'
         '</primitive>')
PROPS = ('<crm_config><cluster_property_set id="cib-bootstrap-options">'
         '<nvpair id="o1" name="stonith-enabled" value="false"/>'
         '</cluster_property_set></crm_config>')


def make_world(seed: int = 1) -> tuple[World, dict[NodeId, set[str]]]:
    truth: dict[NodeId, set[str]] = {}
    world = World(seed, IDS, params_for_token(1000), crm=True,
                  executor_factory=lambda n: FakeExecutor(n, truth))
    world.run_for(3000, lambda: world.is_converged())
    world.cib_write(NodeId(1), CIBRequest("replace", PROPS, "crm_config"))
    world.cib_write(NodeId(1), CIBRequest("create", DUMMY, "resources"))
    return world, truth


def where(truth: dict[NodeId, set[str]], rsc: str) -> list[int]:
    return sorted(int(n) for n, running in truth.items() if rsc in running)


def test_resource_starts_exactly_once() -> None:
    world, truth = make_world()
    world.run_for(5000)
    assert len(where(truth, "dummy")) == 1, truth
    doc = world.nodes[NodeId(1)].cib.replica.doc
    ops = doc.xpath("//lrm_rsc_op[@operation='start']")
    assert ops and ops[0].get("rc-code") == "0"
    assert doc.root.get("dc-uuid") == "1" and doc.root.get("have-quorum") == "1"
    states = doc.xpath("//node_state[@in_ccm='true'][@crmd='online'][@join='member']")
    assert sorted(s.get("uname") for s in states) == ["node1", "node2", "node3"]
    assert doc.xpath("//lrm_rsc_op[@id='dummy_monitor_10000'][@rc-code='0']")


def test_killing_the_node_of_a_resource_starts_it_elsewhere() -> None:
    world, truth = make_world()
    world.run_for(5000)
    [holder] = where(truth, "dummy")
    world.crash(NodeId(holder))
    truth[NodeId(holder)] = set()  # the machine died with its processes
    world.run_for(10000)
    now = where(truth, "dummy")
    assert len(now) == 1 and now[0] != holder, truth
