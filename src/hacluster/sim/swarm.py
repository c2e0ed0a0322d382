"""Seeded simulator runs: a safety phase with faults chosen from the seed (loss,
duplication, reordering, partitions symmetric and asymmetric, clogging, crashes,
restarts, graceful leaves, and with ICMP evidence on: forged port-unreachable floods about
live nodes, so Totem's operational fast path is exercised by true and false evidence alike;
hostile runs also seal every datagram with secauth and have a relay re-send sealed datagrams
to members they were not for, through both phases)
then a liveness phase that heals everything and must converge:
one ring of all nodes within a bound, and every message delivered (VOPR style).

Owns the fault schedule and the verdict of one seed. Must never use randomness other
than random.Random(seed): the same seed on the same commit gives the same trace.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from hacluster.common import NodeId
from hacluster.events import CpgJoinRequest, CpgLeaveRequest
from hacluster.quorum import settings_for
from hacluster.sim.network import NetworkOptions
from hacluster.sim.world import World
from hacluster.totem import TotemParams, TotemState, params_for_token

SIM_AUTHKEY = bytes(range(128))


@dataclass(frozen=True, slots=True)
class SeedResult:
    seed: int
    ok: bool
    reason: str
    virtual_ms: int
    events: int
    converge_ms: int
    trace: tuple[str, ...]
    fast_paths: int = 0  # Totem's successor_unreachable counts, summed over the final nodes
    drops: tuple[tuple[str, int], ...] = ()  # secauth drops at the nodes' edges, by reason
    relays: int = 0  # datagrams the hostile relay re-sent


@dataclass(frozen=True, slots=True)
class Plan:
    nodes: int
    params: TotemParams
    options: NetworkOptions
    safety_ms: int
    faults: bool
    tie_breaker: bool = False
    icmp: bool = False
    secauth: bool = False


def plan_for(seed: int, swarm: bool, nodes: int | None, hostile: bool = False) -> Plan:
    """The run a seed stands for. `hostile`: heavy loss, duplication and reordering, and
    delays up to a fifteenth of the token (rings cannot form when a rotation of the commit
    token takes longer than the token timeout, with corosync as with us)."""
    rng = random.Random(seed)
    n = nodes or rng.choice((3, 3, 4, 5))
    if not swarm:
        return Plan(n, params_for_token(1000), NetworkOptions(loss=0.05), 8_000, False)
    token = rng.choice((300, 500, 1000))
    params = params_for_token(token, join_ms=rng.choice((30, 50)), max_messages=rng.choice((3, 17)),
                              window_size=rng.choice((8, 50)), netmtu=rng.choice((576, 1500)))
    options = NetworkOptions(delay_min_ms=1, delay_max_ms=rng.choice((2, 5, 20)),
                             loss=rng.choice((0.0, 0.01, 0.05, 0.15, 0.3)),
                             duplicate=rng.choice((0.0, 0.02, 0.1)),
                             reorder=rng.choice((0.0, 0.1)), reorder_ms=rng.choice((5, 50)))
    if hostile:
        options = NetworkOptions(delay_min_ms=1, delay_max_ms=rng.choice((5, token // 30, token // 15)),
                                 loss=rng.choice((0.2, 0.4, 0.5)), duplicate=rng.choice((0.1, 0.3)),
                                 reorder=rng.choice((0.2, 0.5)), reorder_ms=rng.choice((5, token // 30)))
    tie_breaker = n % 2 == 0 and rng.random() < 0.5
    icmp = rng.random() < 0.4
    safety_ms = token * rng.choice((10, 20))
    if hostile:
        options = replace(options, relay=rng.choice((0.1, 0.3)))
    return Plan(n, params, options, safety_ms, True, tie_breaker, icmp, secauth=hostile)


def run_seed(seed: int, swarm: bool = True, nodes: int | None = None,
             keep_trace: bool = False, hostile: bool = False,
             status_share: float = 0.0) -> SeedResult:
    """One seed's verdict. `status_share`: that share of the CIB clients' writes are status
    updates of a node's own node_state (no quorum needed; they must survive every merge)."""
    plan = plan_for(seed, swarm, nodes, hostile)
    ids = [NodeId(i) for i in range(1, plan.nodes + 1)]
    quorum = settings_for(ids, auto_tie_breaker=plan.tie_breaker)
    world = World(seed, ids, plan.params, plan.options, quorum, trace=[] if keep_trace else None,
                  cib=plan.faults, secauth_key=SIM_AUTHKEY if plan.secauth else None)
    world.icmp = plan.icmp
    if plan.faults:  # CIB clients write on random nodes through the fault phase
        world.start_cib_clients(world.now_ms + plan.safety_ms, status_share)
    rng = random.Random(seed ^ 0x5EED)
    reason = _safety_phase(world, rng, plan) or ""
    converge_ms = -1
    if not reason:
        reason, converge_ms = _liveness_phase(world, plan)
        reason = reason or world.cib_problem(10 * plan.params.token_ms)
    trace = tuple(world.trace or ())
    fast = sum(n.totem.status().counter("successor_unreachable") for n in world.nodes.values())
    return SeedResult(seed, not reason, reason, world.now_ms, world.events, converge_ms, trace, fast,
                      tuple(sorted(world.drops.items())), world.network.relayed)


def _safety_phase(world: World, rng: random.Random, plan: Plan) -> str | None:
    step_ms = max(50, plan.params.token_ms // 4)
    end = world.now_ms + plan.safety_ms
    while world.now_ms < end:
        if plan.faults:
            _inject(world, rng, plan)
        elif rng.random() < 0.05:
            _crash_or_restart(world, rng)
        if rng.random() < 0.1:
            _cpg_change(world, rng)
        burst = rng.randint(5, 40) if rng.random() < 0.1 else rng.randint(0, 3)
        for _ in range(burst):
            _submit_somewhere(world, rng)
        world.run_for(step_ms)
        if world.checker.violations:
            return world.checker.violations[0]
    return None


def _inject(world: World, rng: random.Random, plan: Plan) -> None:
    ids = list(world.node_ids)
    roll = rng.random()
    if roll < 0.06:
        cut = rng.randint(1, len(ids) - 1)
        shuffled = rng.sample(ids, len(ids))
        world.network.partition([shuffled[:cut], shuffled[cut:]])
        world._note(f"partition {sorted(shuffled[:cut])}|{sorted(shuffled[cut:])}")
    elif roll < 0.10:
        world.network.heal()
        world._note("heal")
    elif roll < 0.13:
        src, dst = rng.sample(ids, 2)
        world.network.block(src, dst)
        world._note(f"block {src}->{dst}")
    elif roll < 0.16:
        src, dst = rng.sample(ids, 2)
        world.network.clog(src, dst, world.now_ms + rng.randint(10, 2 * plan.params.token_ms))
    elif roll < 0.22:
        _crash_or_restart(world, rng)
    elif roll < 0.24:
        up = [n for n in sorted(world.nodes) if world.nodes[n].totem.state is not TotemState.LEFT]
        if up:
            victim = rng.choice(up)
            world._note(f"shutdown {victim}")
            world.shutdown(victim)
    elif roll < 0.28 and plan.icmp:
        _forge_unreachable(world, rng, plan)


def _forge_unreachable(world: World, rng: random.Random, plan: Plan) -> None:
    """A flood of forged ICMP port-unreachable reports about a node that is alive, aimed at
    another node: at worst one membership round in which the live node is failed, after
    which it must come back (the fail set never outlives its gather)."""
    if len(world.nodes) < 2:
        return
    victim, fooled = rng.sample(sorted(world.nodes), 2)
    every_ms = rng.randint(1, 10)
    until = world.now_ms + rng.randint(every_ms, plan.params.token_ms)
    world._note(f"forge unreachable {victim} at {fooled} until {until}")
    for at in range(world.now_ms + 1, until, every_ms):
        world.forge_unreachable(at, fooled, victim)


def _cpg_change(world: World, rng: random.Random) -> None:
    """A process joins or leaves a closed process group somewhere."""
    up = [n for n in sorted(world.nodes) if world.nodes[n].totem.state is not TotemState.LEFT]
    if not up:
        return
    node = world.nodes[rng.choice(up)]
    group = rng.choice(("a", "b"))
    pid = rng.randint(1, 4)
    if (group, pid) in node.cpg.local:
        world.request(node.node_id, CpgLeaveRequest(group, pid))
    else:
        world.request(node.node_id, CpgJoinRequest(group, pid))


def _cpg_views_agree(world: World) -> str:
    """After convergence every node sees each group as the union of the nodes' locals."""
    expected: dict[str, set[tuple[int, int]]] = {}
    for node_id, node in sorted(world.nodes.items()):
        for group, pid in node.cpg.local:
            expected.setdefault(group, set()).add((node_id, pid))
    want = tuple((g, tuple(sorted(m))) for g, m in sorted(expected.items()))
    for node_id, node in sorted(world.nodes.items()):
        if node.cpg.status().groups != want:
            return f"(cpg) node {node_id} sees {node.cpg.status().groups}, expected {want}"
    return ""


def _crash_or_restart(world: World, rng: random.Random) -> None:
    down = [n for n in world.node_ids if n not in world.nodes]
    if down and rng.random() < 0.6:
        node = rng.choice(down)
        world._note(f"restart {node}")
        world.start(node)
    elif world.nodes:
        world.crash(rng.choice(sorted(world.nodes)))


def _submit_somewhere(world: World, rng: random.Random) -> None:
    up = [n for n in sorted(world.nodes) if world.nodes[n].totem.state is not TotemState.LEFT]
    if up:
        size = rng.choice((0, 0, 0, 100, 1000, 5000))
        world.submit(rng.choice(up), size, safe=rng.random() < 0.1)


def _liveness_phase(world: World, plan: Plan) -> tuple[str, int]:
    world.network.heal()
    # A forged flood may reach past the end of the safety phase (up to a token timeout):
    # left queued, it kept failing live successors after the heal, so the nodes split into
    # singleton rings after "convergence" and the fresh messages of the check below were
    # delivered each in its sender's own ring (seed 4360, 3 nodes). Healing ends it.
    world.stop_forging()
    world.network.options = NetworkOptions(delay_min_ms=1, delay_max_ms=plan.options.delay_max_ms,
                                           relay=plan.options.relay)  # relays never heal
    for node_id in world.node_ids:
        if node_id in world.nodes and world.nodes[node_id].totem.state is TotemState.LEFT:
            world.crash(node_id)
        if node_id not in world.nodes:
            world.start(node_id)
    world._note("liveness phase")
    p = plan.params
    start = world.now_ms
    bound = 2 * (p.token_ms + p.consensus_ms) + 20 * p.join_ms + 1000
    if not world.run_for(bound, world.is_converged):
        return f"(e) no single ring {bound} ms after healing: {world.rings()}", -1
    converged_ms = world.now_ms - start
    # the backlog drains at window_size datagrams per rotation: allow for it
    world.run_for(60 * p.token_ms, lambda: _own_delivered(world))
    for node_id in world.node_ids:
        who = world.who(node_id)
        missing = [m[:24] for m in world.checker.undelivered(who, who)]
        if missing:
            queued = world.nodes[node_id].totem.status().queue_length
            return (f"(e) node {node_id} never delivered its own {missing[:3]} "
                    f"({len(missing)} missing, {queued} queued)"), converged_ms
    fresh = [world.submit(n) for n in world.node_ids]
    done = world.run_for(4 * p.token_ms, lambda: _all_delivered(world, fresh))
    if world.checker.violations:
        return world.checker.violations[0], converged_ms
    if not done:
        return f"(e) messages sent after convergence not delivered everywhere: {world.rings()}", converged_ms
    world.run_for(4 * p.token_ms)
    return _cpg_views_agree(world), converged_ms


def _own_delivered(world: World) -> bool:
    return all(not any(True for _ in world.checker.undelivered(world.who(n), world.who(n)))
               for n in world.node_ids)


def _all_delivered(world: World, messages: list[bytes]) -> bool:
    for node_id in world.node_ids:
        got = world.checker.record(world.who(node_id)).delivered
        if not all(m in got for m in messages):
            return False
    return True
