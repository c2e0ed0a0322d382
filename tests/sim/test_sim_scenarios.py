"""Named Totem/CPG/quorum scenarios on the simulator (TigerBeetle replica_test style).
Every run also passes the checker's invariants after every event."""

from __future__ import annotations

from hacluster.common import NodeId
from hacluster.events import (
    CpgConfigChange,
    CpgDeliver,
    CpgJoinRequest,
    CpgSendRequest,
    PacketIn,
    PeerUnreachable,
    SendRequest,
)
from hacluster.sim import NetworkOptions, World, run_seed
from hacluster.totem import HoldCancel, TotemState, encode, params_for_token

N1, N2, N3, N4, N5 = (NodeId(i) for i in range(1, 6))
THREE = [N1, N2, N3]


def world_of(ids: list[NodeId], token_ms: int = 1000, seed: int = 7, **net: float) -> World:
    world = World(seed, ids, params_for_token(token_ms), NetworkOptions(**net))  # type: ignore[arg-type]
    assert world.run_for(5_000, world.is_converged), world.rings()
    return world


def assert_clean(world: World) -> None:
    assert not world.checker.violations, world.checker.violations[:3]


def delivered(world: World, node: NodeId) -> set[bytes]:
    return world.checker.record(world.who(node)).delivered


def test_three_nodes_form_one_ring() -> None:
    world = world_of(THREE)
    ring = world.nodes[N1].status().ring_id
    assert all(world.nodes[n].status().ring_id == ring for n in THREE)
    assert world.nodes[N2].status().members == (N1, N2, N3)
    assert all(world.nodes[n].status().quorate for n in THREE)
    assert_clean(world)


def test_messages_are_delivered_everywhere_in_one_order() -> None:
    world = world_of(THREE)
    sent = [world.submit(THREE[i % 3], size=(3000 if i % 7 == 0 else 20)) for i in range(60)]
    world.run_for(3_000)
    for node in THREE:
        assert set(sent) <= delivered(world, node)
    assert_clean(world)


def test_a_silent_crash_gives_a_two_node_ring_after_token_plus_gather_silence() -> None:
    world = world_of(THREE)  # no ICMP: the crashed node just falls silent
    params = world.params
    world.run_for(500)
    start = world.now_ms
    world.crash(N3)
    assert world.run_for(10_000, lambda: world.is_converged([N1, N2]))
    took = world.now_ms - start
    # the token is lost, then gather fails the member that says nothing for silence_ms
    # instead of waiting out consensus
    assert took <= params.token_ms + params.silence_ms + 10 * params.join_ms
    assert took < params.token_ms + params.consensus_ms
    assert took >= params.token_ms - params.token_retransmit_ms - params.hold_ms
    assert all(world.nodes[n].status().quorate for n in (N1, N2))
    assert_clean(world)


def test_partition_leaves_the_single_node_inquorate_and_heal_gives_one_ring() -> None:
    world = world_of(THREE)
    world.network.partition([[N1], [N2, N3]])
    world.run_for(6_000)
    assert world.nodes[N1].status().members == (N1,)
    assert not world.nodes[N1].status().quorate
    assert world.nodes[N2].status().members == (N2, N3)
    assert world.nodes[N2].status().quorate and world.nodes[N3].status().quorate
    world.network.heal()
    assert world.run_for(5_000, world.is_converged), world.rings()
    assert all(world.nodes[n].status().quorate for n in THREE)
    assert_clean(world)


def test_five_nodes_under_thirty_percent_loss_deliver_everything_in_order() -> None:
    ids = [N1, N2, N3, N4, N5]
    world = World(11, ids, params_for_token(1000), NetworkOptions(loss=0.3, delay_max_ms=5))
    assert world.run_for(60_000, world.is_converged), world.rings()
    sent = [world.submit(ids[i % 5], size=(2000 if i % 9 == 0 else 50)) for i in range(100)]
    world.run_for(20_000, lambda: all(set(sent) <= delivered(world, n) for n in ids))
    for node in ids:
        assert set(sent) <= delivered(world, node), node
    assert world.network.dropped > 0
    assert_clean(world)


def test_graceful_leave_forms_a_new_ring_in_about_one_join_round() -> None:
    world = world_of(THREE)
    world.run_for(300)
    start = world.now_ms
    world.shutdown(N3)
    assert world.nodes[N3].status().state is TotemState.LEFT
    assert world.run_for(5_000, lambda: world.is_converged([N1, N2]))
    assert world.now_ms - start < world.params.token_ms  # no token loss, no consensus wait
    assert_clean(world)


def test_a_node_restarting_with_the_same_id_rejoins_with_a_fresh_ring_id() -> None:
    world = world_of(THREE)
    old_ring = world.nodes[N1].status().ring_id
    world.crash(N2)
    world.run_for(200)
    world.start(N2)
    assert world.run_for(10_000, world.is_converged), world.rings()
    new_ring = world.nodes[N2].status().ring_id
    assert new_ring.seq > old_ring.seq
    msg = world.submit(N2)
    world.run_for(2_000)
    assert all(msg in delivered(world, n) for n in THREE)
    assert_clean(world)


def test_cpg_members_see_joins_messages_and_node_down() -> None:
    world = world_of(THREE)
    seen: dict[NodeId, list[object]] = {n: [] for n in THREE}

    def spy(node_id: NodeId, item: object) -> None:
        if isinstance(item, CpgDeliver | CpgConfigChange):
            seen[node_id].append(item)

    world.listeners.append(spy)
    for node in THREE:
        world.request(node, CpgJoinRequest("pcmk", 100 + node))
    world.run_for(1_000)
    world.request(N1, CpgSendRequest("pcmk", 101, b"hello"))
    world.run_for(1_000)
    assert CpgDeliver("pcmk", N1, 101, b"hello") in seen[N3]
    world.crash(N2)
    world.run_for(5_000)
    downs = [c for c in seen[N1] if isinstance(c, CpgConfigChange) and c.left]
    assert downs and downs[-1].left == ((N2, 102, "nodedown"),)
    assert downs[-1].members == ((N1, 101), (N3, 103))
    assert_clean(world)


def test_safe_messages_are_delivered_once_every_member_has_them() -> None:
    world = world_of(THREE)
    world.checker.on_submit(world.who(N1), b"m:1:0:safe")
    world.request(N1, SendRequest(b"m:1:0:safe", safe=True))
    world.run_for(2_000)
    assert all(b"m:1:0:safe" in delivered(world, n) for n in THREE)
    assert_clean(world)


def test_icmp_evidence_forms_the_new_ring_before_the_token_would_be_lost() -> None:
    """Crashes at many points of the token's rotation, of the representative and of others:
    the dead node's predecessor sees it refuse the token and starts gather at once."""
    for offset_ms in range(0, 400, 37):
        for victim in (N1, N3):
            world = world_of(THREE)
            world.icmp = True
            world.run_for(500 + offset_ms)
            start = world.now_ms
            world.crash(victim)
            survivors = [n for n in THREE if n != victim]
            assert world.run_for(10_000, lambda: world.is_converged(survivors))  # noqa: B023
            took = world.now_ms - start
            p = world.params
            # at worst the victim dies holding the token: its predecessor's retransmission
            # is refused, re-sent at once, refused again, then the new round
            assert took < p.token_retransmit_ms + 5 * p.join_ms < p.token_ms
            assert all(world.nodes[n].totem.status().counter("tokens_lost") == 0 for n in survivors)
            assert_clean(world)


def test_a_spoofed_unreachable_costs_one_membership_round_and_the_live_node_rejoins() -> None:
    world = world_of(THREE)
    rounds = world.nodes[N1].totem.status().counter("rings_formed")
    for _ in range(300):  # a forged ICMP flood about the live node 3, aimed at its predecessor
        world.run_for(1)
        world._step(N2, PeerUnreachable(N3))
        if world.nodes[N2].totem.status().counter("successor_unreachable"):
            break
    assert world.nodes[N2].totem.status().counter("successor_unreachable") == 1
    assert world.run_for(5_000, lambda: world.is_converged(THREE)), world.rings()
    assert world.nodes[N1].totem.status().counter("rings_formed") > rounds
    assert world.nodes[N3].status().members == (N1, N2, N3)
    assert_clean(world)


def test_two_partitions_with_traffic_merge_and_keep_extended_virtual_synchrony() -> None:
    ids = [N1, N2, N3, N4, N5]
    world = World(3, ids, params_for_token(500), NetworkOptions(loss=0.05, delay_max_ms=5))
    assert world.run_for(30_000, world.is_converged)
    for round_ in range(6):
        if round_ % 2 == 0:
            world.network.partition([[N1, N4], [N2, N3, N5]])
        else:
            world.network.heal()
        for i in range(30):
            world.submit(ids[i % 5], size=1500 if i % 4 == 0 else 10)
        world.run_for(3_000)
    world.network.heal()
    assert world.run_for(30_000, world.is_converged), world.rings()
    fresh = world.submit(N5)
    world.run_for(2_000)
    assert all(fresh in delivered(world, n) for n in ids)
    assert_clean(world)


def test_an_idle_ring_holds_the_token_and_never_retransmits_it() -> None:
    world = world_of(THREE, token_ms=1000)
    events = world.events
    world.run_for(60_000)
    assert all(world.nodes[n].status().totem.counter("token_retransmits") == 0 for n in THREE)
    assert world.events - events < 2_000  # ~5 rotations a second, not one per ms


def test_delivered_messages_are_garbage_collected() -> None:
    world = world_of(THREE)
    for _ in range(50):
        for i in range(20):
            world.submit(THREE[i % 3], 300)
        world.run_for(500)
    world.run_for(2_000)
    assert all(len(delivered(world, n)) == 1000 for n in THREE)
    assert all(len(world.nodes[n].totem.cur.store) == 0 for n in THREE)
    assert_clean(world)


def test_swarm_seeds_with_icmp_take_the_operational_fast_path_and_still_converge() -> None:
    """Crashes (true evidence) and forged floods (false evidence) in the swarm: the fast
    path fires, and every invariant and the liveness phase still hold."""
    results = [run_seed(seed, swarm=True) for seed in range(1, 41)]
    assert all(r.ok for r in results), [(r.seed, r.reason[:200]) for r in results if not r.ok]
    assert sum(r.fast_paths for r in results) >= 3


def test_icmp_evidence_also_shortens_a_crash_during_commit_or_recovery() -> None:
    """Node 4 rejoins (gather, commit, recovery) and node 3 dies at many points of it: the
    member that cannot hand it the commit token or the new ring's token acts at once."""
    four = [N1, N2, N3, N4]
    for offset_ms in range(0, 500, 8):
        world = world_of(four)
        world.icmp = True
        world.crash(N4)
        assert world.run_for(5_000, lambda: world.is_converged(THREE))  # noqa: B023
        world.run_for(300)
        world.start(N4)
        world.run_for(offset_ms)
        start = world.now_ms
        world.crash(N3)
        survivors = [N1, N2, N4]
        assert world.run_for(10_000, lambda: world.is_converged(survivors))  # noqa: B023
        assert world.now_ms - start < world.params.token_ms, (offset_ms, world.now_ms - start)
        assert_clean(world)


def run_until_the_representative_holds(world: World) -> None:
    assert world.run_for(5_000, lambda: world.nodes[N1].totem.held is not None)
    world.run_for(1)  # just into the hold: without hold-cancel the rest of it is waited out


def delivery_ms(world: World, sender: NodeId) -> int:
    """Submit at `sender` now; virtual ms until every member delivered it."""
    start = world.now_ms
    data = world.submit(sender)
    assert world.run_for(2_000, lambda: all(data in delivered(world, n) for n in THREE))
    return world.now_ms - start


def test_a_message_queued_while_the_representative_holds_the_token_goes_out_at_once() -> None:
    world = world_of(THREE, token_ms=1000)  # hold_ms 189
    world.run_for(3_000)
    cancels = [world.nodes[n].totem.status().counter("token_hold_cancel_tx") for n in THREE]
    latencies = []
    for sender in (N2, N3, N2, N3):
        run_until_the_representative_holds(world)
        latencies.append(delivery_ms(world, sender))
        world.run_for(2_000)  # idle again
    assert max(latencies) < 40, latencies  # a hold would add up to 189 ms
    sent = [world.nodes[n].totem.status().counter("token_hold_cancel_tx") for n in THREE]
    assert [a - b for a, b in zip(sent, cancels, strict=True)] == [0, 2, 2], "one per message"
    assert_clean(world)


def test_a_cancel_that_arrives_before_the_token_skips_the_next_hold() -> None:
    world = world_of(THREE, token_ms=1000)
    world.run_for(3_000)
    assert world.run_for(5_000, lambda: world.nodes[N2].totem.retransmit is not None
                         and world.nodes[N1].totem.held is None)  # the token is past node 1
    cancel = HoldCancel(N3, world.nodes[N1].totem.cur.ring_id)
    world._step(N1, PacketIn(encode(cancel)))
    assert world.nodes[N1].totem.hold_cancelled
    token_seen = world.nodes[N1].totem.cur.last_token_seq
    assert world.run_for(2_000, lambda: world.nodes[N1].totem.cur.last_token_seq > token_seen)
    assert world.nodes[N1].totem.held is None, "passed on without holding"
    assert not world.nodes[N1].totem.hold_cancelled, "for one hold only"
    assert_clean(world)


def test_members_with_a_backlog_never_send_a_hold_cancel() -> None:
    world = world_of(THREE, token_ms=1000)
    world.run_for(3_000)
    before = sum(world.nodes[n].totem.status().counter("token_hold_cancel_tx") for n in THREE)
    for _ in range(200):  # CPG-benchmark-like: every member always has messages queued
        for node in THREE:
            for _ in range(40):
                world.submit(node, 200)
        world.run_for(5)
    after = sum(world.nodes[n].totem.status().counter("token_hold_cancel_tx") for n in THREE)
    assert after - before <= 2, "only the first messages met an idle ring"
    assert_clean(world)


def test_safe_messages_on_an_idle_ring_are_not_held_back_at_the_other_members() -> None:
    """The representative holds only once every member saw a safe point covering every
    datagram: else the others would deliver a safe message a hold later than it."""
    world = world_of(THREE, token_ms=1000)
    world.run_for(3_000)
    latencies = []
    for sender in (N1, N2, N3, N1):
        run_until_the_representative_holds(world)
        start = world.now_ms
        data = world.submit(sender, safe=True)
        assert world.run_for(2_000, lambda d=data: all(d in delivered(world, n) for n in THREE))
        latencies.append(world.now_ms - start)
        world.run_for(2_000)
    assert max(latencies) < 40, latencies
    assert_clean(world)
