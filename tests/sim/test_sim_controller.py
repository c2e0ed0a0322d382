"""The controller in the simulator: the same Node with controller and executor runs a
resource exactly once and moves it when its node dies."""

from __future__ import annotations

from typing import Any

from hacluster.cib import CIBRequest
from hacluster.common import NodeId
from hacluster.events import RunAgent, RunScheduler
from hacluster.scheduler import schedule
from hacluster.sim import World
from hacluster.sim.agents import FakeAgents, FakeRun
from hacluster.totem import params_for_token

IDS = [NodeId(1), NodeId(2), NodeId(3)]
DUMMY = ('<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy">'
         '<operations><op id="dummy-monitor-10s" name="monitor" interval="10s"/></operations>'
         '</primitive>')
PROPS = ('<crm_config><cluster_property_set id="cib-bootstrap-options">'
         '<nvpair id="o1" name="stonith-enabled" value="false"/>'
         '</cluster_property_set></crm_config>')


def make_world(seed: int = 1) -> World:
    world = World(seed, IDS, params_for_token(1000), crm=True)
    world.run_for(3000, lambda: world.is_converged())
    world.cib_write(NodeId(1), CIBRequest("replace", PROPS, "crm_config"))
    world.cib_write(NodeId(1), CIBRequest("create", DUMMY, "resources"))
    return world


def where(world: World, rsc: str) -> list[int]:
    return [int(n.removeprefix("node")) for n in world.agents.active(rsc)]


def test_resource_starts_exactly_once() -> None:
    world = make_world()
    world.run_for(5000)
    assert len(where(world, "dummy")) == 1
    doc = world.nodes[NodeId(1)].cib.replica.doc
    ops = doc.xpath("//lrm_rsc_op[@operation='start']")
    assert ops and ops[0].get("rc-code") == "0"
    assert doc.root.get("dc-uuid") == "1" and doc.root.get("have-quorum") == "1"
    states = doc.xpath("//node_state[@in_ccm='true'][@crmd='online'][@join='member']")
    assert sorted(s.get("uname") for s in states) == ["node1", "node2", "node3"]
    assert doc.xpath("//lrm_rsc_op[@id='dummy_monitor_10000'][@rc-code='0']")


def test_killing_the_node_of_a_resource_starts_it_elsewhere() -> None:
    world = make_world()
    world.run_for(5000)
    [holder] = where(world, "dummy")
    world.crash(NodeId(holder))  # the machine dies with its processes
    world.run_for(10000)
    now = where(world, "dummy")
    assert len(now) == 1 and now[0] != holder


CLONE = ('<clone id="c"><primitive id="p" class="ocf" provider="heartbeat" type="Dummy">'
         '<operations><op id="p-monitor-10s" name="monitor" interval="10s"/></operations>'
         '</primitive></clone>')


class RecordingAgents(FakeAgents):
    """Fake agents that remember every start they ran: (node, instance)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts: list[tuple[str, str]] = []

    def run(self, node: str, now_ms: int, run: RunAgent) -> FakeRun:
        if run.action == "start":
            self.starts.append((node, dict(run.env)["OCF_RESOURCE_INSTANCE"]))
        return super().run(node, now_ms, run)


def test_a_ring_reformed_during_slow_starts_starts_each_clone_instance_once() -> None:
    """A token loss re-forms the ring with the same members while starts run: they are
    waited for, not counted failed, so the next transition knows they happened and starts
    nothing twice (a second start meant a second clone instance on the same node)."""
    world = World(3, IDS, params_for_token(1000), crm=True)
    world.run_for(3000, lambda: world.is_converged())
    agents = RecordingAgents(world.agents.rng, min_ms=4000, max_ms=8000)
    world.agents = agents
    world.cib_write(NodeId(1), CIBRequest("replace", PROPS, "crm_config"))
    world.cib_write(NodeId(1), CIBRequest("create", CLONE, "resources"))
    world.run_for(20000, lambda: len(agents.starts) >= 3)
    world.network.partition([[NodeId(1), NodeId(2)], [NodeId(3)]])
    world.run_for(1500)
    world.network.heal()
    world.run_for(40000)
    per_node = sorted(node for node, _ in agents.starts)
    assert per_node == ["node1", "node2", "node3"], agents.starts


def test_an_allow_migrate_resource_migrates_and_is_monitored_where_it_went() -> None:
    world = World(1, IDS, params_for_token(1000), crm=True)
    world.run_for(3000, lambda: world.is_converged())
    world.cib_write(NodeId(1), CIBRequest("replace", PROPS, "crm_config"))
    migrating = DUMMY.replace("</operations>", "</operations><meta_attributes id='dm'>"
                              "<nvpair id='dm-am' name='allow-migrate' value='true'/>"
                              "</meta_attributes>")
    world.cib_write(NodeId(1), CIBRequest("create", migrating, "resources"))
    world.run_for(5000)
    [holder] = where(world, "dummy")
    target = 3 if holder != 3 else 2
    world.cib_write(NodeId(1), CIBRequest(
        "create", f'<rsc_location id="pref" rsc="dummy" node="node{target}" score="100"/>',
        "constraints"))
    world.run_for(8000)
    assert where(world, "dummy") == [target]
    doc = world.nodes[NodeId(1)].cib.replica.doc
    ops = {(o.getparent().getparent().getparent().getparent().get("uname"),
            o.get("operation")) for o in doc.xpath("//lrm_resource[@id='dummy']/lrm_rsc_op")}
    assert (f"node{holder}", "stop") in ops and (f"node{target}", "migrate_from") in ops
    assert doc.xpath(f"//node_state[@uname='node{target}']//lrm_rsc_op"
                     "[@id='dummy_monitor_10000'][@rc-code='0']")


def restart_in_place(holder: int) -> tuple[int, list[int], int]:
    """Kill the Dummy on `holder` and let its monitor find out: (scheduler runs the DC asked
    for until it runs there again with its fail count written, where it runs then, ms from
    the stop's end to the start's request)."""
    world = make_world()
    if holder != 1:
        world.cib_write(NodeId(1), CIBRequest("create", (
            f'<rsc_location id="prefer" rsc="dummy" node="node{holder}" score="100"/>'),
                                              "constraints"))
    world.run_for(15000)
    assert where(world, "dummy") == [holder]
    runs: list[object] = []
    world.listeners.append(lambda node, item: runs.append(item)
                           if isinstance(item, RunScheduler) else None)
    times: dict[str, int] = {}

    def run(w: World, node_id: NodeId, request: RunAgent) -> None:
        fake = w.agents.run(f"node{int(node_id)}", w.now_ms, request)
        times.setdefault(f"{request.action} asked", w.now_ms)
        times.setdefault(f"{request.action} done", fake.done_at_ms)
        if fake.done is not None:
            w.inject(node_id, fake.done, fake.done_at_ms - w.now_ms)
    world.agent_runner = run
    world.agents.fail_resource(f"node{holder}", "dummy")

    def recovered() -> bool:
        doc = world.nodes[NodeId(1)].cib.replica.doc  # type: ignore[union-attr]
        return where(world, "dummy") == [holder] and bool(
            doc.xpath("//nvpair[starts-with(@name, 'fail-count-dummy')]"))
    assert world.run_for(15000, recovered)
    world.run_for(2000)
    return len(runs), where(world, "dummy"), times["start asked"] - times["stop done"]


def test_a_failed_monitor_restarts_in_place_after_one_scheduler_run() -> None:
    """The DC counts the failure it sees before attrd writes the fail count, so that write
    does not abort the recovery and ask the scheduler again (on the DC and on another node)."""
    assert restart_in_place(1)[:2] == (1, [1])
    assert restart_in_place(2)[:2] == (1, [2])


def test_the_dc_goes_on_after_its_own_action_without_waiting_for_the_cib() -> None:
    """The start follows the DC's own stop at once; another node's stop reaches the DC
    through the CIB (its record is the news)."""
    assert restart_in_place(1)[2] == 0
    assert restart_in_place(2)[2] > 0


def quorum_stamp(world: World, node: int) -> tuple[str | None, str | None]:
    doc = world.nodes[NodeId(node)].cib.replica.doc  # type: ignore[union-attr]
    return doc.root.get("have-quorum"), doc.root.get("dc-uuid")


def test_a_dc_without_quorum_records_have_quorum_0_and_the_heal_records_1() -> None:
    """have-quorum and dc-uuid are the DC's status (Pacemaker's DC writes them whatever the
    quorum): node3 cut off alone is its own DC without quorum, and its CIB says so."""
    world = make_world()
    world.run_for(5000)
    assert [quorum_stamp(world, n) for n in (1, 2, 3)] == [("1", "1")] * 3
    world.network.partition([[NodeId(1), NodeId(2)], [NodeId(3)]])
    assert world.run_for(10000, lambda: quorum_stamp(world, 3) == ("0", "3")), \
        quorum_stamp(world, 3)
    assert quorum_stamp(world, 1) == ("1", "1") and quorum_stamp(world, 2) == ("1", "1")
    world.network.heal()
    assert world.run_for(15000, lambda: [quorum_stamp(world, n) for n in (1, 2, 3)]
                         == [("1", "1")] * 3), [quorum_stamp(world, n) for n in (1, 2, 3)]


def test_notify_actions_carry_the_lists_of_the_transition() -> None:
    """A notifying clone whose instances start: the post-notifications name every
    started instance and its node, in the OCF_RESKEY_CRM_meta_notify_* variables."""
    world = World(1, IDS, params_for_token(1000), crm=True)
    notes: list[dict[str, str]] = []

    def keep(_node: NodeId, item: Any) -> None:
        if isinstance(item, RunAgent) and item.action == "notify":
            notes.append(dict(item.env))

    world.listeners.append(keep)
    world.run_for(3000, lambda: world.is_converged())
    world.cib_write(NodeId(1), CIBRequest("replace", PROPS, "crm_config"))
    world.cib_write(NodeId(1), CIBRequest("create", (
        '<clone id="n"><meta_attributes id="n-m"><nvpair id="n-m1" name="notify" '
        'value="true"/></meta_attributes><primitive id="q" class="ocf" provider="heartbeat" '
        'type="Dummy"/></clone>'), "resources"))
    world.run_for(5000)
    post = [e for e in notes if e.get("OCF_RESKEY_CRM_meta_notify_type") == "post"]
    assert len(post) == 3
    env = post[0]
    assert env["OCF_RESKEY_CRM_meta_notify_operation"] == "start"
    assert env["OCF_RESKEY_CRM_meta_notify_start_resource"] == "q:0 q:1 q:2"
    assert env["OCF_RESKEY_CRM_meta_notify_start_uname"] == "node1 node2 node3"
    assert env["OCF_RESKEY_CRM_meta_notify_active_resource"] == " "
    assert env["OCF_RESKEY_CRM_meta_notify_all_uname"] == "node1 node2 node3"


def test_the_dc_records_its_version_and_the_cluster_layer_in_crm_config() -> None:
    """As Pacemaker's DC does: cib-bootstrap-options dc-version and cluster-infrastructure
    (with the ids Pacemaker gives them), written once the DC has quorum."""
    world = make_world()
    world.run_for(3000)
    doc = world.nodes[NodeId(3)].cib.replica.doc
    pairs = {p.get("name"): (p.get("id"), p.get("value")) for p in doc.xpath(
        "//crm_config/cluster_property_set[@id='cib-bootstrap-options']/nvpair")}
    assert pairs["cluster-infrastructure"] == (
        "cib-bootstrap-options-cluster-infrastructure", "corosync")
    dc_id, version = pairs["dc-version"]
    assert dc_id == "cib-bootstrap-options-dc-version" and version.startswith("2.1.5-hacluster")
    assert pairs["stonith-enabled"][1] == "false"  # the user's options stay


def test_an_op_disabled_while_it_runs_is_cancelled_by_the_graph_and_the_dc_goes_idle() -> None:
    """The graph drives recurring ops: an op disabled while it runs gets a cancel in the
    next transition; the node stops running it and drops it from its history, so the
    following graphs are empty and nothing makes the DC schedule again while idle."""
    world = make_world()
    world.run_for(5000)
    assert len(where(world, "dummy")) == 1
    world.cib_write(NodeId(1), CIBRequest(
        "modify", '<op id="dummy-monitor-10s" name="monitor" interval="10s" enabled="false"/>',
        "resources"))
    world.run_for(5000)
    doc = world.nodes[NodeId(1)].cib.replica.doc
    assert schedule(doc.root, 2_000_000_000).synapses == ()
    assert not doc.xpath("//lrm_rsc_op[@operation='monitor'][@interval='10000']")
    crm = world.nodes[NodeId(1)].crm
    assert crm is not None
    before, runs = crm.controller.status().transitions, len(world.agents.monitored)
    world.run_for(60_000)
    assert crm.controller.status().transitions == before
    assert len(world.agents.monitored) == runs  # the monitor no longer runs
    assert len(where(world, "dummy")) == 1
