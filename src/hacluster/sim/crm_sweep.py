"""Seeded simulator runs of the whole cluster manager: three to five nodes with fencing,
a few Dummy resources, then a safety phase with faults (machines crashing and coming back,
partitions, resources dying) and a liveness phase that heals everything and must converge.

Checked after every event: no resource ever runs on two nodes (fencing is enabled, so a
lost node's resources count as stopped only once it is fenced). Liveness: after the heal
every resource runs exactly once, within a bound. Owns the fault schedule and the verdict
of one seed; must never use randomness other than random.Random(seed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hacluster.cib import CIBRequest
from hacluster.common import NodeId
from hacluster.sim.world import World
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
    elif kind == "die":
        rsc = rng.choice(resources)
        for node in world.agents.active(rsc):
            world.agents.fail_resource(node, rsc)
