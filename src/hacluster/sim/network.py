"""The simulated network: seeded delay, loss, duplication, reordering, symmetric and
asymmetric partitions, clogging (a link that holds its packets for a while), and a hostile
relay that re-sends datagrams, as captured, to members they were not sent to.

Owns only the fate of each datagram: given (now, src, dst) it returns the arrival times
(none when lost, two when duplicated) and where a relay sends copies. Must never use any
randomness but the random.Random it is given, and never look at packet contents.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hacluster.common import NodeId


@dataclass(frozen=True, slots=True)
class NetworkOptions:
    delay_min_ms: int = 1
    delay_max_ms: int = 3
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0  # chance of an extra delay of up to reorder_ms
    reorder_ms: int = 20
    relay: float = 0.0  # chance that a relay also sends a datagram on to another member


@dataclass(slots=True)
class Network:
    rng: random.Random
    options: NetworkOptions = field(default_factory=NetworkOptions)
    blocked: set[tuple[NodeId, NodeId]] = field(default_factory=set)
    clogged_until: dict[tuple[NodeId, NodeId], int] = field(default_factory=dict)
    sent: int = 0
    dropped: int = 0
    relayed: int = 0

    def route(self, now_ms: int, src: NodeId, dst: NodeId) -> list[int]:
        """Arrival times of one datagram from src to dst."""
        self.sent += 1
        o = self.options
        if (src, dst) in self.blocked or (o.loss and self.rng.random() < o.loss):
            self.dropped += 1
            return []
        copies = 2 if o.duplicate and self.rng.random() < o.duplicate else 1
        arrivals = []
        for _ in range(copies):
            at = now_ms + self.rng.randint(o.delay_min_ms, o.delay_max_ms)
            if o.reorder and self.rng.random() < o.reorder:
                at += self.rng.randint(1, o.reorder_ms)
            arrivals.append(max(at, self.clogged_until.get((src, dst), 0)))
        return arrivals

    def relays(self, now_ms: int, src: NodeId, dst: NodeId,
               members: Sequence[NodeId]) -> list[tuple[NodeId, int]]:
        """(member, arrival) of the copies a relay sends of one src->dst datagram: to a
        member other than both, as if from src (the relay spoofs its address). Partitions
        do not stop it: the relay stands where it can reach everybody."""
        if not self.options.relay or self.rng.random() >= self.options.relay:
            return []
        others = [m for m in members if m not in (src, dst)]
        if not others:
            return []
        self.relayed += 1
        o = self.options
        return [(self.rng.choice(others), now_ms + self.rng.randint(o.delay_min_ms, o.delay_max_ms))]

    def partition(self, groups: Iterable[Iterable[NodeId]]) -> None:
        """Symmetric partition: nodes reach only their own group."""
        sets = [set(g) for g in groups]
        self.blocked = set()
        for a in sets:
            for b in sets:
                if a is not b:
                    self.blocked |= {(x, y) for x in a for y in b}

    def block(self, src: NodeId, dst: NodeId) -> None:
        """Asymmetric: src's datagrams to dst are lost; dst -> src still works."""
        self.blocked.add((src, dst))

    def clog(self, src: NodeId, dst: NodeId, until_ms: int) -> None:
        self.clogged_until[(src, dst)] = until_ms

    def heal(self) -> None:
        self.blocked = set()
        self.clogged_until = {}
