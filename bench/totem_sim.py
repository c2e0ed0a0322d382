"""Totem benchmark on the simulator: failure detection and new-ring times in virtual ms
next to the theory (token + consensus), the same with ICMP evidence (the dead node's
predecessor sees the token refused and starts gather without waiting out token loss), and the CPU cost of the cores (messages totally
ordered per CPU second, 3 nodes, 100-byte and 1 KiB payloads).

Prints `name: value unit` lines. Run: `.venv/bin/python bench/totem_sim.py [--runs 10]`.
Virtual times come from the simulator's clock; CPU time from time.process_time().
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from hacluster.common import NodeId
from hacluster.sim import NetworkOptions, World
from hacluster.totem import TotemParams, TotemState, params_for_token

IDS = [NodeId(1), NodeId(2), NodeId(3)]


def failover(params: TotemParams, seed: int, icmp: bool = False) -> tuple[int, int]:
    """(ms from the crash until a survivor leaves operational, ms until the new ring)."""
    world = World(seed, IDS, params, NetworkOptions(delay_min_ms=1, delay_max_ms=2))
    assert world.run_for(60_000, world.is_converged)
    world.icmp = icmp
    world.run_for(random.Random(seed).randint(0, params.token_ms))
    start = world.now_ms
    world.crash(NodeId(3))
    survivors = [NodeId(1), NodeId(2)]

    def detected() -> bool:
        return any(world.nodes[n].totem.state is not TotemState.OPERATIONAL for n in survivors)

    assert world.run_for(10 * params.token_ms, detected)
    detect_ms = world.now_ms - start
    assert world.run_for(10 * params.token_ms, lambda: world.is_converged(survivors))
    return detect_ms, world.now_ms - start


def report_failover(label: str, params: TotemParams, runs: int) -> None:
    results = [failover(params, seed) for seed in range(1, runs + 1)]
    detect = [d for d, _ in results]
    ring = [r for _, r in results]
    print(f"{label}_failure_detection_mean: {statistics.mean(detect):.0f} ms")
    print(f"{label}_failure_detection_max: {max(detect)} ms")
    print(f"{label}_new_ring_mean: {statistics.mean(ring):.0f} ms")
    print(f"{label}_new_ring_max: {max(ring)} ms")
    print(f"{label}_theory_token_plus_consensus: {params.token_ms + params.consensus_ms} ms")
    fast = [failover(params, seed, icmp=True)[1] for seed in range(1, runs + 1)]
    print(f"{label}_icmp_new_ring_mean: {statistics.mean(fast):.0f} ms")
    print(f"{label}_icmp_new_ring_max: {max(fast)} ms")
    leaves = [leave(params, seed) for seed in range(1, runs + 1)]
    print(f"{label}_graceful_leave_new_ring_mean: {statistics.mean(leaves):.0f} ms")
    print(f"{label}_join_round: {params.join_ms} ms")


def leave(params: TotemParams, seed: int) -> int:
    """ms from a graceful leave until the survivors run a new ring."""
    world = World(seed, IDS, params, NetworkOptions(delay_min_ms=1, delay_max_ms=2))
    assert world.run_for(60_000, world.is_converged)
    world.run_for(random.Random(seed).randint(0, params.token_ms))
    start = world.now_ms
    world.shutdown(NodeId(3))
    assert world.run_for(10 * params.token_ms, lambda: world.is_converged(IDS[:2]))
    return world.now_ms - start


def throughput(size: int, messages: int) -> None:
    world = World(1, IDS, params_for_token(1000), NetworkOptions(delay_min_ms=1, delay_max_ms=1))
    assert world.run_for(60_000, world.is_converged)
    target = world.checker.record(world.who(NodeId(3)))
    before = len(target.delivered)
    started = time.process_time()
    for i in range(messages):
        world.submit(IDS[i % 3], size)
    world.run_for(600_000, lambda: len(target.delivered) - before >= messages)
    cpu_s = time.process_time() - started
    ordered = len(target.delivered) - before
    assert ordered == messages
    print(f"ordered_{size}B_messages_per_cpu_second: {ordered / cpu_s:.0f} msg/s")
    print(f"ordered_{size}B_virtual_throughput: {ordered * 1000 / max(1, world.now_ms):.0f} msg/s")
    print(f"ordered_{size}B_cpu_per_message_all_3_nodes: {cpu_s * 1e6 / ordered:.0f} us")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--messages", type=int, default=20_000)
    args = ap.parse_args()
    seed_config = params_for_token(3000, join_ms=60)
    assert seed_config.consensus_ms == 3600
    report_failover("token3000", seed_config, args.runs)
    # the eayunstack seed also sets token_retransmits_before_loss_const 10: faster re-sends
    report_failover("token3000_retransmits10", params_for_token(3000, 10, join_ms=60), args.runs)
    report_failover("token300", params_for_token(300), args.runs)
    throughput(100, args.messages)
    throughput(1024, args.messages)


if __name__ == "__main__":
    main()
