"""Seeded simulator runs of the whole cluster manager: three to five nodes with fencing,
a few Dummy resources, then a safety phase with faults (machines crashing and coming back,
partitions, resources dying) and a liveness phase that heals everything and must converge.

Checked after every event: no resource ever runs on two nodes (fencing is enabled, so a
lost node's resources count as stopped only once it is fenced). Liveness: after the heal
every resource runs exactly once, within a bound. The EayunStack mix runs the same faults
on the EayunStack configuration (passed in: the sim reads no files) without fencing, and
must settle where its scheduler wants it. Owns the fault schedule and the verdict of one
seed; must never use randomness other than random.Random(seed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from lxml import etree

from hacluster.cib import CIBRequest
from hacluster.common import NodeId
from hacluster.events import RunScheduler
from hacluster.node import run_scheduler
from hacluster.sim.world import WALL_OFFSET_MS, World
from hacluster.totem import params_for_token

SAFETY_MS = 40_000
LIVENESS_MS = 60_000


@dataclass(frozen=True, slots=True)
class CRMSeedResult:
    seed: int
    ok: bool
    reason: str
    virtual_ms: int


def configuration(nodes: int, resources: int) -> str:
    hosts = " ".join(f"node{n}" for n in range(1, nodes + 1))
    prims = "".join(
        f'<primitive id="r{i}" class="ocf" provider="heartbeat" type="Dummy"><operations>'
        f'<op id="r{i}-mon" name="monitor" interval="3s"/></operations></primitive>'
        for i in range(1, resources + 1))
    fence = ('<primitive id="fence" class="stonith" type="fence_fake"><instance_attributes '
             f'id="fence-i"><nvpair id="fence-h" name="pcmk_host_list" value="{hosts}"/>'
             '</instance_attributes></primitive>')
    props = ('<crm_config><cluster_property_set id="cib-bootstrap-options">'
             '<nvpair id="o1" name="stonith-enabled" value="true"/>'
             '<nvpair id="o2" name="no-quorum-policy" value="stop"/>'
             '</cluster_property_set></crm_config>')
    nodes_xml = "".join(f'<node id="{n}" uname="node{n}"/>' for n in range(1, nodes + 1))
    return (f"<configuration>{props}<nodes>{nodes_xml}</nodes>"
            f"<resources>{fence}{prims}</resources><constraints/></configuration>")


class DoubleActive:
    """The after-every-event check: a resource never runs on two nodes."""

    def __init__(self, world: World, resources: list[str]) -> None:
        self.world = world
        self.resources = resources

    def __call__(self, _node: NodeId, _item: Any) -> None:
        for rsc in self.resources:
            active = self.world.agents.active(rsc)
            if len(active) > 1:
                self.world.checker.fail(self.world.now_ms, f"{rsc} active on {active}")


def run_crm_seed(seed: int) -> CRMSeedResult:
    rng = random.Random(seed)
    ids = [NodeId(n) for n in range(1, rng.choice((3, 3, 4, 5)) + 1)]
    resources = [f"r{i}" for i in range(1, rng.randint(1, 4) + 1)]
    world = World(seed, ids, params_for_token(1000), crm=True)
    world.listeners.append(DoubleActive(world, resources))
    world.run_for(5000, world.is_converged)
    world.cib_write(ids[0], CIBRequest("replace", configuration(len(ids), len(resources)),
                                       "configuration"))
    world.run_for(3000)
    end = world.now_ms + SAFETY_MS
    while world.now_ms < end and not world.checker.violations:
        fault(world, rng, ids, resources)
        world.run_for(rng.randint(1000, 6000))
    if world.checker.violations:
        return CRMSeedResult(seed, False, world.checker.violations[0], world.now_ms)
    world.network.heal()
    for node in ids:
        if node not in world.nodes:
            world.start(node)
    settled = world.run_for(LIVENESS_MS, lambda: all(
        len(world.agents.active(r)) == 1 for r in resources) and world.is_converged())
    if world.checker.violations:
        return CRMSeedResult(seed, False, world.checker.violations[0], world.now_ms)
    if not settled:
        where = {r: world.agents.active(r) for r in resources}
        return CRMSeedResult(seed, False, f"not settled after heal: {where}", world.now_ms)
    return CRMSeedResult(seed, True, "", world.now_ms)


def fault(world: World, rng: random.Random, ids: list[NodeId], resources: list[str]) -> None:
    kind = rng.choice(("crash", "restart", "partition", "heal", "die", "none"))
    if kind == "die":
        rsc = rng.choice(resources)
        for node in world.agents.active(rsc):
            world.agents.fail_resource(node, rsc)
    else:
        machine_fault(world, rng, ids, kind)


def machine_fault(world: World, rng: random.Random, ids: list[NodeId], kind: str) -> None:
    """A fault of the machines or the network: crash a live node, start a down one, cut the
    network in two, or heal it (any other kind: nothing)."""
    if kind == "crash" and len(world.nodes) > 1:
        world.crash(rng.choice(sorted(world.nodes)))
    elif kind == "restart":
        down = [n for n in ids if n not in world.nodes]
        if down:
            world.start(rng.choice(down))
    elif kind == "partition":
        shuffled = list(ids)
        rng.shuffle(shuffled)
        cut = rng.randint(1, len(ids) - 1)
        world.network.partition([shuffled[:cut], shuffled[cut:]])
    elif kind == "heal":
        world.network.heal()


# ---------------------------------------------------------------------- the EayunStack mix

EAYUN_NODES = 3
EAYUN_SETTLE_MS = 120_000


class SingleWhileWhole:
    """The after-every-event check without fencing (stonith-enabled=false): a
    single-instance resource never starts on a second node while all nodes share one ring
    (a partition may leave two copies; afterwards their number may only shrink)."""

    def __init__(self, world: World, singles: list[str]) -> None:
        self.world = world
        self.singles = singles
        self.split = False  # a partition, or a booted node not yet in the others' ring
        self.active: dict[str, set[str]] = {}

    @property
    def partitioned(self) -> bool:
        if self.split and self.world.is_converged():
            self.split = False
        return self.split

    def __call__(self, _node: NodeId, _item: Any) -> None:
        for rsc in self.singles:
            active = set(self.world.agents.active(rsc))
            grown = active - self.active.get(rsc, set())
            if grown and len(active) > 1 and not self.partitioned:
                self.world.checker.fail(self.world.now_ms, f"{rsc} active on {sorted(active)}")
            self.active[rsc] = active


def expected_counts(configuration_xml: str) -> dict[str, int]:
    """How many nodes each primitive runs on once all are up: clones everywhere."""
    root = etree.fromstring(configuration_xml)
    counts = {str(p.get("id")): 1 for p in root.iterfind("resources/primitive")}
    for clone in root.iterfind("resources/clone"):
        for prim in clone.iter("primitive"):
            counts[str(prim.get("id"))] = EAYUN_NODES
    return counts


def run_eayunstack_seed(seed: int, configuration_xml: str) -> CRMSeedResult:
    """The EayunStack configuration (no fencing, no-quorum-policy=ignore) on node-1..3:
    machines crash and come back, partitions, resources die; then everything heals and
    the cluster must settle where its scheduler wants it, with what runs where agreeing
    between the agents and every node's controller."""
    rng = random.Random(seed)
    ids = [NodeId(n) for n in range(1, EAYUN_NODES + 1)]
    world = World(seed, ids, params_for_token(1000), crm=True, name_prefix="node-")
    counts = expected_counts(configuration_xml)
    check = SingleWhileWhole(world, sorted(r for r, n in counts.items() if n == 1))
    world.listeners.append(check)
    world.run_for(10_000, world.is_converged)
    world.cib_write(ids[0], CIBRequest("replace", configuration_xml, "configuration"))
    world.run_for(rng.randint(500, 40_000))
    end = world.now_ms + SAFETY_MS
    while world.now_ms < end and not world.checker.violations:
        kind = eayun_fault(world, rng, ids, sorted(counts))
        # Without fencing, a node outside the others' membership is a partition of its
        # own: so is a machine that just booted, until its ring has merged with theirs.
        check.split = kind in ("partition", "restart") or (check.split and kind != "heal")
        world.run_for(rng.randint(1000, 8000))
    if world.checker.violations:
        return CRMSeedResult(seed, False, world.checker.violations[0], world.now_ms)
    world.network.heal()
    check.split = True  # until the healed ring holds every node (they may be booting)
    for node in ids:
        if node not in world.nodes:
            world.start(node)
    settled = world.run_for(EAYUN_SETTLE_MS, lambda: is_settled_as_planned(world, counts))
    if world.checker.violations:
        return CRMSeedResult(seed, False, world.checker.violations[0], world.now_ms)
    if not settled:
        return CRMSeedResult(seed, False, f"not settled after heal: {unsettled(world, counts)}",
                             world.now_ms)
    return CRMSeedResult(seed, True, "", world.now_ms)


def eayun_fault(world: World, rng: random.Random, ids: list[NodeId],
                primitives: list[str]) -> str:
    kind = rng.choice(("crash", "restart", "partition", "heal", "die", "die", "none"))
    if kind == "die":
        running = [(node, rsc) for node, rsc in world.agents.states()
                   if rsc.split(":")[0] in primitives]
        if running:
            world.agents.fail_resource(*rng.choice(running))
    else:
        machine_fault(world, rng, ids, kind)
    return kind


def is_settled_as_planned(world: World, counts: dict[str, int]) -> bool:
    """Every 500 ms of virtual time: the ring is whole, every node's controller is idle
    and knows what its agents run, each primitive runs on as many nodes as it should, and
    the scheduler, run on the DC's CIB, has nothing left to do."""
    if world.now_ms % 500 or not world.is_converged():
        return False
    return not unsettled(world, counts)


def unsettled(world: World, counts: dict[str, int]) -> str:
    """Why the cluster is not settled as planned ("" when it is)."""
    dc = None
    for node_id, node in sorted(world.nodes.items()):
        crm = node.status().controller
        if crm is None or crm.pending_ops or crm.dc is None or not crm.joined:
            return f"node {node_id} controller busy or without DC"
        running = sorted({rsc for where, rsc in world.agents.states()
                          if where == world.node_name(node_id)})
        if sorted(crm.active) != running:
            return f"node {node_id} records {sorted(crm.active)} but runs {running}"
        if crm.is_dc:
            dc = node
    wrong = {r: len(world.agents.active(r)) for r, n in counts.items()
             if len(world.agents.active(r)) != n}
    if dc is None or wrong:
        return f"instances off their count {wrong}" if wrong else "no DC"
    assert dc.cib is not None
    doc = dc.cib.replica.doc
    done = run_scheduler(RunScheduler(doc.version, doc.to_bytes(), (
        WALL_OFFSET_MS + world.now_ms) // 1000))
    actions = [f"{a.task} {a.rsc} on {a.node}" for a in done.transition.executed()
               if a.runnable and not a.pseudo] \
        if done.transition is not None else ["none"]
    return f"the scheduler still wants {actions[:4]}" if actions else ""
